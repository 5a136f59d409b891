#!/usr/bin/python3
"""Writes the ONNX models that tests/unit/test_onnx.cpp imports (and the fuzz seeds).

Run with Debian's python (python3-onnx, python3-torch):
    /usr/bin/python3 tests/data/onnx/make_onnx_cases.py

tests/data/onnx/
  torch_*.onnx   exported by torch.onnx.export; torch.json holds, per model, the torch weights
                 ([out][in] and bias per Linear, in order), a few inputs and torch's float32
                 outputs on them (the scores before a final Softmax)
  *.onnx         hand-built with onnx.helper: every supported form (checked with onnx.checker)
  bad_*.onnx     one unsupported or broken thing each; garbage.onnx is not protobuf at all
tests/fuzz/corpus/onnx/   a copy of every model, as seeds for fuzz_onnx

Everything is deterministic (fixed seeds, fixed values); every file is far below 20 KB.
"""

import json
import os
import shutil

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus", "onnx")
F = TensorProto.FLOAT

written = []


def save_bytes(name, data):
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        f.write(data)
    assert len(data) < 20000, name
    written.append(name)


def save(name, model, check=True):
    if check:
        onnx.checker.check_model(model)
    save_bytes(name, model.SerializeToString())


def t(name, values, dims=None, dtype=np.float32):
    """An initializer with its values in raw_data (what exporters write)."""
    a = np.array(values, dtype=dtype)
    if dims is not None:
        a = a.reshape(dims)
    return numpy_helper.from_array(a, name)


def node(op, inputs, outputs, name, **attrs):
    return helper.make_node(op, inputs, outputs, name=name, **attrs)


def model(nodes, inits, in_shape, opset=13, graph="case", inputs=None, in_type=F, out_type=F):
    ins = inputs or [helper.make_tensor_value_info("x", in_type, in_shape)]
    outs = [helper.make_tensor_value_info("y", out_type, ["out"])]
    g = helper.make_graph(nodes, graph, ins, outs, initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                             producer_name="xdpml make_onnx_cases.py")


# ---- torch exports ----------------------------------------------------------------------------

torch.manual_seed(20261204)
torch.set_num_threads(1)
expected = {}


def export(name, net, example, opset, inputs, dynamic=False):
    net.eval()
    path = os.path.join(HERE, name + ".onnx")
    kw = {}
    if dynamic:
        kw["dynamic_axes"] = {"x": {0: "batch"}, "y": {0: "batch"}}
    torch.onnx.export(net, example, path, opset_version=opset, input_names=["x"],
                      output_names=["y"], do_constant_folding=True, **kw)
    with open(path, "rb") as f:
        data = f.read()
    os.remove(path)
    save_bytes(name + ".onnx", data)
    mods = list(net)
    scores = torch.nn.Sequential(*[m for m in mods if not isinstance(m, torch.nn.Softmax)])
    with torch.no_grad():
        out = scores(inputs.reshape((len(inputs),) + tuple(example.shape[1:]))
                     if example.dim() > 1 else inputs)
    expected[name] = {
        "layers": [{"weights": m.weight.detach().double().tolist(),
                    "bias": m.bias.detach().double().tolist()}
                   for m in mods if isinstance(m, torch.nn.Linear)],
        "inputs": inputs.reshape(len(inputs), -1).double().tolist(),
        "outputs": out.reshape(len(inputs), -1).double().tolist(),
    }


x4 = torch.randn(4, 3)
# 3 -> 4 tanh -> 2 (+ Softmax): Gemm transB=1 nodes, a symbolic batch.
export("torch_mlp", torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                        torch.nn.Linear(4, 2), torch.nn.Softmax(dim=1)),
       torch.zeros(1, 3), 13, x4, dynamic=True)
mlp2 = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LeakyReLU(0.2),
                           torch.nn.Hardtanh(-1.0, 2.0), torch.nn.Linear(4, 2),
                           torch.nn.Softmax(dim=-1))
# A 1-D input: MatMul + Add(bias, .) and Clip with Constant-node bounds.
export("torch_mlp_1d", mlp2, torch.zeros(3), 13, x4)
# Opset 9: Gemm, Clip with min/max attributes, Softmax axis=1.
export("torch_opset9", mlp2, torch.zeros(1, 3), 9, x4)
# Flatten of a [1, 2, 3] input, a sigmoid regression.
export("torch_regression", torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 4),
                                               torch.nn.ReLU(), torch.nn.Linear(4, 1),
                                               torch.nn.Sigmoid()),
       torch.zeros(1, 2, 3), 13, torch.randn(4, 2, 3))
with open(os.path.join(HERE, "torch.json"), "w") as f:
    # One line per model and field: reviewable diffs, exact float repr (float32 values in doubles).
    f.write("{\n" + ",\n".join(
        '"%s": {\n' % k + ",\n".join('  "%s": %s' % (field, json.dumps(v[field])) for field in v) + "\n}"
        for k, v in expected.items()) + "\n}\n")

# ---- hand-built good cases --------------------------------------------------------------------

# MatMul + Add (bias [1, 2]), Relu, MatMul without a bias.
save("matmul_add.onnx", model(
    [node("MatMul", ["x", "W1"], ["h"], "mm1"), node("Add", ["h", "b1"], ["h1"], "add1"),
     node("Relu", ["h1"], ["h2"], "relu"), node("MatMul", ["h2", "W2"], ["y"], "mm2")],
    [t("W1", [[0.5, -1], [0.25, 2], [-0.75, 1.5]]), t("b1", [[0.125, -0.5]]),
     t("W2", [[1.5], [-2]])], [1, 3]))

# Gemm transB=0 with alpha and beta, ArgMax at the end.
save("gemm_transb0.onnx", model(
    [node("Gemm", ["x", "B", "C"], ["s"], "fc", alpha=0.5, beta=2.0, transB=0),
     node("ArgMax", ["s"], ["y"], "am", axis=1, keepdims=0)],
    [t("B", [[1, 2], [3, 4], [5, 6]]), t("C", [[0.25, -0.5]])], [1, 3], out_type=TensorProto.INT64))

# Values in float_data and double_data instead of raw_data; a Gemm without C.
save("gemm_typed_data.onnx", model(
    [node("Gemm", ["x", "B1", "C1"], ["h"], "g1", transB=1), node("Tanh", ["h"], ["h1"], "tanh"),
     node("Gemm", ["h1", "B2"], ["z"], "g2", transB=1), node("Sigmoid", ["z"], ["y"], "sig")],
    [helper.make_tensor("B1", F, [3, 2], [0.5, -0.25, 1, 2, -1.5, 0.75]),
     helper.make_tensor("C1", F, [3], [0.125, 0, -0.5]),
     helper.make_tensor("B2", TensorProto.DOUBLE, [1, 3], [0.1, -0.3, 2.5])], ["N", 2]))

# Clip (opset 11): min from a Constant node, max from an initializer.
save("clip_opset11.onnx", model(
    [node("Gemm", ["x", "B", "C"], ["h"], "fc", transB=1),
     helper.make_node("Constant", [], ["lo"], name="c_lo",
                      value=helper.make_tensor("v", F, [], [-0.5])),
     node("Clip", ["h", "lo", "hi"], ["h1"], "clip"), node("Gemm", ["h1", "B2"], ["y"], "out",
                                                           transB=1)],
    [t("B", [[1, 0], [0, 1]]), t("C", [0.5, -0.5]), t("hi", 1.5), t("B2", [[1, 1]])], [1, 2],
    opset=11))

# Clip (opset 6): min/max attributes; Gemm-6 with its broadcast attribute.
save("clip_opset6.onnx", model(
    [node("Gemm", ["x", "B", "C"], ["h"], "fc", transB=1, broadcast=1),
     node("Clip", ["h"], ["h1"], "clip", min=-0.25, max=0.75),
     node("Gemm", ["h1", "B2", "C2"], ["y"], "out", transB=1, broadcast=1)],
    [t("B", [[1, 0], [0, 1]]), t("C", [0.5, -0.5]), t("B2", [[1, 1]]), t("C2", [0])], [1, 2],
    opset=6))

# LeakyRelu with alpha and with the default alpha.
save("leaky_relu.onnx", model(
    [node("Gemm", ["x", "B1"], ["h"], "fc1", transB=1),
     node("LeakyRelu", ["h"], ["h1"], "lr", alpha=0.25),
     node("Gemm", ["h1", "B2"], ["h2"], "fc2", transB=1),
     node("LeakyRelu", ["h2"], ["h3"], "lr_default"),
     node("Gemm", ["h3", "B3"], ["y"], "fc3", transB=1)],
    [t("B1", np.arange(6).reshape(3, 2) - 2.5), t("B2", np.eye(3)), t("B3", [[1, -1, 0.5]])],
    [1, 2]))

# Flatten, Identity and Reshapes (Constant value_ints, initializer) around a Gemm.
save("passthrough.onnx", model(
    [node("Flatten", ["x"], ["f"], "flat", axis=1), node("Identity", ["f"], ["i"], "id"),
     helper.make_node("Constant", [], ["s1"], name="shape1", value_ints=[1, -1]),
     node("Reshape", ["i", "s1"], ["r"], "r1"), node("Gemm", ["r", "B", "C"], ["g"], "fc",
                                                      transB=1),
     node("Reshape", ["g", "s2"], ["g2"], "r2"), node("Tanh", ["g2"], ["g3"], "t"),
     node("Reshape", ["g3", "s3"], ["g4"], "r3"), node("Softmax", ["g4"], ["y"], "sm", axis=-1)],
    [t("B", np.arange(12).reshape(2, 6) / 8.0 - 0.75), t("C", [0.25, -0.25]),
     t("s2", [-1, 2], dtype=np.int64), t("s3", [2], dtype=np.int64)], ["batch", 2, 3]))

# Nodes without names: "#<index>" origins, "<optype>_<index>" layer names.
save("unnamed.onnx", model(
    [helper.make_node("Gemm", ["x", "B1"], ["h"], transB=1),
     helper.make_node("Relu", ["h"], ["h1"]), helper.make_node("Gemm", ["h1", "B2"], ["y"])],
    [t("B1", [[1, 2], [3, 4]]), t("B2", [[1], [-1]])], [1, 2], graph=""), check=False)

# ---- bad cases ----------------------------------------------------------------------------------


def fc(inputs=("x", "W", "b"), out="h", name="fc", **attrs):
    return node("Gemm", list(inputs), [out], name, transB=1, **attrs)


W23 = t("W", [[1, 2, 3], [4, 5, 6]])
b2 = t("b", [0.5, -0.5])

save("bad_conv.onnx", model(
    [fc(), node("Conv", ["h", "K"], ["y"], "Conv_3")], [W23, b2, t("K", np.ones((1, 1, 1)))],
    [1, 3]), check=False)
save("bad_unnamed_conv.onnx", model(
    [fc(), helper.make_node("Conv", ["h", "K"], ["y"])], [W23, b2, t("K", np.ones((1, 1, 1)))],
    [1, 3]), check=False)
save("bad_gemm_transa.onnx", model(
    [node("Gemm", ["x", "W", "b"], ["y"], "fc", transA=1, transB=1)], [W23, b2], [1, 3]),
    check=False)
save("bad_argmax_last_index.onnx", model(
    [fc(), node("ArgMax", ["h"], ["y"], "am", axis=-1, select_last_index=1)], [W23, b2], [1, 3],
    out_type=TensorProto.INT64))
# ArgMax's axis defaults to 0: the batch, not the features.
save("bad_argmax_axis.onnx", model(
    [fc(), node("ArgMax", ["h"], ["y"], "am")], [W23, b2], [1, 3], out_type=TensorProto.INT64))
save("bad_attribute.onnx", model(
    [fc(("x", "W1")), node("Relu", ["h"], ["y"], "r", foo=1)], [t("W1", [[1, 2, 3]])], [1, 3]),
    check=False)
save("bad_softmax_not_last.onnx", model(
    [fc(), node("Softmax", ["h"], ["p"], "sm"), fc(("p", "W2"), "y", "fc2")],
    [W23, b2, t("W2", [[1, -1]])], [1, 3]))
save("bad_softmax_axis.onnx", model(
    [fc(), node("Softmax", ["h"], ["y"], "sm", axis=0)], [W23, b2], [1, 3]))
save("bad_weight_int64.onnx", model(
    [fc()], [t("W", [[1, 2, 3], [4, 5, 6]], dtype=np.int64), b2], [1, 3]), check=False)
w_short = t("W", [[1, 2, 3], [4, 5, 6]])
w_short.raw_data = w_short.raw_data[:20]
save("bad_raw_data_length.onnx", model([fc()], [w_short, b2], [1, 3]), check=False)
bad_count = model([fc()], [helper.make_tensor("W", F, [2, 3], [1, 2, 3, 4, 5, 6]), b2], [1, 3])
del bad_count.graph.initializer[0].float_data[5]
save("bad_float_data_count.onnx", bad_count, check=False)
save("bad_branch.onnx", model(
    [fc(), node("Relu", ["h"], ["r"], "r"), node("Tanh", ["h"], ["u"], "t"),
     node("Add", ["r", "u"], ["y"], "sum")], [W23, b2], [1, 3]))
save("bad_reshape_width.onnx", model(
    [fc(("x", "W4", "b4")), node("Reshape", ["h", "s"], ["y"], "rs")],
    [t("W4", np.ones((4, 3))), t("b4", np.zeros(4)), t("s", [2, 2], dtype=np.int64)], [1, 3]))
w_nan = t("W", [[1, float("nan"), 3]])
save("bad_nan_weight.onnx", model([fc(("x", "W"), "y")], [w_nan], [1, 3]))
save("bad_add_alone.onnx", model(
    [fc(), node("Add", ["h", "c"], ["y"], "add")], [W23, b2, t("c", [1, 1])], [1, 3]))
save("bad_clip_not_constant.onnx", model(
    [fc(("x", "W1")), node("Identity", ["lo0"], ["lo"], "lo_id"),
     node("Clip", ["h", "lo", "hi"], ["y"], "clip")],
    [t("W1", [[1, 2, 3]]), t("lo0", -1.0), t("hi", 1.0)], [1, 3]))
save("bad_clip_no_min.onnx", model(
    [fc(("x", "W1")), node("Clip", ["h", "", "hi"], ["y"], "clip")],
    [t("W1", [[1, 2, 3]]), t("hi", 1.0)], [1, 3]))
save("bad_batch.onnx", model([fc(("x", "W1"), "y")], [t("W1", [[1, 2, 3]])], [8, 3]))
save("bad_regression_width.onnx", model([fc(out="y")], [W23, b2], [1, 3]))
save("bad_two_inputs.onnx", model(
    [fc(("x", "W1")), node("Add", ["h", "z"], ["y"], "add")], [t("W1", [[1, 2, 3]])], None,
    inputs=[helper.make_tensor_value_info("x", F, [1, 3]),
            helper.make_tensor_value_info("z", F, [1, 1])]))
save_bytes("garbage.onnx", b"this is not an ONNX model\n")

# ---- fuzz seeds ---------------------------------------------------------------------------------

os.makedirs(CORPUS, exist_ok=True)
for name in sorted(set(written)):
    shutil.copyfile(os.path.join(HERE, name), os.path.join(CORPUS, name))
print("wrote %d models to %s and %s" % (len(set(written)), os.path.relpath(HERE, ROOT),
                                        os.path.relpath(CORPUS, ROOT)))
