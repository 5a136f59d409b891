#include "measure/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace xdpml::measure {

double quantile_sorted(std::span<const double> sorted, double q) {
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  q = std::clamp(q, 0.0, 1.0);
  const double h = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

double quantile(std::span<const double> values, double q) {
  std::vector<double> v(values.begin(), values.end());
  std::sort(v.begin(), v.end());
  return quantile_sorted(v, q);
}

double median(std::span<const double> values) {
  return quantile(values, 0.5);
}

namespace {

// log of the binomial(n, 1/2) probability mass at k, via lgamma so that n may be large.
double log_binom_half(size_t n, size_t k) {
  const double dn = static_cast<double>(n), dk = static_cast<double>(k);
  return std::lgamma(dn + 1) - std::lgamma(dk + 1) - std::lgamma(dn - dk + 1) - dn * std::log(2.0);
}

} // namespace

Interval median_ci(std::span<const double> values, double confidence) {
  std::vector<double> v(values.begin(), values.end());
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  if (n == 0) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan};
  }
  // P(x_(j) <= median <= x_(n-1-j)) = 1 - 2 * P(B <= j) for B ~ binomial(n, 1/2) (0-based order
  // statistics). Take the largest j whose coverage is still at least `confidence`.
  const double alpha = 1 - confidence;
  double tail = 0; // P(B <= j)
  size_t best = n; // none found yet
  for (size_t j = 0; j < n / 2; ++j) {
    tail += std::exp(log_binom_half(n, j));
    if (2 * tail > alpha) break;
    best = j;
  }
  if (best == n) return {v.front(), v.back()};
  return {v[best], v[n - 1 - best]};
}

Interval bootstrap_ci(size_t n, const std::function<double(std::span<const size_t>)>& statistic,
                      double confidence, int reps, uint64_t seed) {
  if (n == 0 || reps <= 0) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan};
  }
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, n - 1);
  std::vector<size_t> idx(n);
  std::vector<double> stats;
  stats.reserve(static_cast<size_t>(reps));
  for (int r = 0; r < reps; ++r) {
    for (auto& i : idx) i = pick(rng);
    const double s = statistic(idx);
    if (std::isfinite(s)) stats.push_back(s);
  }
  std::sort(stats.begin(), stats.end());
  const double alpha = 1 - confidence;
  return {quantile_sorted(stats, alpha / 2), quantile_sorted(stats, 1 - alpha / 2)};
}

Summary summarize(std::span<const double> values) {
  Summary s;
  s.n = values.size();
  if (values.empty()) return s;
  std::vector<double> v(values.begin(), values.end());
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.max = v.back();
  s.median = quantile_sorted(v, 0.5);
  s.p99 = quantile_sorted(v, 0.99);
  return s;
}

} // namespace xdpml::measure
