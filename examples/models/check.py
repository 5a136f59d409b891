#!/usr/bin/python3
"""Checks the example models that make_models.py wrote (run by examples/models/make.sh).

For aurora/ and classifier/:
  - model.onnx passes onnx.checker, has input 'features' [1, N] and exactly the expected ops;
  - model.json has xdpml's format (shapes chain, min < max per feature) and the same weights as
    model.onnx, bit for bit once both are read as float32;
  - test.float.csv (the torch float32 outputs) equals, within 1e-5, both a numpy float64 forward
    pass of model.json and a numpy interpretation of model.onnx, on the features of test.csv;
  - every calib/test feature lies inside the declared [min, max]; every CSV is at most 200 KB.
Prints the metrics (aurora MSE, classifier accuracy) from the JSON forward pass. Exit status 1
on any failure.
"""

import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
TOL = 1e-5
MAX_CSV = 200 * 1000

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("  FAIL:", what)


def read_csv(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=np.float64)
    return header, data


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


ACT = {"tanh": np.tanh, "sigmoid": sigmoid, "relu": lambda x: np.maximum(x, 0.0),
       "identity": lambda x: x}


def json_forward(spec, x):
    for layer in spec["layers"]:
        t = layer["type"]
        if t == "dense":
            w = np.array(layer["weights"], dtype=np.float64)
            b = np.array(layer["bias"], dtype=np.float64)
            x = x @ w.T + b
        elif t == "leaky_relu":
            x = np.where(x >= 0, x, layer.get("alpha", 0.01) * x)
        elif t == "clip":
            x = np.clip(x, layer["min"], layer["max"])
        elif t in ACT:
            x = ACT[t](x)
        else:
            raise ValueError("check.py does not evaluate layer type %r" % t)
    return x


def onnx_forward(model, x):
    """A numpy interpreter for the few ops these models use, row by row as exported (batch 1)."""
    g = model.graph
    inits = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in g.initializer}
    env = dict(inits)
    env[g.input[0].name] = x
    for node in g.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
        ins = [env[i] for i in node.input]
        if node.op_type == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2:
                y = y + a.get("beta", 1.0) * ins[2]
        elif node.op_type == "Tanh":
            y = np.tanh(ins[0])
        elif node.op_type == "Sigmoid":
            y = sigmoid(ins[0])
        elif node.op_type == "Relu":
            y = np.maximum(ins[0], 0.0)
        else:
            raise ValueError("unexpected op " + node.op_type)
        env[node.output[0]] = y
    return env[g.output[0].name]


def check_model(name, n_in, ops, out_cols, out_kind):
    d = os.path.join(HERE, name)
    print("%s:" % name)

    model = onnx.load(os.path.join(d, "model.onnx"))
    onnx.checker.check_model(model)
    op_types = [n.op_type for n in model.graph.node]
    print("  model.onnx: opset %d, ops %s" % (model.opset_import[0].version, " ".join(op_types)))
    check(model.opset_import[0].version == 13, "opset 13")
    check(op_types == ops, "ONNX ops are %s" % ops)
    inp = model.graph.input[0]
    dims = [x.dim_value for x in inp.type.tensor_type.shape.dim]
    check(inp.name == "features" and dims == [1, n_in], "input 'features' [1, %d]" % n_in)

    with open(os.path.join(d, "model.json")) as f:
        spec = json.load(f)
    check(spec["xdpml_model"] == 1 and spec["name"] == name, "JSON header")
    check(spec["input"]["features"] == n_in and spec["input"]["encoding"] == "i32", "JSON input")
    lo, hi = np.array(spec["input"]["min"]), np.array(spec["input"]["max"])
    check(len(lo) == n_in and len(hi) == n_in and np.all(lo < hi), "JSON min/max")
    check(spec["output"]["kind"] == out_kind, "JSON output kind")
    width = n_in
    dense = [l for l in spec["layers"] if l["type"] == "dense"]
    for l in dense:
        w = np.array(l["weights"])
        check(w.ndim == 2 and w.shape[1] == width and len(l["bias"]) == w.shape[0],
              "layer %s shape" % l["name"])
        width = w.shape[0]
    check(width == len(out_cols), "output width")

    # Same weights in both files: ONNX Gemm B (transB=1) is [out][in] like the JSON.
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    gemms = [n for n in model.graph.node if n.op_type == "Gemm"]
    check(len(gemms) == len(dense), "one Gemm per dense layer")
    for l, n in zip(dense, gemms):
        transb = any(a.name == "transB" and a.i == 1 for a in n.attribute)
        w = inits[n.input[1]] if transb else inits[n.input[1]].T
        same = (np.array_equal(np.array(l["weights"], dtype=np.float64), w.astype(np.float64))
                and np.array_equal(np.array(l["bias"], dtype=np.float64),
                                   inits[n.input[2]].astype(np.float64)))
        check(same, "JSON %s equals ONNX %s" % (l["name"], n.name))

    sizes = {}
    for fn in ("calib.csv", "test.csv", "test.float.csv"):
        sizes[fn] = os.path.getsize(os.path.join(d, fn))
        check(sizes[fn] <= MAX_CSV, "%s <= 200 KB" % fn)
    h_cal, calib = read_csv(os.path.join(d, "calib.csv"))
    h_test, test = read_csv(os.path.join(d, "test.csv"))
    h_out, ref = read_csv(os.path.join(d, "test.float.csv"))
    check(len(h_cal) == n_in and h_test == h_cal + ["label"], "CSV headers")
    check(h_out == out_cols and ref.shape == (len(test), len(out_cols)), "test.float.csv shape")
    x, label = test[:, :n_in], test[:, n_in]
    for nm, a in (("calib", calib), ("test", x)):
        check(np.all(a >= lo) and np.all(a <= hi), "%s features inside declared min/max" % nm)

    yj = json_forward(spec, x)
    yo = np.vstack([onnx_forward(model, r[None, :]) for r in x])
    dj = float(np.max(np.abs(yj - ref)))
    do = float(np.max(np.abs(yo - ref)))
    print("  rows: calib %d, test %d; max |json - torch| %.3g, max |onnx - torch| %.3g"
          % (len(calib), len(test), dj, do))
    check(dj <= TOL, "JSON forward equals test.float.csv within %g" % TOL)
    check(do <= TOL, "ONNX forward equals test.float.csv within %g" % TOL)

    if out_kind == "regression":
        y = yj[:, 0]
        print("  test MSE %.4g (RMSE %.4g, max |err| %.4g), output range [%.4f, %.4f],"
              " label range [%.4f, %.4f]"
              % (np.mean((y - label) ** 2), np.sqrt(np.mean((y - label) ** 2)),
                 np.max(np.abs(y - label)), y.min(), y.max(), label.min(), label.max()))
    else:
        pred = yj.argmax(axis=1)
        check(np.array_equal(pred, ref.argmax(axis=1)), "JSON argmax equals torch argmax")
        print("  test accuracy %.4f (%d/%d), classes %s"
              % (np.mean(pred == label), np.sum(pred == label), len(label),
                 spec["output"]["classes"]))
    print("  sizes: " + ", ".join("%s %d" % kv for kv in sizes.items()))


def main():
    check_model("aurora", 30, ["Gemm", "Tanh", "Gemm", "Tanh", "Gemm", "Sigmoid"], ["output"],
                "regression")
    check_model("classifier", 6, ["Gemm", "Relu", "Gemm", "Relu", "Gemm"], ["score0", "score1"],
                "argmax")
    if failures:
        print("check.py: %d failure(s)" % len(failures))
        return 1
    print("check.py: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
