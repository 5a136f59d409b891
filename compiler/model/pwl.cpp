#include "compiler/model/pwl.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <sstream>
#include <tuple>

namespace xdpml::model {

const char* curve_name(Curve c) {
  return c == Curve::Tanh ? "tanh" : "sigmoid";
}

namespace {

using compiler::Int;

constexpr int kShift = 12; // fraction bits of slope and offset

double curve(Curve c, double x) {
  return c == Curve::Tanh ? std::tanh(x) : 1.0 / (1.0 + std::exp(-x));
}

struct Fitter {
  Curve c;
  double in_scale, out_scale;
  int64_t lo, hi;        // integer domain
  std::vector<double> F; // target in output units: F[x - lo]
  double target(int64_t x) const { return F[static_cast<size_t>(x - lo)]; }

  // The minimax-shifted chord of [a, b] as (slope, offset) in 2^-kShift units, and its error
  // bound estimated on at most ~128 samples.
  std::pair<Int, Int> line(int64_t a, int64_t b) const {
    const double fa = target(a), fb = target(b);
    const double m = b > a ? (fb - fa) / static_cast<double>(b - a) : 0.0;
    double dmin = 0, dmax = 0;
    const int64_t step = std::max<int64_t>(1, (b - a) / 128);
    for (int64_t x = a; x <= b; x += step) {
      const double d = target(x) - (fa + m * static_cast<double>(x - a));
      dmin = std::min(dmin, d), dmax = std::max(dmax, d);
    }
    const double c0 = fa - m * static_cast<double>(a) + (dmin + dmax) / 2; // value at x = 0
    const double unit = std::ldexp(1.0, kShift);
    return {static_cast<Int>(std::llround(m * unit)),
            static_cast<Int>(std::llround(c0 * unit + unit / 2))}; // + 1/2: >> rounds to nearest
  }
  double seg_error(int64_t a, int64_t b) const {
    const auto [slope, offset] = line(a, b);
    double e = 0;
    const int64_t step = std::max<int64_t>(1, (b - a) / 128);
    for (int64_t x = a; x <= b; x += step)
      e = std::max(e, std::fabs(static_cast<double>((slope * x + offset) >> kShift) - target(x)));
    return e;
  }
  // Greedy: longest segments under `tol`; returns their starts.
  std::vector<int64_t> cover(double tol, size_t limit) const {
    std::vector<int64_t> starts;
    int64_t a = lo;
    while (a <= hi) {
      starts.push_back(a);
      if (starts.size() > limit) return starts;
      int64_t good = a, bad = hi + 1;
      if (seg_error(a, hi) <= tol) good = hi;
      while (bad - good > 1) {
        const int64_t mid = good + (bad - good) / 2;
        (seg_error(a, mid) <= tol ? good : bad) = mid;
      }
      a = good + 1;
    }
    return starts;
  }
};

} // namespace

PwlFit fit_pwl(Curve c, double in_scale, double out_scale, int segments) {
  // The same fit serves every layer with these parameters: compute it once per process.
  static std::mutex mu;
  static std::map<std::tuple<int, double, double, int>, PwlFit> cache;
  const auto key = std::make_tuple(static_cast<int>(c), in_scale, out_scale, segments);
  {
    std::lock_guard lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  PwlFit fit;
  fit.domain = c == Curve::Tanh ? 8.0 : 16.0;
  Fitter f{c, in_scale, out_scale, 0, 0, {}};
  f.hi = static_cast<int64_t>(std::floor(fit.domain * in_scale));
  f.lo = -f.hi;
  f.F.resize(static_cast<size_t>(f.hi - f.lo + 1));
  for (int64_t x = f.lo; x <= f.hi; ++x)
    f.F[static_cast<size_t>(x - f.lo)] = curve(c, static_cast<double>(x) / in_scale) * out_scale;
  const size_t inner = static_cast<size_t>(std::max(1, segments - 2));
  double lo_tol = 0, hi_tol = out_scale; // hi_tol always succeeds (one flat segment is < 1 off)
  for (int it = 0; it < 24; ++it) {      // to 2^-24 of the output scale: far below one unit
    const double mid = (lo_tol + hi_tol) / 2;
    (f.cover(mid, inner).size() <= inner ? hi_tol : lo_tol) = mid;
  }
  const auto starts = f.cover(hi_tol, inner);
  auto& t = fit.table;
  t.shift = kShift;
  // Left tail: constant, the curve's value at -R.
  const Int unit = Int{1} << kShift;
  t.start.push_back(0); // -inf
  t.slope.push_back(0);
  t.offset.push_back(static_cast<Int>(std::llround(f.target(f.lo))) * unit);
  for (size_t k = 0; k < starts.size(); ++k) {
    const int64_t a = starts[k], b = k + 1 < starts.size() ? starts[k + 1] - 1 : f.hi;
    const auto [slope, offset] = f.line(a, b);
    t.start.push_back(a);
    t.slope.push_back(slope);
    t.offset.push_back(offset);
  }
  t.start.push_back(f.hi + 1);
  t.slope.push_back(0);
  t.offset.push_back(static_cast<Int>(std::llround(f.target(f.hi))) * unit);
  // Measure exactly, on every integer of the domain.
  double worst = 0, sum = 0;
  for (int64_t x = f.lo; x <= f.hi; ++x) {
    const double exact = curve(c, static_cast<double>(x) / in_scale);
    const double e = std::fabs(static_cast<double>(t.eval(x)) / out_scale - exact);
    worst = std::max(worst, e);
    sum += e;
  }
  const double tail =
      c == Curve::Tanh ? 1.0 - std::tanh(fit.domain) : 1.0 / (1.0 + std::exp(fit.domain));
  fit.max_error = std::max(worst, tail + 0.5 / out_scale);
  fit.mean_error = sum / static_cast<double>(f.hi - f.lo + 1);
  std::ostringstream what;
  what << curve_name(c) << ", " << t.start.size() << " segments, max error " << fit.max_error;
  t.what = what.str();
  std::lock_guard lock(mu);
  cache.emplace(key, fit);
  return fit;
}

} // namespace xdpml::model
