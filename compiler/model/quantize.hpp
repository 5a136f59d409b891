// Calibrated integer quantization: from a float (or pre-quantized) model::Model to the QModel
// the program implements.
//
//   inputs    per-feature wire scales (powers of two that put each feature's range near 2^15,
//             or the model's input.scale), clamped to the declared or calibrated range;
//   dense     per-output-channel weight scales: the largest that keeps the integer weights
//             within --weight-bits and the accumulator's worst case (interval arithmetic over
//             the clamped inputs) within a signed 32-bit register; where even 8-bit weights
//             cannot, the layer is widened to 64-bit arithmetic and the report says so;
//   requant   ((acc >> pre) * mult + 2^(post-1)) >> post to the next stage's scale, with mult
//             as wide as the 32-bit bound allows;
//   relu/...  exact on the integers; tanh/sigmoid through pwl.hpp;
//   output    argmax over accumulators at one common scale, or a regression value requantized
//             to the output scale (the model's, or the finest that keeps it in 31 bits).
// The range pass later proves every bound again on the generated IR; the quantizer's own
// intervals only choose the constants.
#pragma once

#include "compiler/model/features.hpp"
#include "compiler/model/graph.hpp"
#include "compiler/model/reference.hpp"
#include "support/result.hpp"

#include <string>
#include <vector>

namespace xdpml::model {

struct QuantizeOptions {
  int weight_bits = 16;         // largest |integer weight| < 2^(bits-1)
  int min_weight_bits = 8;      // below this, widen the accumulator instead of rescaling further
  int activation_bits = 15;     // hidden activations: calibrated maximum near 2^bits
  int pwl_segments = 16;        // tanh/sigmoid segments (compare-tree depth ceil(log2))
  double pwl_in_scale = 4096;   // tanh/sigmoid input: Q12
  double pwl_out_scale = 16384; // tanh/sigmoid output: Q14
  // Input ranges taken from calibration data (no input.min/max) are widened by this fraction
  // of their span on each side: a test row slightly outside the calibrated range is then not
  // clamped (the proof covers the widened range).
  double calib_margin = 0.1;
};

struct LayerReport {
  std::string name, kind, origin;
  double in_scale_min = 0, in_scale_max = 0; // scales of its inputs
  double weight_scale_min = 0, weight_scale_max = 0;
  double out_scale = 0; // scale of what it hands on
  int weight_bits = 0;  // of the largest |integer weight|, sign included
  size_t zero_weights = 0, power_of_two_weights = 0, weights = 0;
  Int acc_lo = 0, acc_hi = 0; // worst case over the clamped inputs
  bool wide = false;          // needs 64-bit arithmetic
  std::string note;           // rescaled / widened / activation fit
};

struct Quantized {
  QModel q;
  std::vector<LayerReport> layers;
  std::vector<std::string> notes;
};

// `calib` may be null when the model declares every input range and scale; it is needed to
// choose activation scales otherwise.
Result<Quantized> quantize(const Model& m, const FeatureTable* calib, const QuantizeOptions& o);

// Interval of a piecewise table over [lo, hi] (as the range pass computes it).
std::pair<Int, Int> piecewise_range(const compiler::PiecewiseTable& t, Int lo, Int hi);

} // namespace xdpml::model
