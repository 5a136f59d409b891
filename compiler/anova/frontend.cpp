#include "compiler/anova/frontend.hpp"

#include "compiler/ir_builder.hpp"

#include <algorithm>
#include <bit>
#include <string>
#include <vector>

namespace xdpml::anova {

using compiler::Cmp;
using compiler::Function;
using compiler::Int;
using compiler::IrBuilder;
using compiler::Node;
using compiler::Opcode;

uint32_t data_stride(InputFormat f) {
  return f == InputFormat::U32 ? 4 : 8;
}
uint32_t frame_bytes(InputFormat f, uint32_t window) {
  return kDataOffset + 2 * window * data_stride(f);
}

compiler::Int window_sum_limit(uint32_t window) {
  const int log2n = std::bit_width(window - 1); // ceil(log2(window)); exact for powers of two
  const int bits = std::min(30, (63 - log2n) / 2);
  return compiler::Int{1} << bits;
}

Status check_window(uint32_t window) {
  if (window < 2 || window > kMaxWindow || (window & (window - 1)) != 0)
    return fail("--window " + std::to_string(window) + " is not supported",
                {"<model>", 0, 0, 1, "anova parameters"},
                "use a power of two from 2 to " + std::to_string(kMaxWindow) +
                    " (8 is the report's wire format); the mean of A is then a shift");
  return ok_status();
}

namespace {

Int gcd(Int a, Int b) {
  if (a < 0) a = -a;
  if (b < 0) b = -b;
  while (b) {
    const Int t = a % b;
    a = b;
    b = t;
  }
  return a;
}

Int ceil_div(Int a, Int b) {
  return (a + b - 1) / b;
} // a >= 0, b > 0

} // namespace

Result<AnovaConstants> anova_constants(const AnovaSpec& spec) {
  if (spec.scale == 0) return fail("--scale must be a positive integer");
  if (auto w = check_window(spec.window); !w) return w.failure();
  const Int p = spec.epsilon.num(), q = spec.epsilon.den();
  if (p < 0) return fail("--epsilon must be >= 0");
  const Int n = spec.window;
  // Widths: tp <= N*y_num and D*y_den < bound*y_den must stay below 2^62 (signed 64-bit with
  // headroom), and T enters a 64-bit threshold. Every product below is checked to fit 127 bits
  // before it is formed (p and q are below 2^60, the scale below 2^32).
  const Int limit = Int{1} << 62;
  bool too_large = false;
  AnovaConstants k;
  const Int a0 = p * Int{spec.scale}; // eps*scale = a0/q, a0 < 2^92
  const Int t = ceil_div(n * a0, q);  // n*a0 < 2^99
  // y = N * (eps*scale)^2 = N * a^2 / b^2 with a/b = a0/q reduced. N*y_num >= N*a^2/gcd(N, b^2)
  // >= a^2, so a >= 2^31 is too large whatever the rest, and refusing it first keeps a*a exact.
  const Int g0 = a0 == 0 ? q : gcd(a0, q);
  const Int a = a0 / g0, b = q / g0;
  Int num = 0, den = 1;
  if (t >= (Int{1} << 40) || a >= (Int{1} << 31)) {
    too_large = true;
  } else {
    num = n * a * a; // < 2^68
    den = b * b;     // < 2^120
    const Int g = gcd(num, den);
    if (g > 1) num /= g, den /= g;
    if (num == 0) den = 1;
    k.bound = ceil_div(n * num, den); // bound*den <= n*num + den < 2^121
    too_large = n * num >= limit || (den > 1 && k.bound * den >= limit);
  }
  k.threshold = static_cast<uint64_t>(t);
  k.y_num = num;
  k.y_den = den;
  if (too_large)
    return fail("epsilon " + spec.epsilon_text + " is too large for scale " +
                    std::to_string(spec.scale),
                {"<model>", 0, 0, 1, "anova parameters"},
                "the exact test needs N^2*(eps*scale)^2 (times the denominator of epsilon^2) "
                "below 2^62 for a window of N; lower the scale");
  return k;
}

Result<Function> build_anova(const AnovaSpec& spec, bool one_compare_outliers) {
  auto constants = anova_constants(spec);
  if (!constants) return constants.failure();
  const AnovaConstants& k = *constants;
  if (spec.input == InputFormat::F64) {
    uint32_t odd = spec.scale;
    while ((odd & 1) == 0) odd >>= 1;
    if (odd >= 2048)
      return fail("--input f64 needs a scale whose odd part is below 2048 (got " +
                      std::to_string(spec.scale) + ")",
                  {"<model>", 0, 0, 1, "anova parameters"},
                  "use a power of two, or 100, 1000, ... (odd parts 25, 125, ...)");
  }

  Function f;
  f.name = "xdpml_anova";
  f.tag_offset = kTagOffset;
  f.tag_bytes = 1; // the tag was checked to be 0, so writing its low byte sets it
  const int pass = 0, invalid = 1, split = 2, nosplit = 3;
  f.exits = {{"pass", std::nullopt, 2}, {"invalid", 3u, 2}, {"split", 1u, 2}, {"nosplit", 2u, 2}};
  f.fallthrough_exit = nosplit;
  f.origin("prologue");
  for (const auto& e : f.exits) f.origin("exit." + e.name);
  IrBuilder b(f);

  const int n = static_cast<int>(spec.window);
  const int log2n = std::countr_zero(spec.window); // a power of two (anova_constants checked it)
  const Int sum_limit = window_sum_limit(spec.window);

  // ---- Does this packet belong to us? Anything else passes untouched.
  compiler::build_match(b, {spec.match, spec.strict_align}, frame_bytes(spec.input, spec.window),
                        pass);

  // ---- Samples.
  // `doubled`: for f64, Y = floor(2 * x * scale) instead of X = round-half-up(x * scale) =
  // floor((Y + 1) / 2), two instructions fewer (see the outlier thresholds below).
  auto sample = [&](int i, bool doubled = false) -> int {
    const uint32_t off = kDataOffset + static_cast<uint32_t>(i) * data_stride(spec.input);
    if (spec.input == InputFormat::U32) return b.load(off, 4);
    const int raw =
        spec.strict_align ? b.or_(b.load(off, 4), b.shl(b.load(off + 4, 4), 32)) : b.load(off, 8);
    return b.f64_to_fixed(raw, spec.scale, invalid, doubled);
  };

  // Window A: S = sum X, Q = sum X^2. Q is computed from values assumed below the sum limit
  // (2^30 for N <= 8); the validity check on S below makes that true before Q is used (all
  // X >= 0, so X <= S).
  int s = -1, q = -1;
  for (int i = 0; i < n; ++i) {
    b.at("A[" + std::to_string(i) + "]");
    const int x = sample(i);
    s = s < 0 ? x : b.add(s, x);
    const int xb =
        b.assume(x, 0, sum_limit - 1, "X <= S < sum limit: checked by 'validity' before Q is used");
    const int sq = b.mul(xb, xb);
    q = q < 0 ? sq : b.add(q, sq);
  }
  b.at("validity");
  b.exit_if(s, Cmp::Ge, b.c(sum_limit), invalid);

  // D = NQ - S^2 = N^2 * scale^2 * sigma^2 (exact).
  b.at("variance");
  const Int max_s = sum_limit - 1;
  q = b.assume(q, 0, max_s * max_s, "Q <= S^2 since every X >= 0");
  const int d = b.assume(b.sub(b.shl(q, log2n), b.mul(s, s)), 0, Int{n} * max_s * max_s,
                         "D = NQ - S^2 >= 0 (Cauchy-Schwarz)");

  // D >= ceil(Ny) >= tot*y for every tot <= N: no split, whatever window B holds. Real data
  // often ends here (bench: ~2.5x faster on the example prices), and it bounds D for later.
  // Only for u32 samples: f64 samples of window B must still be converted, since an invalid
  // one makes the whole window invalid.
  const bool early_nosplit = spec.input == InputFormat::U32;
  if (early_nosplit) {
    b.at("decision");
    b.exit_if(d, Cmp::Ge, b.c(k.bound), nosplit);
  }

  // Outlier thresholds: |NX - S| >= T  <=>  X >= hi = ceil((S+T)/N)  or  X <= floor((S-T)/N).
  // For T >= 1 the test per sample is one unsigned compare: X is no outlier iff
  // c <= X < c + width with c = floor((S-T)/N) + 1 = floor((S-T+N)/N) and width = hi - c, which
  // is >= 0 because hi > S/N > floor((S-T)/N). T = 0 (epsilon 0) makes every sample an outlier
  // and y = 0, so the two-compare form is kept there (its adds are of 0 anyway).
  b.at("thresholds");
  const Int t = Int(k.threshold);
  const int hi = b.shr(b.add(s, b.c(t + n - 1)), log2n);
  const bool one_compare = one_compare_outliers && t >= 1;
  int lo = -1, width = -1;
  if (one_compare) {
    lo = b.sar(b.sub(s, b.c(t - n)), log2n); // c = lo + 1
    // width < (S+T+N-1)/N - (S-T)/N = (2T+N-1)/N
    width = b.assume(b.sub(hi, lo), 0, (2 * t + n - 1) / n,
                     "width = hi - c >= 0 since hi > S/N > c - 1 (T >= 1)");
  } else {
    lo = b.sar(b.sub(s, b.c(t)), log2n);
  }
  // f64 samples of window B only enter these compares, so they are tested as Y = floor(2X')
  // (X' = x * scale exact, X = floor((Y + 1) / 2)) against doubled thresholds, which saves the
  // rounding (an add and a shift) in each of the N samples for three instructions here. For
  // integers c, w: X >= c <=> (Y + 1) / 2 >= c <=> Y >= 2c - 1, and X < c + w <=> Y < 2c + 2w - 1,
  // so c <= X < c + w <=> 0 <= Y - (2c - 1) < 2w; likewise X >= hi <=> Y >= 2hi - 1 and
  // X <= lo <=> X < lo + 1 <=> Y < 2lo + 1 <=> Y <= 2lo.
  const bool doubled = spec.input == InputFormat::F64;
  int hi_b = hi, lo_b = lo, width_b = width;
  if (doubled) {
    if (one_compare) {
      lo_b = b.sub(b.shl(lo, 1), b.c(1));
      width_b = b.shl(width, 1);
    } else {
      hi_b = b.sub(b.shl(hi, 1), b.c(1));
      lo_b = b.shl(lo, 1);
    }
  }

  // Window B: accumulate tot * y_num directly (one add per outlier, no multiply later).
  int tp = b.c(0);
  const int inc = b.c(k.y_num);
  for (int i = n; i < 2 * n; ++i) {
    b.at("B[" + std::to_string(i - n) + "]");
    const int x = sample(i, doubled);
    tp = one_compare ? b.cond_add_outside(tp, x, lo_b, width_b, inc)
                     : b.cond_add(tp, x, lo_b, hi_b, inc);
  }

  // split iff D < tot*y  <=>  D*y_den < tot*y_num.
  b.at("decision");
  if (k.y_den == 1) {
    b.exit_if(d, Cmp::Lt, tp, split);
  } else {
    if (!early_nosplit) b.exit_if(d, Cmp::Ge, b.c(k.bound), nosplit);
    b.exit_if(b.mul(d, b.c(k.y_den)), Cmp::Lt, tp, split); // D < bound, so D*y_den fits
  }
  return f;
}

} // namespace xdpml::anova
