#include "compiler/model/quantize.hpp"

#include "compiler/model/pwl.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

namespace xdpml::model {

namespace {

constexpr Int kS32Max = (Int{1} << 31) - 1;

int bit_length(Int v) {
  if (v < 0) v = -v;
  int n = 0;
  while (v > 0) v >>= 1, ++n;
  return n;
}

Int magnitude(Int lo, Int hi) {
  return std::max(lo < 0 ? -lo : lo, hi < 0 ? -hi : hi);
}

std::string fmt(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// What flows between stages: per channel an integer interval and the real scale of its units
// (real = integer / scale), plus the float model's values on every calibration row at the same
// point (to choose the next scales).
struct Stage {
  std::vector<Int> lo, hi;
  std::vector<double> scale;
  std::vector<std::vector<double>> calib; // [row][channel]
  bool common_scale() const {
    for (double s : scale)
      if (s != scale[0]) return false;
    return true;
  }
  uint32_t width() const { return static_cast<uint32_t>(lo.size()); }
  // The largest real magnitude the proven integer intervals allow.
  double proven_max_abs() const {
    double m = 0;
    for (uint32_t j = 0; j < width(); ++j)
      m = std::max(m, static_cast<double>(magnitude(lo[j], hi[j])) / scale[j]);
    return m;
  }
  double calib_max_abs() const {
    double m = 0;
    for (const auto& row : calib)
      for (double v : row) m = std::max(m, std::fabs(v));
    return m;
  }
};

class Quantizer {
public:
  Quantizer(const Model& m, const FeatureTable* calib, const QuantizeOptions& o)
      : m_(m), calib_(calib), o_(o) {}

  Result<Quantized> run();

private:
  const Model& m_;
  const FeatureTable* calib_;
  const QuantizeOptions& o_;
  Quantized out_;
  Stage s_;
  std::optional<Failure> error_; // the first requantization that cannot be represented

  SourceLocation loc(const Layer& l) const { return {m_.source, 0, 0, 1, l.origin}; }
  Status inputs();
  Status dense(const Layer& l, bool common_weight_scale);
  void requant(const std::string& name, const std::string& origin, std::vector<double> target);
  // Scale for hidden activations: the calibrated maximum near 2^activation_bits.
  double activation_scale(double max_abs) const {
    if (max_abs <= 0) return 1;
    return (std::ldexp(1.0, o_.activation_bits) - 1) / max_abs;
  }
  void float_step(const Layer& l) {
    for (auto& row : s_.calib) row = apply_layer(l, std::move(row));
  }
};

Status Quantizer::inputs() {
  const InputSpec& in = m_.input;
  QModel& q = out_.q;
  q.features = in.features;
  q.encoding = in.encoding;
  const bool declared = !in.min.empty() && !in.max.empty();
  if (!declared && !calib_)
    return fail("the model declares no input ranges (input.min/max) and no calibration data "
                "was given",
                {m_.source, 0, 0, 1, "input"}, "pass --calib FILE (rows of feature values)");
  std::vector<double> lo(in.features), hi(in.features);
  for (uint32_t i = 0; i < in.features; ++i) {
    if (declared) {
      lo[i] = in.min.size() > i ? in.min[i] : 0;
      hi[i] = in.max.size() > i ? in.max[i] : 0;
    } else {
      lo[i] = hi[i] = calib_->rows[0][i];
      for (const auto& row : calib_->rows)
        lo[i] = std::min(lo[i], row[i]), hi[i] = std::max(hi[i], row[i]);
      const double margin = (hi[i] - lo[i]) * o_.calib_margin;
      // Never across zero for a feature that is non-negative (u32 cannot carry it).
      lo[i] = lo[i] >= 0 ? std::max(0.0, lo[i] - margin) : lo[i] - margin;
      hi[i] += margin;
    }
  }
  // Per-feature scales unless the model fixes one, or its first layer comes pre-quantized
  // (its integer weights assume one input scale).
  const bool first_is_integer = !m_.layers.empty() && m_.layers[0].kind == LayerKind::Dense &&
                                m_.layers[0].integer.has_value();
  q.input_scale.resize(in.features);
  double common = 0;
  for (uint32_t i = 0; i < in.features; ++i) {
    const double range = std::max(std::fabs(lo[i]), std::fabs(hi[i]));
    double s = 1;
    if (in.scale) {
      s = *in.scale;
    } else if (range > 0) {
      s = std::ldexp(1.0, static_cast<int>(std::floor(std::log2(32767.0 / range))));
      s = std::clamp(s, std::ldexp(1.0, -20), std::ldexp(1.0, 24));
    }
    q.input_scale[i] = s;
    common = i == 0 ? s : std::min(common, s);
  }
  if (first_is_integer && !in.scale)
    for (double& s : q.input_scale) s = common;
  q.input_lo.resize(in.features);
  q.input_hi.resize(in.features);
  s_.lo.resize(in.features);
  s_.hi.resize(in.features);
  for (uint32_t i = 0; i < in.features; ++i) {
    const double wlo = std::round(lo[i] * q.input_scale[i]);
    const double whi = std::round(hi[i] * q.input_scale[i]);
    const double min_wire = in.encoding == FeatureEncoding::I32 ? -2147483648.0 : 0.0;
    const double max_wire = in.encoding == FeatureEncoding::I32 ? 2147483647.0 : 4294967295.0;
    if (wlo < min_wire || whi > max_wire)
      return fail("feature " + std::to_string(i) + " ranges over [" + fmt(lo[i]) + ", " +
                      fmt(hi[i]) + "], which " + encoding_name(in.encoding) +
                      " cannot carry at scale " + fmt(q.input_scale[i]),
                  {m_.source, 0, 0, 1, "input"},
                  in.encoding == FeatureEncoding::U32 && lo[i] < 0
                      ? "negative features need \"encoding\": \"i32\""
                      : "lower input.scale");
    q.input_lo[i] = static_cast<int64_t>(wlo);
    q.input_hi[i] = static_cast<int64_t>(whi);
    s_.lo[i] = q.input_lo[i];
    s_.hi[i] = q.input_hi[i];
  }
  s_.scale = q.input_scale;
  if (calib_) s_.calib = calib_->rows;
  return ok_status();
}

Status Quantizer::dense(const Layer& l, bool common_weight_scale) {
  QOp op;
  op.kind = QOpKind::Dense;
  op.name = l.name;
  op.origin = l.origin;
  op.in = l.in;
  op.width = l.out;
  LayerReport rep;
  rep.name = l.name;
  rep.kind = "dense";
  rep.origin = l.origin;
  rep.in_scale_min = *std::min_element(s_.scale.begin(), s_.scale.end());
  rep.in_scale_max = *std::max_element(s_.scale.begin(), s_.scale.end());
  rep.weights = static_cast<size_t>(l.in) * l.out;
  const Int limit32 = kS32Max;
  std::vector<double> acc_scale(l.out);
  // Worst-case |acc| for a channel at accumulator scale A (integer weights round(w' * A)).
  auto wint = [&](uint32_t j, uint32_t i, double a) -> Int {
    return static_cast<Int>(std::llround(l.weight(j, i) / s_.scale[i] * a));
  };
  auto bias_int = [&](uint32_t j, double a) -> Int {
    if (l.integer && !l.integer->bias_q.empty()) return l.integer->bias_q[j];
    return l.bias.empty() ? 0 : static_cast<Int>(std::llround(l.bias[j] * a));
  };
  auto bound = [&](uint32_t j, double a) {
    Int b = bias_int(j, a);
    Int worst = b < 0 ? -b : b;
    for (uint32_t i = 0; i < l.in; ++i) {
      Int w = wint(j, i, a);
      if (w < 0) w = -w;
      worst += w * magnitude(s_.lo[i], s_.hi[i]);
    }
    return worst;
  };
  bool rescaled = false, widened = false;
  if (l.integer) {
    // Pre-quantized: the integer weights as they are; the accumulator's scale follows.
    if (!s_.common_scale())
      return fail(l.name + " has integer weights but its inputs have different scales", loc(l),
                  "give the model one input.scale");
    for (uint32_t j = 0; j < l.out; ++j) {
      const double ws = l.integer->scale[l.integer->scale.size() == 1 ? 0 : j];
      acc_scale[j] = s_.scale[0] / ws;
    }
    if (l.integer->bias_q.size() && l.integer->bias_q.size() != l.out)
      return fail(l.name + ": bias_int needs one value per output", loc(l));
  } else {
    const double full = std::ldexp(1.0, o_.weight_bits - 1) - 1;
    const double floor_w = std::ldexp(1.0, o_.min_weight_bits - 1) - 1;
    for (uint32_t j = 0; j < l.out; ++j) {
      double max_w = 0;
      for (uint32_t i = 0; i < l.in; ++i)
        max_w = std::max(max_w, std::fabs(l.weight(j, i) / s_.scale[i]));
      double a = max_w > 0 ? full / max_w : 1.0;
      // Rescale until the worst case fits a signed 32-bit register (rounding may need a second
      // step), but not below min_weight_bits of precision: widen instead.
      for (int step = 0; step < 64 && bound(j, a) > limit32; ++step) {
        const double shrink = static_cast<double>(limit32) / static_cast<double>(bound(j, a));
        const double next = a * std::min(0.999, shrink * 0.999);
        if (max_w > 0 && next * max_w < floor_w) {
          a = floor_w / max_w;
          break;
        }
        a = next;
        rescaled = true;
      }
      acc_scale[j] = a;
    }
    if (common_weight_scale) {
      const double a = *std::min_element(acc_scale.begin(), acc_scale.end());
      std::fill(acc_scale.begin(), acc_scale.end(), a);
    }
  }
  op.w.resize(rep.weights);
  op.b.resize(l.out);
  std::vector<Int> lo(l.out), hi(l.out);
  Int max_abs_w = 0;
  for (uint32_t j = 0; j < l.out; ++j) {
    const double a = acc_scale[j];
    Int acc_lo = bias_int(j, a), acc_hi = acc_lo;
    op.b[j] = static_cast<int64_t>(acc_lo);
    for (uint32_t i = 0; i < l.in; ++i) {
      const size_t k = static_cast<size_t>(j) * l.in + i;
      const Int w = l.integer ? Int{l.integer->q[k] - l.integer->zero_point} : wint(j, i, a);
      op.w[k] = static_cast<int64_t>(w);
      const Int p = w * s_.lo[i], r = w * s_.hi[i];
      acc_lo += std::min(p, r);
      acc_hi += std::max(p, r);
      const Int aw = w < 0 ? -w : w;
      max_abs_w = std::max(max_abs_w, aw);
      if (w == 0)
        ++rep.zero_weights;
      else if ((aw & (aw - 1)) == 0)
        ++rep.power_of_two_weights;
    }
    lo[j] = acc_lo;
    hi[j] = acc_hi;
    if (acc_lo < -limit32 - 1 || acc_hi > limit32) widened = true;
  }
  op.scale = acc_scale;
  rep.weight_scale_min = *std::min_element(acc_scale.begin(), acc_scale.end());
  rep.weight_scale_max = *std::max_element(acc_scale.begin(), acc_scale.end());
  rep.weight_bits = bit_length(max_abs_w) + 1;
  rep.acc_lo = *std::min_element(lo.begin(), lo.end());
  rep.acc_hi = *std::max_element(hi.begin(), hi.end());
  rep.wide = widened;
  rep.out_scale = rep.weight_scale_min;
  if (widened)
    rep.note = "accumulator needs more than 32 bits even with " + std::to_string(rep.weight_bits) +
               "-bit weights: widened to alu64";
  else if (rescaled)
    rep.note = "weights rescaled to " + std::to_string(rep.weight_bits) +
               " bits so that the accumulator fits 32 bits";
  else
    rep.note = "accumulator fits 32 bits";
  s_.lo = lo;
  s_.hi = hi;
  s_.scale = acc_scale;
  float_step(l);
  out_.q.ops.push_back(std::move(op));
  out_.layers.push_back(rep);
  return ok_status();
}

void Quantizer::requant(const std::string& name, const std::string& origin,
                        std::vector<double> target) {
  QOp op;
  op.kind = QOpKind::Requant;
  op.name = name;
  op.origin = origin;
  op.width = s_.width();
  const uint32_t n = s_.width();
  op.pre.resize(n);
  op.post.resize(n);
  op.mult.resize(n);
  std::vector<Int> lo(n), hi(n);
  for (uint32_t j = 0; j < n; ++j) {
    const double r = target[j] / s_.scale[j];
    const Int m = magnitude(s_.lo[j], s_.hi[j]);
    const int pre = std::max(0, bit_length(m) - 16);
    const Int mp = (m >> pre) + 1;
    int post = 0;
    Int mult = 0;
    for (int p = 40; p >= 0; --p) {
      const double mf = std::round(std::ldexp(r, pre + p));
      // An upscaling factor that does not fit 31 bits even without a fraction: a 64-bit
      // multiply (the range pass then widens it, or refuses what cannot fit 64 bits).
      if (mf > 2147483647.0 && (p > 0 || mf > 1e12)) continue;
      const Int mi = static_cast<Int>(mf);
      if (mp * mi + (p ? Int{1} << (p - 1) : 0) <= kS32Max || p == 0) {
        post = p;
        mult = mi;
        break;
      }
    }
    if (mult == 0 && r > 0 && !error_)
      error_ = fail("cannot requantize " + name + " channel " + std::to_string(j) +
                        ": the scale factor " + fmt(r) +
                        " is outside what a 64-bit multiply "
                        "and shift can represent",
                    {m_.source, 0, 0, 1, origin},
                    "check the model's scales (output.scale, input.scale)");
    op.pre[j] = pre;
    op.post[j] = post;
    op.mult[j] = static_cast<int64_t>(mult);
    const Int round = post ? Int{1} << (post - 1) : 0;
    lo[j] = ((s_.lo[j] >> pre) * mult + round) >> post;
    hi[j] = ((s_.hi[j] >> pre) * mult + round) >> post;
  }
  op.scale = target;
  s_.lo = lo;
  s_.hi = hi;
  s_.scale = std::move(target);
  out_.q.ops.push_back(std::move(op));
}

Result<Quantized> Quantizer::run() {
  if (auto st = validate(m_); !st) return st.failure();
  if (calib_ && calib_->features != m_.input.features)
    return fail("calibration rows have " + std::to_string(calib_->features) +
                " features, the model takes " + std::to_string(m_.input.features));
  if (auto st = inputs(); !st) return st.failure();
  QModel& q = out_.q;
  q.name = m_.name;
  q.output = m_.output.kind;
  q.classes = m_.output.classes;
  const size_t n = m_.layers.size();
  // The last dense layer of an argmax model compares its accumulators directly: give its
  // channels one scale so that comparing integers compares the real scores.
  size_t last_dense = 0;
  for (size_t k = 0; k < n; ++k)
    if (m_.layers[k].kind == LayerKind::Dense) last_dense = k;
  bool only_order_preserving_after = true;
  for (size_t k = last_dense + 1; k < n; ++k) {
    const auto kind = m_.layers[k].kind;
    only_order_preserving_after =
        only_order_preserving_after &&
        (kind == LayerKind::Identity || kind == LayerKind::ArgMax || kind == LayerKind::Softmax);
  }
  bool raw = false; // values are accumulators (per-channel scales, full width)
  auto common_activation = [&](const std::string& name, const std::string& origin) {
    // Requantize to one scale chosen from the calibrated range at this point.
    const double s = activation_scale(s_.calib.empty() ? 0 : s_.calib_max_abs());
    const double proven = s_.proven_max_abs();
    // Without calibration, the proven range decides.
    const double scale = s_.calib.empty() ? activation_scale(proven) : s;
    requant(name, origin, std::vector<double>(s_.width(), scale));
    raw = false;
  };
  for (size_t k = 0; k < n; ++k) {
    const Layer& l = m_.layers[k];
    switch (l.kind) {
    case LayerKind::Dense:
      if (raw) common_activation(l.name + ".in", l.origin);
      if (auto st = dense(l, k == last_dense && m_.output.kind == OutputKind::ArgMax &&
                                 only_order_preserving_after);
          !st)
        return st.failure();
      raw = true;
      break;
    case LayerKind::Tanh:
    case LayerKind::Sigmoid: {
      const Curve c = l.kind == LayerKind::Tanh ? Curve::Tanh : Curve::Sigmoid;
      requant(l.name + ".in", l.origin, std::vector<double>(s_.width(), o_.pwl_in_scale));
      const PwlFit fit = fit_pwl(c, o_.pwl_in_scale, o_.pwl_out_scale, o_.pwl_segments);
      QOp op;
      op.kind = QOpKind::Piecewise;
      op.name = l.name;
      op.origin = l.origin;
      op.width = s_.width();
      op.table = fit.table;
      op.scale = {o_.pwl_out_scale};
      for (uint32_t j = 0; j < s_.width(); ++j) {
        const auto [lo, hi] = piecewise_range(fit.table, s_.lo[j], s_.hi[j]);
        s_.lo[j] = lo;
        s_.hi[j] = hi;
      }
      s_.scale.assign(s_.width(), o_.pwl_out_scale);
      float_step(l);
      q.ops.push_back(std::move(op));
      LayerReport rep;
      rep.name = l.name;
      rep.kind = curve_name(c);
      rep.origin = l.origin;
      rep.in_scale_min = rep.in_scale_max = o_.pwl_in_scale;
      rep.out_scale = o_.pwl_out_scale;
      rep.acc_lo = *std::min_element(s_.lo.begin(), s_.lo.end());
      rep.acc_hi = *std::max_element(s_.hi.begin(), s_.hi.end());
      std::ostringstream note;
      note << fit.table.start.size() << "-segment compare tree (depth "
           << bit_length(static_cast<Int>(fit.table.start.size() - 1)) << "), max error "
           << fit.max_error << ", mean " << fit.mean_error << " (measured on every input)";
      rep.note = note.str();
      out_.layers.push_back(rep);
      raw = false;
      break;
    }
    case LayerKind::Relu:
    case LayerKind::LeakyRelu:
    case LayerKind::Clip: {
      if (raw) {
        // Scale from what the activation lets through on the calibration data.
        Stage probe = s_;
        for (auto& row : probe.calib) row = apply_layer(l, row);
        double s = activation_scale(probe.calib.empty() ? 0 : probe.calib_max_abs());
        if (probe.calib.empty()) {
          const double proven = s_.proven_max_abs();
          s = activation_scale(proven);
        }
        requant(l.name + ".in", l.origin, std::vector<double>(s_.width(), s));
        raw = false;
      }
      QOp op;
      op.name = l.name;
      op.origin = l.origin;
      op.width = s_.width();
      op.scale = s_.scale;
      if (l.kind == LayerKind::Relu) {
        op.kind = QOpKind::Relu;
        for (uint32_t j = 0; j < s_.width(); ++j)
          s_.lo[j] = std::max<Int>(s_.lo[j], 0), s_.hi[j] = std::max<Int>(s_.hi[j], 0);
      } else if (l.kind == LayerKind::LeakyRelu) {
        op.kind = QOpKind::LeakyRelu;
        Int m = 0;
        for (uint32_t j = 0; j < s_.width(); ++j) m = std::max(m, magnitude(s_.lo[j], s_.hi[j]));
        const int post = std::clamp(30 - bit_length(m), 0, 16);
        op.pre = {0};
        op.post = {post};
        op.mult = {static_cast<int64_t>(std::llround(std::ldexp(l.alpha, post)))};
        for (uint32_t j = 0; j < s_.width(); ++j)
          s_.lo[j] = std::max(s_.lo[j], (s_.lo[j] * op.mult[0]) >> post);
      } else {
        op.kind = QOpKind::Clamp;
        // One scale for all channels here (a requant or an activation made it so).
        op.lo = static_cast<int64_t>(std::llround(l.clip_lo * s_.scale[0]));
        op.hi = static_cast<int64_t>(std::llround(l.clip_hi * s_.scale[0]));
        for (uint32_t j = 0; j < s_.width(); ++j) {
          s_.lo[j] = std::clamp<Int>(s_.lo[j], op.lo, op.hi);
          s_.hi[j] = std::clamp<Int>(s_.hi[j], op.lo, op.hi);
        }
      }
      float_step(l);
      q.ops.push_back(std::move(op));
      break;
    }
    case LayerKind::Identity:
    case LayerKind::ArgMax:
    case LayerKind::Softmax:
      float_step(l);
      break;
    }
  }
  if (q.output == OutputKind::Regression) {
    // The result travels as a signed 32-bit integer: the model's scale, or the finest power of
    // two that keeps the proven range inside 31 bits.
    const double proven = s_.proven_max_abs();
    double target = s_.scale[0];
    if (m_.output.scale)
      target = *m_.output.scale;
    else if (raw)
      target = proven > 0
                   ? std::ldexp(1.0, static_cast<int>(std::floor(std::log2(2147483000.0 / proven))))
                   : 1.0;
    if (raw || target != s_.scale[0]) requant("output", "output", {target});
    if (error_) return *error_;
    if (s_.lo[0] < -kS32Max - 1 || s_.hi[0] > kS32Max)
      return fail("the output may not fit the 32-bit result field at scale " + fmt(target) +
                      ": proven range [" + compiler::to_string(s_.lo[0]) + ", " +
                      compiler::to_string(s_.hi[0]) + "]",
                  {m_.source, 0, 0, 1, "output"}, "lower output.scale");
    q.output_scale = target;
    if (error_) return *error_;
  } else if (raw && !s_.common_scale()) {
    common_activation("output", "output");
  }
  if (error_) return *error_;
  return out_;
}

} // namespace

std::pair<Int, Int> piecewise_range(const compiler::PiecewiseTable& t, Int lo, Int hi) {
  bool any = false;
  Int out_lo = 0, out_hi = 0;
  for (size_t k = 0; k < t.start.size(); ++k) {
    const Int a = k == 0 ? lo : std::max(lo, t.start[k]);
    const Int b = k + 1 == t.start.size() ? hi : std::min(hi, t.start[k + 1] - 1);
    if (a > b) continue;
    const Int p = (t.slope[k] * a + t.offset[k]) >> t.shift;
    const Int r = (t.slope[k] * b + t.offset[k]) >> t.shift;
    out_lo = any ? std::min({out_lo, p, r}) : std::min(p, r);
    out_hi = any ? std::max({out_hi, p, r}) : std::max(p, r);
    any = true;
  }
  return {out_lo, out_hi};
}

Result<Quantized> quantize(const Model& m, const FeatureTable* calib, const QuantizeOptions& o) {
  return Quantizer(m, calib, o).run();
}

} // namespace xdpml::model
