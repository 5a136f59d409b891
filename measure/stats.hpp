// Statistics for timing samples: quantiles, distribution-free confidence intervals for a median
// (order statistics), and a percentile bootstrap for anything else (differences, ratios, p99).
//
// Timing samples are skewed and heavy-tailed (interrupts, preemption, cache misses), so every
// estimate here is a median or a quantile, never a mean, and every interval is one that does not
// assume a normal distribution.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace xdpml::measure {

// Quantile q in [0, 1] with linear interpolation between order statistics (R's type 7, numpy's
// default). NaN for an empty input.
double quantile(std::span<const double> values, double q);
double quantile_sorted(std::span<const double> sorted, double q);
double median(std::span<const double> values);

struct Interval {
  double lo = 0;
  double hi = 0;
  bool contains(double x) const { return lo <= x && x <= hi; }
};

// Distribution-free confidence interval for the median of n i.i.d. samples: [x_(j), x_(k)] with
// j, k the order statistics whose binomial(n, 1/2) coverage is at least `confidence` (the
// interval behind the sign test). Needs no bootstrap and is exact for continuous data. With too
// few samples for the requested coverage (n < 6 at 95 %) the whole range is returned.
Interval median_ci(std::span<const double> values, double confidence = 0.95);

// Percentile bootstrap: `reps` resamples of indices 0..n-1 drawn with replacement; `statistic`
// maps one resample to a number; the interval is the (1-c)/2 and (1+c)/2 quantiles of those
// numbers. The generator is seeded, so the same data always gives the same interval.
Interval bootstrap_ci(size_t n, const std::function<double(std::span<const size_t>)>& statistic,
                      double confidence = 0.95, int reps = 2000, uint64_t seed = 0x7864706d6cull);

// min / median / p99 / max and the sample count, the figures reported for every distribution.
struct Summary {
  size_t n = 0;
  double min = 0;
  double median = 0;
  double p99 = 0;
  double max = 0;
};
Summary summarize(std::span<const double> values);

} // namespace xdpml::measure
