// The network front end without the packet path: fidelity of the quantized examples against
// the float model (torch's outputs committed beside each example), the exact error texts of
// bad models and data, the tanh/sigmoid fits, widening, and --verify's own checks.
#include "bpf/kernel.hpp"
#include "compiler/anova/compile.hpp"
#include "compiler/model/compile.hpp"
#include "compiler/model/json_import.hpp"
#include "compiler/model/lower.hpp"
#include "compiler/model/pwl.hpp"
#include "test_support.hpp"

#include <cmath>
#include <map>

using namespace xdpml;
using namespace xdpml::model;

namespace {

std::string dir(const std::string& name) {
  return testing::source_path("examples/models/" + name + "/");
}

Model load(const std::string& name, const std::string& file = "model.json") {
  auto m = read_model_file(dir(name) + file);
  INFO((m ? "" : m.diagnostics().render()));
  REQUIRE(m);
  return *m;
}

FeatureTable table(const std::string& name, const std::string& file, uint32_t features) {
  auto t = read_feature_csv(dir(name) + file, features);
  INFO((t ? "" : t.diagnostics().render()));
  REQUIRE(t);
  return *t;
}

std::string first_error(const Failure& f) {
  return f.diagnostics.items().front().message;
}

std::string json_error(const std::string& text) {
  auto m = read_model_json_text(text, "m.json");
  REQUIRE_FALSE(m);
  return first_error(m.failure());
}

const char* kTiny = R"({"xdpml_model": 1, "input": {"features": 2, "min": [-1, -1], "max": [1, 1]},
  "layers": [{"type": "dense", "weights": [[0.5, -0.25], [1, 2]], "bias": [0, 0.1]},
             {"type": "relu"}, {"type": "dense", "weights": [[1, -1]], "bias": [0]}]})";

} // namespace

TEST_CASE("quantized examples stay close to the float model (torch's outputs)", "[model]") {
  SECTION("Aurora-shape regression: mean <= 0.25%, max <= 1% of the output range [0, 1]") {
    const Model m = load("aurora");
    const auto calib = table("aurora", "calib.csv", 30);
    const auto test = table("aurora", "test.csv", 30);
    const auto torch = read_feature_csv(dir("aurora") + "test.float.csv", 1);
    REQUIRE(torch);
    auto net = compile_model(m, &calib, {});
    REQUIRE(net);
    const QModel& q = net->quantized.q;
    double sum = 0, worst = 0, float_vs_torch = 0;
    for (size_t r = 0; r < test.rows.size(); ++r) {
      const double want = torch->rows[r][0];
      const double got =
          static_cast<double>(decide(q, wire_values(q, test.rows[r])).result) / q.output_scale;
      sum += std::fabs(got - want);
      worst = std::max(worst, std::fabs(got - want));
      float_vs_torch =
          std::max(float_vs_torch, std::fabs(evaluate_float(m, test.rows[r])[0] - want));
    }
    const double mean = sum / static_cast<double>(test.rows.size());
    INFO("mean " << mean << " max " << worst);
    CHECK(float_vs_torch < 1e-5); // the importer's float model is torch's model
    CHECK(mean <= 0.0025);
    CHECK(worst <= 0.01);
    // The ONNX export (no declared ranges: calibration ranges with their margin) is as close.
    auto onnx = compile_model(load("aurora", "model.onnx"), &calib, {});
    REQUIRE(onnx);
    const QModel& qo = onnx->quantized.q;
    double osum = 0, oworst = 0;
    for (size_t r = 0; r < test.rows.size(); ++r) {
      const double got =
          static_cast<double>(decide(qo, wire_values(qo, test.rows[r])).result) / qo.output_scale;
      osum += std::fabs(got - torch->rows[r][0]);
      oworst = std::max(oworst, std::fabs(got - torch->rows[r][0]));
    }
    INFO("ONNX: mean " << osum / 1000 << " max " << oworst);
    CHECK(osum / static_cast<double>(test.rows.size()) <= 0.0025);
    CHECK(oworst <= 0.01);
  }
  SECTION("classifier: argmax agreement >= 99.5%, accuracy within 0.5 points of float") {
    const Model m = load("classifier");
    const auto calib = table("classifier", "calib.csv", 6);
    const auto test = table("classifier", "test.csv", 6);
    auto net = compile_model(m, &calib, {});
    REQUIRE(net);
    const Fidelity fid = measure_fidelity(m, net->quantized.q, test);
    REQUIRE(fid.labelled == test.rows.size());
    const double agree = static_cast<double>(fid.agree) / static_cast<double>(fid.rows);
    const double acc_f = static_cast<double>(fid.float_correct) / static_cast<double>(fid.labelled);
    const double acc_q =
        static_cast<double>(fid.quantized_correct) / static_cast<double>(fid.labelled);
    INFO("agreement " << agree << " accuracy float " << acc_f << " quantized " << acc_q);
    CHECK(agree >= 0.995);
    CHECK(std::fabs(acc_f - acc_q) <= 0.005);
  }
}

TEST_CASE("tanh and sigmoid fits: measured maximum errors", "[model]") {
  // The documented bounds (docs/compiler.md) at the default scales: Q12 in, Q14 out.
  const std::map<int, std::pair<double, double>> bound = {
      {8, {0.025, 0.0125}}, {16, {0.0045, 0.0025}}, {32, {0.0012, 0.0008}}};
  for (const auto& [segments, limits] : bound) {
    const PwlFit t = fit_pwl(Curve::Tanh, 4096, 16384, segments);
    const PwlFit s = fit_pwl(Curve::Sigmoid, 4096, 16384, segments);
    INFO(segments << " segments: tanh " << t.max_error << ", sigmoid " << s.max_error);
    CHECK(static_cast<int>(t.table.start.size()) <= segments);
    CHECK(t.max_error <= limits.first);
    CHECK(s.max_error <= limits.second);
    // Odd and monotone enough that saturation is exact at the ends.
    CHECK(t.table.eval(-1000000) == -16384);
    CHECK(t.table.eval(1000000) == 16384);
    CHECK(s.table.eval(-1000000) == 0);
    CHECK(s.table.eval(1000000) == 16384);
  }
}

TEST_CASE("bad models and data: exact errors", "[model]") {
  CHECK(json_error(R"({"xdpml_model": 1, "input": {"features": 2},
    "layers": [{"type": "conv2d"}]})") == "field layers[0].type: unknown layer type \"conv2d\"");
  CHECK(json_error(R"({"xdpml_model": 1, "input": {"features": 3},
    "layers": [{"type": "dense", "weights": [[1, 2]], "bias": [0]}]})") ==
        "shape mismatch: layers[0] takes 2 inputs but the layer before it produces 3");
  CHECK(json_error(R"({"xdpml_model": 1, "input": {"features": 2},
    "layers": [{"type": "dense", "weights": [[1, 2], [3]]}]})") ==
        "field layers[0].weights[1]: has 1 values, row 0 has 2");
  CHECK(json_error(R"({"xdpml_model": 1, "input": {"features": 2},
    "layers": [{"type": "dense", "weights": [[1, 1e400]]}]})")
            .starts_with("the model is not usable JSON: "));
  CHECK(json_error(R"({"xdpml_model": 1, "input": {"features": 2}, "colour": 3,
    "layers": []})") == "field colour: is not a known field");
  CHECK(json_error(R"({"input": {"features": 2}, "layers": []})") ==
        "field xdpml_model: is missing");
  CHECK(json_error(R"({"xdpml_model": 1, "input": {"features": 2},
    "layers": [{"type": "dense", "weights": [[1, 2]], "bias": [0]}, {"type": "softmax"},
               {"type": "relu"}]})") == "layers[1]: softmax is supported only as the last layer");
  CHECK(json_error("{\"xdpml_model\": 1,\n \"input\": {\"features\": 2,}}")
            .starts_with("the model is not valid JSON: parse error"));
  // A parse error points at its line and column.
  auto bad =
      read_model_json_text("{\"xdpml_model\": 1,\n \"input\": {\"features\": 2,}}", "m.json");
  REQUIRE_FALSE(bad);
  CHECK(bad.diagnostics().items()[0].location.line == 2);

  // Calibration rows with the wrong column count.
  auto rows = read_feature_csv_text("a,b\n1,2\n3,4,5,6\n", 2, "calib.csv");
  REQUIRE_FALSE(rows);
  CHECK(first_error(rows.failure()) ==
        "row has 4 columns; the model takes 2 features (and an optional label column)");
  CHECK(rows.diagnostics().items()[0].location.line == 3);
  auto text = read_feature_csv_text("1,2\nx,4\n", 2, "calib.csv");
  REQUIRE_FALSE(text);
  CHECK(first_error(text.failure()) == "column 1 is not a number: 'x'");
  auto mixed = read_feature_csv_text("1,2\n1,2,0\n", 2, "calib.csv");
  REQUIRE_FALSE(mixed);
  CHECK(first_error(mixed.failure()) == "row has 3 columns, the first row had 2");

  // No ranges and no calibration: the clamps (and so the overflow proof) cannot be chosen.
  auto m = read_model_json_text(R"({"xdpml_model": 1, "input": {"features": 2},
    "layers": [{"type": "dense", "weights": [[1, 2]], "bias": [0]}]})",
                                "m.json");
  REQUIRE(m);
  auto q = compile_model(*m, nullptr, {});
  REQUIRE_FALSE(q);
  CHECK(first_error(q.failure()) == "the model declares no input ranges (input.min/max) and no "
                                    "calibration data was given");
  // Pre-quantized weights too large for any register: the range pass refuses, naming the node.
  // 129 weights of 2^24 and one of -1 on u32 features: the sum spans beyond both int64 and
  // uint64.
  auto list = [](const std::string& v, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += (i ? "," : "") + v;
    return out;
  };
  auto huge = read_model_json_text(
      R"({"xdpml_model": 1, "input": {"features": 130, "encoding": "u32", "scale": 1, "min": [)" +
          list("0", 130) + R"(], "max": [)" + list("4294967295", 130) +
          R"(]}, "layers": [{"type": "dense", "weights_int": [[)" + list("16777216", 129) +
          R"(, -1]], "weight_scale": 1}]})",
      "huge.json");
  REQUIRE(huge);
  auto refused = compile_model(*huge, nullptr, {});
  REQUIRE_FALSE(refused);
  CHECK(first_error(refused.failure()) ==
        "value may not fit in 64 bits: proven range [-4294967295, 9295429628728442880] [%523 = "
        "sub %522, %136    ; [-4294967295, 9295429628728442880]    ; layers[0][0]]");
  CHECK(refused.diagnostics().items()[0].location.context.starts_with("model node 'layers[0]["));
  // An output scale the 32-bit result field cannot carry.
  auto big = read_model_json_text(R"({"xdpml_model": 1,
    "input": {"features": 1, "min": [-1000], "max": [1000]},
    "layers": [{"type": "dense", "weights": [[1000]], "bias": [0]}],
    "output": {"kind": "regression", "scale": 1e9}})",
                                  "m.json");
  REQUIRE(big);
  auto over = compile_model(*big, nullptr, {});
  REQUIRE_FALSE(over);
  CHECK(first_error(over.failure()) ==
        "the output may not fit the 32-bit result field at scale 1e+09: proven range "
        "[-1000014893051148, 999999267574296]");
}

TEST_CASE("layers whose accumulators cannot fit 32 bits are widened and stay exact",
          "[model][kernel]") {
  // Features over the whole i32 range at scale 1: even 8-bit weights overflow 32 bits.
  auto m = read_model_json_text(R"({"xdpml_model": 1,
    "input": {"features": 3, "scale": 1, "min": [-2e9, -2e9, -2e9], "max": [2e9, 2e9, 2e9]},
    "layers": [{"type": "dense", "weights": [[0.5, -0.25, 1], [1, 2, -3]], "bias": [0, 7]},
               {"type": "relu"}, {"type": "dense", "weights": [[1, -1]], "bias": [0]}]})",
                                "wide.json");
  REQUIRE(m);
  auto net = compile_model(*m, nullptr, {});
  INFO((net ? "" : net.diagnostics().render()));
  REQUIRE(net);
  const auto& fc1 = net->report["layers"][0];
  CHECK(fc1["arithmetic"] == "alu64");
  CHECK(net->quantized.layers[0].note.find("widened to alu64") != std::string::npos);
  auto check = compiler::verify_in_kernel(net->compiled, false,
                                          verify_cases(net->quantized.q, nullptr, 20000));
  INFO((check ? "" : check.diagnostics().render()));
  REQUIRE(check);
  if (check->ran) CHECK(check->compared == 20000);
}

TEST_CASE("compile --verify refuses a program that disagrees with the reference",
          "[model][kernel]") {
  if (testing::no_kernel()) return;
  auto m = read_model_json_text(kTiny, "tiny.json");
  REQUIRE(m);
  auto net = compile_model(*m, nullptr, {});
  REQUIRE(net);
  auto good = compiler::verify_in_kernel(net->compiled, false,
                                         verify_cases(net->quantized.q, nullptr, 2000));
  REQUIRE(good);
  CHECK(good->ran);
  CHECK(good->processed_insns > 0);
  // Change one weight immediate in the generated code: the differential test must catch it.
  bool changed = false;
  for (auto& insn : net->compiled.program.insns)
    if (!changed && insn.op->name == std::string("MUL_ri_32")) {
      insn.imm += 1;
      changed = true;
    }
  REQUIRE(changed);
  auto bad = compiler::verify_in_kernel(net->compiled, false,
                                        verify_cases(net->quantized.q, nullptr, 2000));
  REQUIRE_FALSE(bad);
  CHECK(first_error(bad.failure())
            .starts_with("--verify: the kernel and the reference disagree "
                         "on test input "));
  CHECK(bad.diagnostics().items()[0].hint.starts_with("input: wire features ["));
}

TEST_CASE("ANOVA --verify cases cover every decision", "[model][anova]") {
  for (auto input : {anova::InputFormat::U32, anova::InputFormat::F64}) {
    anova::AnovaSpec spec;
    spec.input = input;
    const auto cases = anova::anova_verify_cases(spec, 3000);
    std::map<int, int> tags;
    for (size_t k = 0; k < cases.count; ++k)
      ++tags[cases.expected(cases.packet(k))[anova::kTagOffset]];
    INFO("split " << tags[1] << " no split " << tags[2] << " invalid " << tags[3]);
    CHECK(tags[1] >= 150);
    CHECK(tags[2] >= 150);
    CHECK(tags[3] >= 30);
  }
}
