// Bounded-cost tanh and sigmoid: piecewise-linear approximations on integers, fitted once per
// (curve, scales, segment count) and measured exhaustively.
//
// Input x is an integer with real value x / in_scale, output y an integer with real value
// y / out_scale. Inside [-R, R] (R = 8 for tanh, 16 for sigmoid: beyond it both curves are
// within 3e-7 of their limits) the segments are placed greedily so that every segment's error
// stays below a tolerance, and the tolerance is the smallest that needs at most `segments`
// pieces; outside, two constant segments saturate. The reported maximum error is measured on
// every integer of [-R, R] * in_scale, not estimated, and the tails add at most the curve's
// distance to its limit at R.
#pragma once

#include "compiler/ir.hpp"

#include <string>

namespace xdpml::model {

enum class Curve { Tanh, Sigmoid };
const char* curve_name(Curve c);

struct PwlFit {
  compiler::PiecewiseTable table;
  double max_error = 0;  // in real output units, over every integer input
  double mean_error = 0; // the same, averaged
  double domain = 0;     // R
};

PwlFit fit_pwl(Curve curve, double in_scale, double out_scale, int segments);

} // namespace xdpml::model
