// The ONNX importer on the models of tests/data/onnx (make_onnx_cases.py writes them): torch
// exports compared with torch's own weights and outputs, hand-built graphs for every supported
// form, and one broken or unsupported thing per bad_*.onnx with its exact message.
#include "compiler/model/onnx_import.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

using namespace xdpml;
using namespace xdpml::model;

namespace {

std::string case_path(const std::string& name) {
  return std::string(XDPML_SOURCE_DIR) + "/tests/data/onnx/" + name;
}

std::string read_bytes(const std::string& name) {
  std::ifstream in(case_path(name), std::ios::binary);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Model load(const std::string& name) {
  auto r = read_onnx_file(case_path(name));
  INFO(name << ": " << (r ? "" : r.diagnostics().render()));
  REQUIRE(r);
  return std::move(r).value();
}

// The first diagnostic of a model that must not import.
Diagnostic rejection(const std::string& name) {
  auto r = read_onnx_file(case_path(name));
  INFO(name);
  REQUIRE_FALSE(r);
  REQUIRE(r.diagnostics().size() == 1);
  return r.diagnostics().items().front();
}

std::string error_of(const std::string& name) {
  return rejection(name).message;
}

std::vector<LayerKind> kinds(const Model& m) {
  std::vector<LayerKind> k;
  for (const auto& l : m.layers) k.push_back(l.kind);
  return k;
}

nlohmann::json torch_expected(const std::string& name) {
  std::ifstream in(case_path("torch.json"));
  REQUIRE(in.good());
  const auto all = nlohmann::json::parse(in);
  REQUIRE(all.contains(name));
  return all.at(name);
}

// Imported dense layers equal torch's Linear weights exactly; evaluate_float matches torch's
// float32 outputs to 1e-5.
void check_against_torch(const Model& m, const std::string& name) {
  const auto want = torch_expected(name);
  std::vector<const Layer*> dense;
  for (const auto& l : m.layers)
    if (l.kind == LayerKind::Dense) dense.push_back(&l);
  REQUIRE(dense.size() == want.at("layers").size());
  for (size_t k = 0; k < dense.size(); ++k) {
    const auto& wl = want.at("layers")[k];
    const Layer& l = *dense[k];
    const auto w = wl.at("weights").get<std::vector<std::vector<double>>>();
    const auto b = wl.at("bias").get<std::vector<double>>();
    REQUIRE(l.out == w.size());
    REQUIRE(l.in == w.at(0).size());
    REQUIRE(l.bias == b);
    for (uint32_t j = 0; j < l.out; ++j)
      for (uint32_t i = 0; i < l.in; ++i) {
        INFO("layer " << k << " weight [" << j << "][" << i << "]");
        REQUIRE(l.weights[size_t{j} * l.in + i] == w[j][i]);
      }
  }
  const auto inputs = want.at("inputs").get<std::vector<std::vector<double>>>();
  const auto outputs = want.at("outputs").get<std::vector<std::vector<double>>>();
  REQUIRE(inputs.size() == outputs.size());
  REQUIRE(inputs.size() >= 3);
  for (size_t r = 0; r < inputs.size(); ++r) {
    REQUIRE(inputs[r].size() == m.input.features);
    const auto y = evaluate_float(m, inputs[r]);
    REQUIRE(y.size() == outputs[r].size());
    for (size_t j = 0; j < y.size(); ++j) {
      INFO("input " << r << " output " << j);
      REQUIRE(std::abs(y[j] - outputs[r][j]) <= 1e-5);
    }
  }
}

} // namespace

TEST_CASE("ONNX: a torch export (Gemm transB=1, Tanh, Softmax) imports with torch's weights",
          "[onnx]") {
  const Model m = load("torch_mlp.onnx");
  CHECK(m.name == "torch_mlp"); // torch's generic graph name "torch_jit" gives way to the file's
  CHECK(m.source == case_path("torch_mlp.onnx"));
  CHECK(m.input.features == 3);
  CHECK(m.input.encoding == FeatureEncoding::I32);
  CHECK_FALSE(m.input.scale);
  CHECK(m.input.min.empty());
  CHECK(m.input.max.empty());
  REQUIRE(kinds(m) == std::vector<LayerKind>{LayerKind::Dense, LayerKind::Tanh, LayerKind::Dense,
                                             LayerKind::Softmax});
  CHECK(m.output.kind == OutputKind::ArgMax);
  CHECK(m.layers[0].origin == "node '/0/Gemm' (Gemm)");
  CHECK(m.layers[0].name == "/0/Gemm");
  CHECK(m.output_width() == 2);
  check_against_torch(m, "torch_mlp");
}

TEST_CASE("ONNX: torch exports of MatMul+Add, Clip and Flatten forms match torch", "[onnx]") {
  SECTION("1-D input: MatMul + Add(bias, x), LeakyRelu, Clip with Constant bounds") {
    const Model m = load("torch_mlp_1d.onnx");
    REQUIRE(kinds(m) == std::vector<LayerKind>{LayerKind::Dense, LayerKind::LeakyRelu,
                                               LayerKind::Clip, LayerKind::Dense,
                                               LayerKind::Softmax});
    CHECK(m.layers[0].origin == "node '/0/MatMul' (MatMul) + node '/0/Add' (Add)");
    CHECK(m.layers[1].alpha == static_cast<double>(0.2f));
    CHECK(m.layers[2].clip_lo == -1.0);
    CHECK(m.layers[2].clip_hi == 2.0);
    check_against_torch(m, "torch_mlp_1d");
  }
  SECTION("opset 9: Gemm, Clip with min/max attributes, Softmax axis=1") {
    const Model m = load("torch_opset9.onnx");
    REQUIRE(kinds(m) == std::vector<LayerKind>{LayerKind::Dense, LayerKind::LeakyRelu,
                                               LayerKind::Clip, LayerKind::Dense,
                                               LayerKind::Softmax});
    CHECK(m.layers[2].clip_lo == -1.0);
    CHECK(m.layers[2].clip_hi == 2.0);
    CHECK(m.output.kind == OutputKind::ArgMax);
    check_against_torch(m, "torch_mlp_1d"); // the same network
  }
  SECTION("Flatten of [1, 2, 3], sigmoid regression") {
    const Model m = load("torch_regression.onnx");
    CHECK(m.input.features == 6);
    REQUIRE(kinds(m) == std::vector<LayerKind>{LayerKind::Dense, LayerKind::Relu, LayerKind::Dense,
                                               LayerKind::Sigmoid});
    CHECK(m.output.kind == OutputKind::Regression);
    check_against_torch(m, "torch_regression");
  }
}

TEST_CASE("ONNX: MatMul+Add becomes a dense layer with row-major [out][in] weights", "[onnx]") {
  const Model m = load("matmul_add.onnx");
  CHECK(m.name == "case");
  REQUIRE(kinds(m) == std::vector<LayerKind>{LayerKind::Dense, LayerKind::Relu, LayerKind::Dense});
  const Layer& l = m.layers[0];
  CHECK(l.origin == "node 'mm1' (MatMul) + node 'add1' (Add)");
  CHECK(l.name == "mm1");
  CHECK(l.in == 3);
  CHECK(l.out == 2);
  CHECK(l.weights == std::vector<double>{0.5, 0.25, -0.75, -1, 2, 1.5});
  CHECK(l.bias == std::vector<double>{0.125, -0.5});
  // A MatMul without an Add has no bias.
  CHECK(m.layers[2].origin == "node 'mm2' (MatMul)");
  CHECK(m.layers[2].weights == std::vector<double>{1.5, -2});
  CHECK(m.layers[2].bias.empty());
  CHECK(m.output.kind == OutputKind::Regression);
  // relu([0.5 + 0.5 - 2.25 + 0.125, -1 + 4 + 4.5 - 0.5]) = [0, 7]; 1.5 * 0 - 2 * 7
  CHECK(evaluate_float(m, {1, 2, 3}) == std::vector<double>{-14});
}

TEST_CASE("ONNX: Gemm transB=0 folds alpha into the weights and beta into the bias", "[onnx]") {
  const Model m = load("gemm_transb0.onnx");
  REQUIRE(kinds(m) == std::vector<LayerKind>{LayerKind::Dense, LayerKind::ArgMax});
  CHECK(m.output.kind == OutputKind::ArgMax);
  const Layer& l = m.layers[0];
  CHECK(l.in == 3);
  CHECK(l.out == 2);
  CHECK(l.weights == std::vector<double>{0.5, 1.5, 2.5, 1, 2, 3}); // 0.5 * B^T
  CHECK(l.bias == std::vector<double>{0.5, -1});                   // 2 * C[0]
  CHECK(m.layers[1].origin == "node 'am' (ArgMax)");
}

TEST_CASE("ONNX: weights from float_data and double_data; a Gemm without C", "[onnx]") {
  const Model m = load("gemm_typed_data.onnx");
  CHECK(m.input.features == 2); // input ["N", 2]: a symbolic batch
  REQUIRE(kinds(m) == std::vector<LayerKind>{LayerKind::Dense, LayerKind::Tanh, LayerKind::Dense,
                                             LayerKind::Sigmoid});
  CHECK(m.layers[0].weights == std::vector<double>{0.5, -0.25, 1, 2, -1.5, 0.75});
  CHECK(m.layers[0].bias == std::vector<double>{0.125, 0, -0.5});
  CHECK(m.layers[2].weights == std::vector<double>{0.1, -0.3, 2.5}); // doubles, not rounded
  CHECK(m.layers[2].bias.empty());
  CHECK(m.output.kind == OutputKind::Regression);
}

TEST_CASE("ONNX: Clip bounds as inputs (opset 11) and as attributes (opset 6)", "[onnx]") {
  SECTION("opset 11: a Constant node and an initializer") {
    const Model m = load("clip_opset11.onnx");
    REQUIRE(kinds(m) ==
            std::vector<LayerKind>{LayerKind::Dense, LayerKind::Clip, LayerKind::Dense});
    CHECK(m.layers[1].origin == "node 'clip' (Clip)");
    CHECK(m.layers[1].clip_lo == -0.5);
    CHECK(m.layers[1].clip_hi == 1.5);
    // [1 + 0.5, 2 - 0.5] clipped to [-0.5, 1.5]: 1.5 + 1.5
    CHECK(evaluate_float(m, {1, 2}) == std::vector<double>{3});
  }
  SECTION("opset 6: min/max attributes, Gemm's broadcast attribute") {
    const Model m = load("clip_opset6.onnx");
    REQUIRE(kinds(m) ==
            std::vector<LayerKind>{LayerKind::Dense, LayerKind::Clip, LayerKind::Dense});
    CHECK(m.layers[1].clip_lo == -0.25);
    CHECK(m.layers[1].clip_hi == 0.75);
    CHECK(m.layers[2].bias == std::vector<double>{0});
  }
}

TEST_CASE("ONNX: LeakyRelu alpha and its default", "[onnx]") {
  const Model m = load("leaky_relu.onnx");
  REQUIRE(kinds(m) == std::vector<LayerKind>{LayerKind::Dense, LayerKind::LeakyRelu,
                                             LayerKind::Dense, LayerKind::LeakyRelu,
                                             LayerKind::Dense});
  CHECK(m.layers[1].alpha == 0.25);
  CHECK(m.layers[3].alpha == 0.01); // ONNX's default
  CHECK(m.layers[3].name == "lr_default");
}

TEST_CASE("ONNX: Flatten, Reshape and Identity pass the feature vector through", "[onnx]") {
  const Model m = load("passthrough.onnx");
  CHECK(m.input.features == 6); // ["batch", 2, 3]
  REQUIRE(kinds(m) ==
          std::vector<LayerKind>{LayerKind::Dense, LayerKind::Tanh, LayerKind::Softmax});
  CHECK(m.layers[0].origin == "node 'fc' (Gemm)");
  CHECK(m.layers[0].in == 6);
  CHECK(m.layers[2].origin == "node 'sm' (Softmax)");
  CHECK(m.output.kind == OutputKind::ArgMax);
}

TEST_CASE("ONNX: nodes without names are named by their index", "[onnx]") {
  const Model m = load("unnamed.onnx");
  CHECK(m.name == "unnamed"); // no graph name: the file stem
  REQUIRE(m.layers.size() == 3);
  CHECK(m.layers[0].origin == "node '#0' (Gemm)");
  CHECK(m.layers[0].name == "gemm_0");
  CHECK(m.layers[1].origin == "node '#1' (Relu)");
  CHECK(m.layers[1].name == "relu_1");
  CHECK(m.layers[2].name == "gemm_2");
  CHECK(error_of("bad_unnamed_conv.onnx") ==
        "ONNX node '#1' (Conv) is not supported; supported: Gemm, MatMul+Add, Relu, LeakyRelu, "
        "Tanh, Sigmoid, Clip, Flatten, Reshape, Identity, Softmax, ArgMax");
}

TEST_CASE("ONNX: unsupported operators and attributes are errors naming the node", "[onnx]") {
  CHECK(error_of("bad_conv.onnx") ==
        "ONNX node 'Conv_3' (Conv) is not supported; supported: Gemm, MatMul+Add, Relu, "
        "LeakyRelu, Tanh, Sigmoid, Clip, Flatten, Reshape, Identity, Softmax, ArgMax");
  const Diagnostic add = rejection("bad_add_alone.onnx");
  CHECK(add.message ==
        "ONNX node 'add' (Add) is not supported; supported: Gemm, MatMul+Add, Relu, LeakyRelu, "
        "Tanh, Sigmoid, Clip, Flatten, Reshape, Identity, Softmax, ArgMax");
  CHECK(add.hint == "Add is supported only right after a MatMul, as its constant bias");
  CHECK(error_of("bad_gemm_transa.onnx") ==
        "ONNX node 'fc' (Gemm): transA=1 is not supported; supported: transA=0");
  CHECK(error_of("bad_argmax_last_index.onnx") ==
        "ONNX node 'am' (ArgMax): select_last_index=1 is not supported; supported: "
        "select_last_index=0");
  CHECK(error_of("bad_argmax_axis.onnx") == // ArgMax's default axis is 0
        "ONNX node 'am' (ArgMax): axis=0 is not the feature axis of its [1, 2] input; "
        "supported: axis=-1 or axis=1");
  CHECK(error_of("bad_attribute.onnx") ==
        "ONNX node 'r' (Relu): attribute 'foo' is not supported; Relu takes no attributes");
  CHECK(error_of("bad_softmax_not_last.onnx") ==
        "ONNX node 'sm' (Softmax) is supported only as the last node; node 'fc2' (Gemm) follows "
        "it");
  CHECK(error_of("bad_softmax_axis.onnx") ==
        "ONNX node 'sm' (Softmax): axis=0 is not the feature axis of its [1, 2] input; "
        "supported: axis=-1 or axis=1");
  CHECK(error_of("bad_clip_not_constant.onnx") ==
        "ONNX node 'clip' (Clip): min 'lo' is not a constant; xdpml needs it as an initializer "
        "or the output of a Constant node");
  CHECK(error_of("bad_clip_no_min.onnx") ==
        "ONNX node 'clip' (Clip) has no min; xdpml supports Clip with both a min and a max");
}

TEST_CASE("ONNX: bad weights are errors naming the initializer", "[onnx]") {
  const Diagnostic int64 = rejection("bad_weight_int64.onnx");
  CHECK(int64.message == "initializer 'W' has data type INT64; xdpml reads FLOAT or DOUBLE values");
  CHECK(int64.location.context == "node 'fc' (Gemm)");
  CHECK(int64.location.file == case_path("bad_weight_int64.onnx"));
  CHECK(error_of("bad_raw_data_length.onnx") ==
        "initializer 'W' has 20 bytes of raw_data; FLOAT [2, 3] needs 24");
  CHECK(error_of("bad_float_data_count.onnx") ==
        "initializer 'W' has 5 values in float_data; FLOAT [2, 3] needs 6");
  // NaN passes the importer; validate() refuses it, naming the layer.
  const Diagnostic nan = rejection("bad_nan_weight.onnx");
  CHECK(nan.message == "fc has a weight or bias that is NaN or infinite");
  CHECK(nan.location.context == "node 'fc' (Gemm)");
}

TEST_CASE("ONNX: graphs that are not one chain of nodes are refused", "[onnx]") {
  const Diagnostic branch = rejection("bad_branch.onnx");
  CHECK(branch.message ==
        "the ONNX graph branches: value 'h' feeds node 'r' (Relu) and node 't' (Tanh)");
  CHECK(branch.hint == "xdpml supports a single chain of nodes from the input to the output");
  CHECK(error_of("bad_two_inputs.onnx") ==
        "the ONNX graph has 2 inputs ('x', 'z'); xdpml takes one feature vector");
  CHECK(error_of("bad_reshape_width.onnx") ==
        "ONNX node 'rs' (Reshape) to [2, 2] does not keep the 4 features as one vector; "
        "supported shapes: [1, 4], [4], [-1, 4], [1, -1]");
  CHECK(error_of("bad_batch.onnx") == "graph input 'x' has batch size 8; xdpml evaluates one "
                                      "feature vector at a time (batch 1 or symbolic)");
}

TEST_CASE("ONNX: a chain ending in two or more scores is a classifier", "[onnx]") {
  // Without Softmax/ArgMax, logits: a regression would produce one value.
  const Model m = load("bad_regression_width.onnx");
  CHECK(m.output.kind == OutputKind::ArgMax);
  CHECK(m.output_width() == 2);
}

TEST_CASE("ONNX: bytes that are not a model are refused, never crash", "[onnx]") {
  const Diagnostic garbage = rejection("garbage.onnx");
  CHECK(garbage.message == "not an ONNX model");
  CHECK(garbage.location.file == case_path("garbage.onnx"));
  auto empty = read_onnx_bytes("", "<bytes>");
  REQUIRE_FALSE(empty);
  CHECK(empty.diagnostics().items().front().message == "not an ONNX model");
  CHECK(empty.diagnostics().items().front().hint == "it has no graph");
  auto missing = read_onnx_file(case_path("no-such-model.onnx"));
  REQUIRE_FALSE(missing);
  CHECK(missing.diagnostics().items().front().message == "cannot open ONNX model '" +
                                                             case_path("no-such-model.onnx") +
                                                             "': No such file or directory");
  auto huge = read_onnx_bytes(std::string((size_t{64} << 20) + 1, '\0'), "<huge>");
  REQUIRE_FALSE(huge);
  CHECK(huge.diagnostics().items().front().message ==
        "the ONNX model has 67108865 bytes; xdpml reads models of at most 64 MiB");

  // Every prefix and a few corruptions of a real export: an error with a message, or a model.
  const std::string bytes = read_bytes("torch_mlp.onnx");
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = read_onnx_bytes(bytes.substr(0, n), "<prefix>");
    if (!r) REQUIRE_FALSE(r.diagnostics().items().front().message.empty());
  }
  for (size_t k = 0; k < bytes.size(); k += 7) {
    std::string b = bytes;
    b[k] = static_cast<char>(b[k] ^ 0xff);
    auto r = read_onnx_bytes(b, "<flipped>");
    if (!r) REQUIRE_FALSE(r.diagnostics().items().front().message.empty());
  }
}
