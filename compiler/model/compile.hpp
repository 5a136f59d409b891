// `xdpml compile model`: model file + calibration -> quantized network -> IR -> object whose
// I/O contract carries the packet layout, the quantized network (for the bit-exact reference)
// and the float model (for fidelity checks).
#pragma once

#include "compiler/driver.hpp"
#include "compiler/match.hpp"
#include "compiler/model/features.hpp"
#include "compiler/model/graph.hpp"
#include "compiler/model/quantize.hpp"
#include "compiler/verify.hpp"

#include <nlohmann/json.hpp>

namespace xdpml::model {

struct ModelCompileOptions {
  QuantizeOptions quant;
  compiler::MatchSpec match;
  compiler::CompileOptions codegen;
};

struct CompiledNetwork {
  compiler::CompiledModel compiled;
  Quantized quantized;
  nlohmann::json report; // per layer: scales, proven accumulator ranges, widths; fidelity
};

Result<CompiledNetwork> compile_model(const Model& m, const FeatureTable* calib,
                                      const ModelCompileOptions& o);

// How quantized outputs compare with the float model on a data set.
struct Fidelity {
  size_t rows = 0;
  // Regression: |quantized - float| in real output units.
  double mean_abs = 0, max_abs = 0;
  // Classifier: argmax agreement with the float model, and accuracy of both against labels.
  size_t agree = 0;
  size_t labelled = 0, float_correct = 0, quantized_correct = 0;
  nlohmann::json to_json(const QModel& q) const;
};
Fidelity measure_fidelity(const Model& m, const QModel& q, const FeatureTable& data);

// Inputs for differential checks (--verify, tests): the rows of `data` (when given), then
// random rows inside the clamp ranges, around them (exercising the clamps) and arbitrary
// 32-bit patterns, in that rotation, until `count` wire vectors.
std::vector<std::vector<int64_t>> check_inputs(const QModel& q, const FeatureTable* data,
                                               size_t count, uint64_t seed);

// --verify for a compiled network: `count` packets from check_inputs, each expected to come
// back with decide()'s tag and result.
compiler::VerifyCases verify_cases(const QModel& q, const FeatureTable* data, size_t count);

// The float model back in the JSON model format (the contract carries it).
nlohmann::json model_to_json(const Model& m);

} // namespace xdpml::model
