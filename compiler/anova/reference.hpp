// Reference evaluators of the ANOVA (Chebyshev) segmenter (design.md section 4).
//
// A packet carries 16 consecutive samples: window A = x[0..7] and window B = x[8..15]. With
// mu, sigma^2 the mean and population variance of A, tot = #{x in B : |x - mu| >= eps}, and
// Chebyshev's inequality P(|X - mu| >= eps) <= sigma^2/eps^2 (which holds if all 16 samples come
// from one distribution), the segmenter reports a change point ("split") when the observed
// fraction exceeds the bound:
//
//     split  <=>  tot/8 > sigma^2/eps^2  <=>  tot*eps^2 > 8*sigma^2        (eps > 0)
//
// Result tags (written into the packet's tag field, design.md section 3):
//     kSplit = 1, kNoSplit = 2, kInvalid = 3 (the input cannot be evaluated exactly: NaN, Inf,
//     negative, too large, not a decimal, bad parameters). An evaluator never answers 1 or 2 for
//     an input it cannot evaluate: "invalid" is always preferred over a possibly wrong split.
//
// This header provides five evaluators, from the exact definition down to the 2019 report's
// integer program, so that every difference between them can be measured and explained:
//
//   decide_rational        exact arithmetic on the decimal texts of the data (the ground truth
//                          for data that is given as decimals; no scale, no rounding anywhere).
//   decide_exact           the bit-exact integer semantics of the compiled eBPF program on
//                          integerized samples X = round_half_up(x*scale), computed with exact
//                          rationals. THIS IS THE ORACLE the compiler's generated code must match
//                          bit for bit (for --input f64, convert each sample with
//                          program_f64_fixed first: any nullopt makes the packet invalid).
//   decide_with_constants  the same decision computed the way generated code can do it (64-bit
//                          sums and deviations, three precomputed constants); proven equal to
//                          decide_exact by the tests.
//   decide_double          the report's floating-point algorithm (the "float model").
//   decide_osh_int         the report's v1 integer algorithm (x*16384 truncated, floor means,
//                          hand-picked constants), kept to measure what the exact version fixes.
//
// Where the integer formulas come from. Let X_i be the integerized samples (X = x*scale when that
// is an integer), S = sum_A X, Q = sum_A X^2. Then, exactly (multiply through by 8*scale, resp.
// 64*scale^2):
//     mu*scale = S/8,  64*sigma^2*scale^2 = 8Q - S^2 =: D   (>= 0 by Cauchy-Schwarz)
//     |x - mu| >= eps   <=>  |8X - S| >= 8*eps*scale  <=>  |8X - S| >= T := ceil(8*eps*scale)
//                          (the left side is an integer, so comparing with the ceiling is exact)
//     tot*eps^2 > 8*sigma^2  <=>  D < tot * y,  y := 8*(eps*scale)^2  (a rational constant)
// With eps = 0 every sample counts (|8X - S| >= 0) and y = 0, so D < 0 never holds: no split, in
// agreement with the rational definition (sigma^2/0 is treated as +infinity).
//
// Validity and widths. A sample X may be any uint32 (the u32 wire format carries exactly that).
// A window is valid iff S = sum_A X < kSumLimit = 2^30 (since every X >= 0, each A sample is then
// below 2^30 too). With S < 2^30: X^2 <= S^2 and Q <= S^2 < 2^60, so 8Q < 2^63 and
// D = 8Q - S^2 lies in [0, 7*S^2] subset [0, 2^63): D fits a signed 64-bit register. B samples are
// not bounded by the rule: |8X - S| reaches 2^35 and is computed in 64 bits. tot*Y0 <= 8*Y0 < 2^62
// when Y0*8 + 8 < 2^62 (compile_constants refuses parameters beyond that), so R = D - tot*Y0 lies
// in (-2^62, 2^63) and fits int64 as well.
#pragma once

#include "compiler/anova/rational.hpp"
#include "support/result.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace xdpml::anova {

constexpr int kSplit = 1;
constexpr int kNoSplit = 2;
constexpr int kInvalid = 3;

constexpr int kWindow = 8;   // samples per window (A and B): the report's wire format
constexpr int kSamples = 16; // samples per packet (A then B)

// Other window sizes (`compile anova --window N`): N samples in A and N in B, 2N per packet. N is
// a power of two from 2 to kLargestWindow, so that the means are shifts. Everything in this header
// that takes a span of samples reads its window size off the span (N = size / 2); a span whose
// size is not twice a valid N gives kInvalid. The formulas below are written for N = 8; for
// another N replace every 8 that counts samples by N (S/N, NQ - S^2, |NX - S|, tot/N, y = N*...).
constexpr int kLargestWindow = 64;
constexpr bool window_size_ok(int n) {
  return n >= 2 && n <= kLargestWindow && (n & (n - 1)) == 0;
}

// A window is valid iff the sum of its A samples is below kSumLimit. (The reference keeps its own
// copy instead of using the code generator's kWindowSumLimit from frontend.hpp, so that it shares
// no constant with the compiler; tests/unit/test_anova_reference.cpp asserts that they are equal.)
constexpr uint64_t kSumLimit = uint64_t{1} << 30;

// The same limit for N samples per window: the largest 2^k <= 2^30 with N * 2^2k <= 2^63, so that
// D = NQ - S^2 < N*S^2 stays below 2^63 (2^30 for N <= 8, 2^29 for 16 and 32, 2^28 for 64).
constexpr uint64_t sum_limit(int window) {
  int k = 30;
  int log2n = 0;
  while ((1 << log2n) < window) ++log2n;
  while (log2n + 2 * k > 63) --k;
  return uint64_t{1} << k;
}

// The report's defaults: eps = 0.1, samples integerized x16384.
constexpr std::string_view kDefaultEpsilon = "0.1";
constexpr uint32_t kDefaultScale = 16384;

// Segmenter parameters. epsilon is exact (parsed from its decimal text), epsilon >= 0.
// scale is the integerization factor: the sender (osh-u32) or the f64 eBPF program turns a sample
// x into round_half_up(x*scale) (integerize, program_f64_fixed). scale > 0.
struct Params {
  Rational epsilon;
  uint32_t scale = kDefaultScale;
};

// Parses and validates parameters: epsilon must be a decimal >= 0 (Rational::parse limits), scale
// must be positive.
Result<Params> make_params(std::string_view epsilon, uint32_t scale);

// ---------------------------------------------------------------------------------------------
// Integerization.
//
// integerize(x, scale) = round-half-up (ties away from zero; valid inputs are >= 0) of the EXACT
// real product x*scale, i.e. floor(x*scale + 1/2). This is what the sender of the osh-u32 format
// does. The product is formed from the IEEE-754 bits (x = m*2^e with a 53-bit integer m, so
// x*scale = m*scale*2^e with m*scale < 2^85) in unsigned __int128; computing x*scale in double
// would round once before the rounding to an integer, and double rounding is visible exactly at
// the .5 ties that matter here.
// Why half up and not the IEEE default half-to-even: the compiled f64 program converts with
// X = ((Z >> t) + 1) >> 1 (see program_f64_fixed), which needs only the rounding bit and no sticky
// bits; half-to-even would cost about four more instructions per sample (64 per packet) and break
// the instruction budget. Every integerizer here rounds the same way so that the u32 and f64 paths
// agree. (The 2019 report's sender truncated instead, see decide_osh_int.)
// Invalid (nullopt): NaN, +-Inf, x < 0 (but -0.0 is 0; a tiny positive x may round to 0, which
// is valid), rounded results >= 2^32 (results are any uint32), scale == 0.
std::optional<uint32_t> integerize(double x, uint32_t scale);

// The same on the exact decimal text of a data-file value (e.g. "12.345"; DecimalText grammar,
// no surrounding whitespace): round_half_up(value*scale), same invalid rules ("-0.000" is 0,
// "-0.001" is invalid, text that is not a decimal literal is invalid, results >= 2^32 are
// invalid). Prefer this over integerize(strtod(text)) for data files: "0.125"*4 ties exactly and
// rounds to 1, and e.g. "2.675"*100 = 267.5 rounds to 268, while the double nearest 2.675 is
// 2.67499999999999982236431605997495353221893310546875 and rounds to 267.
std::optional<uint32_t> integerize_decimal(std::string_view text, uint32_t scale);

// The compiled f64 program's in-eBPF conversion of one sample (--input f64), bit-exact.
// With bits = the IEEE-754 bits of x, E = bits >> 52 (12 bits: the sign bit is included, so every
// negative value, -0.0 included, has E >= 2048), scale = odd * 2^j (odd odd), b the smallest
// integer with 2^b >= odd (0 when odd == 1) and Emax = 1053 - j - b:
//   invalid (nullopt) iff scale == 0 or E > Emax. That covers every negative value including
//     -0.0, NaN, +-Inf, and every x in a binade [2^k, 2^(k+1)) where x*scale can reach 2^31.
//   otherwise X = round_half_up(x*scale) = floor(x*scale + 1/2) of the EXACT product, which for
//     x >= 0 equals integerize(x, scale); zero, subnormals and tiny values give 0.
// Derivation (codegen.cpp, Generator::lower_f64): a normal x is M*2^(E-1075) with
// M = mantissa | 2^52 < 2^53. Then Z = M*odd < 2^(53+b) (a 64-bit product: the front end requires
// odd < 2048, b <= 11) and x*scale = Z*2^(E-1075+j) = Z / 2^(t+1) with t = 1074 - j - E, so
//   X = ((Z >> t) + 1) >> 1 = floor(floor(Z/2^t)/2 + 1/2) = floor(Z/2^(t+1) + 1/2).
// E <= Emax means t >= 21 + b, so Z >> t < 2^32 and X <= 2^31. X = 2^31 is reached only when odd
// == 1, from the largest doubles below 2^(31-j) (e.g. nextafter(2^31, 0) at scale 1); for odd > 1,
// X < 2^31. t >= 64 means x*scale < 2^(b-12) <= 1/2: there the program zeroes Z (also covering
// E = 0, where the implicit bit must not be set) and gets X = 0, the exact rounding as well.
// Consequence: a positive finite x rejected here has x >= 2^(31-j-b), so x*scale >= 2^30 (odd >
// 2^(b-1)): as an A sample its window would be invalid anyway (S >= 2^30); B samples are rejected
// from somewhere in [2^30, 2^31] upwards, whereas the u32 format carries any uint32.
// --target nfp forms the same Z from the 32-bit halves of M (the NFP multiplies at most 32 x 32
// bits): Z = (M_hi*odd << 32) + M_lo*odd with M_hi < 2^21, so M_hi*odd < 2^32. Window B samples
// skip the last step: the program compares Y = Z >> t = floor(2*x*scale), with X = (Y + 1) >> 1,
// against doubled thresholds (frontend.cpp), which decides exactly as X against the thresholds.
// This function computes the exact product in 128 bits, so it is defined for every scale; for
// scales with odd >= 2048 (which the front end refuses for f64) it is the same rule, not a program.
std::optional<uint64_t> program_f64_fixed(double x, uint32_t scale);

// True when value(text)*scale is an integer (so integerize_decimal loses nothing). False for text
// that is not a decimal literal. Says nothing about sign or range.
bool exact_at_scale(std::string_view text, uint32_t scale);

// ---------------------------------------------------------------------------------------------
// The bit-exact integer decision (the oracle for compiled programs).
//
// Given X[0..15] (any uint32) and Params (epsilon >= 0, scale > 0, else kInvalid):
//   S = sum_A X; kInvalid iff S >= kSumLimit = 2^30 (no per-sample bound, B samples
//   may be anything up to 2^32 - 1)
//   Q = sum_A X^2, D = 8Q - S^2 (>= 0, < 2^63)
//   tot = #{ i in B : |8 X_i - S| >= 8*eps*scale }      (compared exactly; equals >= T, above)
//   split iff D < tot * 8*(eps*scale)^2                  (compared exactly, as rationals)
// decide_exact computes this with arbitrary-precision integers and shares no code or constant
// with compile_constants/decide_with_constants, so the two can check each other. It takes any
// window size (2N samples, N = window_size_ok; the limit is then sum_limit(N));
// compile_constants/decide_with_constants model the report's N = 8 only.
int decide_exact(std::span<const uint32_t> x, const Params& params);

// What the generated code uses. With y = 8*(eps*scale)^2 = Y0 + f (Y0 = floor(y), 0 <= f < 1):
//   D < tot*y  <=>  R := D - tot*Y0 < tot*f  <=>  R < ceil(tot*f)   (R is an integer)
// so the program needs only T, Y0 and the nine small integers c[t] = ceil(t*f), t = 0..8
// (0 <= c[t] <= t <= 8, so each fits a nibble and all nine fit one 64-bit immediate: nibble t at
// bits 4t..4t+3; c[0] = 0 always). R may be negative; "R < 0 || R < c[tot]" lets the code use an
// unsigned comparison for the second test.
struct CompiledConstants {
  uint64_t T = 0;          // ceil(8*eps*scale), < 2^31 (fits a 32-bit immediate)
  uint64_t Y0 = 0;         // floor(8*(eps*scale)^2), Y0*8 + 8 < 2^62
  uint64_t ceil_table = 0; // nibble t = ceil(t*frac(y)), t = 0..8

  unsigned c(unsigned t) const { return static_cast<unsigned>((ceil_table >> (4 * t)) & 0xf); }
  friend bool operator==(const CompiledConstants&, const CompiledConstants&) = default;
};

// Errors: invalid params (epsilon < 0, scale == 0), epsilon's numerator or denominator >= 2^60
// (outside what parse produces), and "epsilon too large for this scale" when T >= 2^31 or
// Y0*8 + 8 >= 2^62 (the width bounds above).
Result<CompiledConstants> compile_constants(const Params& params);

// The decision computed with machine integers the way generated code does it: S in 64 bits
// (8 samples up to 2^32 - 1 cannot wrap; a 32-bit sum could, e.g. 2^31 + 2^31 + 5), kInvalid iff
// S >= 2^30; then Q and D in 64 bits, the per-sample test |8X - S| >= T in 64 bits (8X up to 2^35),
// R = (int64)D - (int64)(tot*Y0) and split iff R < 0 || R < c[tot].
int decide_with_constants(const std::array<uint32_t, kSamples>& x, const CompiledConstants& k);

// ---------------------------------------------------------------------------------------------
// The exact reference on the real (decimal) data.
//
// mu and sigma^2 (population) of A are computed exactly from the decimal texts (all values
// brought to a common power of ten, arbitrary-precision integers; since mean and variance are
// shift invariant, negative values are handled by shifting by the minimum),
// tot = #{x in B : |x - mu| >= eps}, split iff tot/8 > sigma^2/eps^2, i.e. tot*eps^2 > 8*sigma^2.
// eps = 0: never split (the bound sigma^2/eps^2 is +infinity, or 0/0 for constant data; the
// integer semantics answers "no split" too). kInvalid: a text that is not a decimal literal (see
// DecimalText; no whitespace), a value whose exponent is beyond +-400 (outside double's range and
// of no use as a sample), or epsilon < 0. Negative values are allowed here (the integer paths mark
// them invalid).
// Whenever all 16 values are exact at the scale, integerize_decimal accepts them and the window is
// valid (sum of the integerized A samples < 2^30),
// decide_rational(texts, eps) == decide_exact(integerized, {eps, scale}) (tested).
int decide_rational(std::span<const std::string> decimal_texts, const Rational& epsilon);

// ---------------------------------------------------------------------------------------------
// The 2019 report's algorithms, reproduced as written so their results can be compared.
//
// decide_double: the report's double computation, in this order:
//   mean = (sum_A x)/8 (summed x[0] first), var = (sum_A (x - mean)^2)/8,
//   tot = #{x in B : fabs(x - mean) >= epsilon}, split iff (double)tot/8 > var/(epsilon*epsilon).
// epsilon == 0 -> no split (as the exact definition; in double it would be tot/8 > var/0).
// kInvalid for a non-finite sample or epsilon, or epsilon < 0. Negative samples are computed like
// any other (only the integer paths restrict the domain). With var == 0 and epsilon > 0 the test
// is tot/8 > 0, i.e. split iff any B sample is at least epsilon away - the exact answer as well.
int decide_double(std::span<const double> x, double epsilon);

// decide_osh_int: the report's v1 integer program (host-integerized, "osh-u32"), all arithmetic
// in uint64 exactly as written there:
//   X = (uint32)(x*16384)  (the double product, truncated toward zero, as the report's sender did)
//   mean = sum_A X; mean >>= 3;          (floor of the mean)
//   var = sum_A X^2; var >>= 3; var -= mean*mean;   (floor(Q/8) - floor(S/8)^2 >= 0)
//   e = 1638 (= floor(0.1*16384)); e2 = 2684191 (the report's constant for e^2; note it is neither
//   1638^2 = 2683044 nor (0.1*16384)^2 = 2684354.56 - reproduced as published)
//   tot = #{X in B : X >= mean + e || mean >= X + e}   (|X - mean| >= e without unsigned underflow)
//   split iff tot*e2 > var << 3
// epsilon is fixed at 0.1 by these constants. kInvalid when a sample is NaN, negative (except
// -0.0), or x*16384 does not fit a uint32 (the cast would be undefined; the report's sender never
// checked). Larger products wrap mod 2^64 in the sums exactly as in the eBPF program.
int decide_osh_int(std::span<const double, kSamples> x);

// decide_osh_int_samples: the same v1 integer program on samples that are already integers, i.e.
// exactly what that program reads from an osh-u32 packet (mean, var, tot and the constants
// e = 1638, e2 = 2684191 as above; uint64 arithmetic, sums wrap mod 2^64 as in eBPF; it has no
// invalid answer, every uint32 input gives 1 or 2). decide_osh_int(x) equals
// decide_osh_int_samples((uint32)(x*16384)) for valid x. Used by `xdpml recv --reference
// osh-int` on osh-u32 frames: note that the 2019 sender truncated x*16384, while xdpml's sender
// rounds half up (integerize_decimal), so on the same data file the packets of the two senders
// differ by one unit in some samples; this function judges the packet that actually arrived.
int decide_osh_int_samples(std::span<const uint32_t, kSamples> x);

} // namespace xdpml::anova
