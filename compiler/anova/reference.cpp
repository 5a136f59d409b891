#include "compiler/anova/reference.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace xdpml::anova {

using u128 = unsigned __int128;
using i128 = __int128;

namespace {

// ---------------------------------------------------------------------------------------------
// A minimal arbitrary-precision unsigned integer (little-endian 32-bit limbs, no leading zero
// limbs). Only what the exact comparisons need: +, -, *, compare. Used by decide_exact and
// decide_rational so that they never depend on a width argument.
class Big {
public:
  Big() = default;
  Big(u128 v) { // NOLINT: implicit from integers is the point
    while (v != 0) {
      limbs_.push_back(static_cast<uint32_t>(v));
      v >>= 32;
    }
  }

  static Big from_digits(const std::string& digits) {
    Big r;
    size_t i = 0;
    // First chunk so that the remaining length is a multiple of 9.
    size_t first = digits.size() % 9;
    if (first == 0) first = 9;
    while (i < digits.size()) {
      const size_t n = std::min(first, digits.size() - i);
      uint32_t chunk = 0;
      uint32_t pow = 1;
      for (size_t j = 0; j < n; ++j) {
        chunk = chunk * 10 + static_cast<uint32_t>(digits[i + j] - '0');
        pow *= 10;
      }
      r = r * Big(pow) + Big(chunk);
      i += n;
      first = 9;
    }
    return r;
  }

  static Big pow10(int64_t n) {
    Big r(1);
    const Big billion(1000000000u);
    for (; n >= 9; n -= 9) r = r * billion;
    uint32_t rest = 1;
    for (; n > 0; --n) rest *= 10;
    return r * Big(rest);
  }

  bool is_zero() const { return limbs_.empty(); }

  friend Big operator+(const Big& a, const Big& b) {
    Big r;
    const size_t n = std::max(a.limbs_.size(), b.limbs_.size());
    r.limbs_.resize(n + 1);
    uint64_t carry = 0;
    for (size_t i = 0; i < n; ++i) {
      carry += static_cast<uint64_t>(a.limb(i)) + b.limb(i);
      r.limbs_[i] = static_cast<uint32_t>(carry);
      carry >>= 32;
    }
    r.limbs_[n] = static_cast<uint32_t>(carry);
    r.trim();
    return r;
  }

  // a - b; requires a >= b.
  friend Big operator-(const Big& a, const Big& b) {
    assert(cmp(a, b) >= 0);
    Big r;
    r.limbs_.resize(a.limbs_.size());
    int64_t borrow = 0;
    for (size_t i = 0; i < a.limbs_.size(); ++i) {
      int64_t d = static_cast<int64_t>(a.limbs_[i]) - b.limb(i) - borrow;
      borrow = d < 0 ? 1 : 0;
      if (d < 0) d += int64_t{1} << 32;
      r.limbs_[i] = static_cast<uint32_t>(d);
    }
    r.trim();
    return r;
  }

  friend Big operator*(const Big& a, const Big& b) {
    if (a.is_zero() || b.is_zero()) return Big();
    Big r;
    r.limbs_.assign(a.limbs_.size() + b.limbs_.size(), 0);
    for (size_t i = 0; i < a.limbs_.size(); ++i) {
      uint64_t carry = 0;
      for (size_t j = 0; j < b.limbs_.size(); ++j) {
        const uint64_t t =
            static_cast<uint64_t>(a.limbs_[i]) * b.limbs_[j] + r.limbs_[i + j] + carry;
        r.limbs_[i + j] = static_cast<uint32_t>(t);
        carry = t >> 32;
      }
      r.limbs_[i + b.limbs_.size()] = static_cast<uint32_t>(carry);
    }
    r.trim();
    return r;
  }

  static int cmp(const Big& a, const Big& b) {
    if (a.limbs_.size() != b.limbs_.size()) return a.limbs_.size() < b.limbs_.size() ? -1 : 1;
    for (size_t i = a.limbs_.size(); i-- > 0;)
      if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] < b.limbs_[i] ? -1 : 1;
    return 0;
  }
  friend bool operator<(const Big& a, const Big& b) { return cmp(a, b) < 0; }
  friend bool operator>=(const Big& a, const Big& b) { return cmp(a, b) >= 0; }

private:
  uint32_t limb(size_t i) const { return i < limbs_.size() ? limbs_[i] : 0; }
  void trim() {
    while (!limbs_.empty() && limbs_.back() == 0) limbs_.pop_back();
  }
  std::vector<uint32_t> limbs_;
};

// |a - b|
Big absdiff(const Big& a, const Big& b) {
  return a < b ? b - a : a - b;
}

u128 gcd128(u128 a, u128 b) {
  while (b != 0) {
    const u128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

constexpr u128 kTen18 = static_cast<u128>(1000000000000000000ull);
constexpr int64_t kExponentClamp = 1000000000000ll; // 10^12

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Decimal digit string (no leading zeros, or "0") times a 32-bit factor, as a digit string.
std::string multiply_digits(const std::string& digits, uint32_t factor) {
  if (factor == 0 || digits == "0") return "0";
  std::string out(digits.size() + 10, '0');
  uint64_t carry = 0;
  size_t o = out.size();
  for (size_t i = digits.size(); i-- > 0;) {
    carry += static_cast<uint64_t>(digits[i] - '0') * factor;
    out[--o] = static_cast<char>('0' + carry % 10);
    carry /= 10;
  }
  while (carry != 0) {
    out[--o] = static_cast<char>('0' + carry % 10);
    carry /= 10;
  }
  return out.substr(o);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Decimal texts and rationals

std::string int128_to_string(i128 v) {
  if (v == 0) return "0";
  const bool neg = v < 0;
  u128 u = neg ? static_cast<u128>(-(v + 1)) + 1 : static_cast<u128>(v);
  std::string s;
  while (u != 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  if (neg) s.push_back('-');
  std::reverse(s.begin(), s.end());
  return s;
}

Result<DecimalText> DecimalText::parse(std::string_view text) {
  const auto bad = [&] {
    return fail("invalid decimal '" + std::string(text) + "'", {},
                "expected digits with an optional sign, '.', fraction and exponent, e.g. 0.1, "
                "2.5e-3, 7");
  };
  size_t i = 0;
  DecimalText d;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) d.negative = text[i++] == '-';
  std::string all; // integer and fraction digits
  size_t int_digits = 0, frac_digits = 0;
  while (i < text.size() && is_digit(text[i])) all.push_back(text[i++]), ++int_digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && is_digit(text[i])) all.push_back(text[i++]), ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return bad();
  int64_t exp = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_neg = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) exp_neg = text[i++] == '-';
    if (i == text.size() || !is_digit(text[i])) return bad();
    while (i < text.size() && is_digit(text[i])) {
      exp = std::min<int64_t>(exp * 10 + (text[i++] - '0'), kExponentClamp);
    }
    if (exp_neg) exp = -exp;
  }
  if (i != text.size()) return bad();
  exp -= static_cast<int64_t>(frac_digits);
  const size_t first = all.find_first_not_of('0');
  if (first == std::string::npos) {
    d.digits = "0";
    d.exponent = 0;
    return d;
  }
  size_t last = all.find_last_not_of('0');
  exp += static_cast<int64_t>(all.size() - 1 - last);
  d.digits = all.substr(first, last - first + 1);
  d.exponent = std::clamp(exp, -kExponentClamp, kExponentClamp);
  return d;
}

Rational Rational::of(i128 n, i128 d) {
  assert(d != 0);
  if (d < 0) n = -n, d = -d;
  const u128 g = gcd128(static_cast<u128>(n < 0 ? -n : n), static_cast<u128>(d));
  Rational r;
  r.num_ = n / static_cast<i128>(g);
  r.den_ = d / static_cast<i128>(g);
  return r;
}

Result<Rational> Rational::parse(std::string_view text) {
  auto d = DecimalText::parse(text);
  if (!d) return d.failure();
  if (d->is_zero()) return Rational();
  const auto range = [&] {
    return fail("decimal '" + std::string(text) + "' is out of range for an exact parameter", {},
                "its normalised numerator and denominator must be at most 10^18 (at most 18 "
                "significant digits and 18 decimal places)");
  };
  // Up to 38 significant digits fit an unsigned __int128 (< 3.4e38); longer texts are refused
  // outright (the exact dyadic 2^-55 written in decimal has 39, but no sensible parameter does).
  if (d->digits.size() > 38) return range();
  u128 num = 0;
  for (char c : d->digits) num = num * 10 + static_cast<u128>(c - '0');
  u128 den = 1;
  if (d->exponent >= 0) {
    if (num > kTen18) return range();
    for (int64_t e = 0; e < d->exponent; ++e) {
      num *= 10;
      if (num > kTen18) return range();
    }
  } else {
    // den = 10^k reduced by the 2s and 5s in num. digits has no trailing zero, so num is not
    // divisible by 10 and the reduced denominator is at least 2^k: k > 60 is always out of range.
    const int64_t k = -d->exponent;
    if (k > 60) return range();
    int64_t p2 = k, p5 = k;
    while (p2 > 0 && num % 2 == 0) num /= 2, --p2;
    while (p5 > 0 && num % 5 == 0) num /= 5, --p5;
    den = static_cast<u128>(1) << p2;
    for (int64_t e = 0; e < p5; ++e) {
      den *= 5;
      if (den > kTen18) return range();
    }
  }
  if (num > kTen18 || den > kTen18) return range();
  const i128 n = d->negative ? -static_cast<i128>(num) : static_cast<i128>(num);
  return Rational::of(n, static_cast<i128>(den));
}

double Rational::to_double() const {
  return static_cast<double>(num_) / static_cast<double>(den_);
}

std::string Rational::to_string() const {
  if (den_ == 1) return int128_to_string(num_);
  return int128_to_string(num_) + "/" + int128_to_string(den_);
}

Result<Params> make_params(std::string_view epsilon, uint32_t scale) {
  auto eps = Rational::parse(epsilon);
  if (!eps) return eps.failure();
  if (eps->is_negative()) return fail("epsilon must be >= 0, got '" + std::string(epsilon) + "'");
  if (scale == 0) return fail("scale must be a positive integer");
  return Params{*eps, scale};
}

// ---------------------------------------------------------------------------------------------
// Integerization

std::optional<uint32_t> integerize(double x, uint32_t scale) {
  if (scale == 0) return std::nullopt;
  const uint64_t bits = std::bit_cast<uint64_t>(x);
  const bool sign = (bits >> 63) != 0;
  const int biased = static_cast<int>((bits >> 52) & 0x7ff);
  uint64_t mant = bits & ((uint64_t{1} << 52) - 1);
  if (biased == 0x7ff) return std::nullopt; // Inf, NaN
  if (biased == 0 && mant == 0) return 0;   // +0.0 and -0.0
  if (sign) return std::nullopt;            // negative, non-zero
  int e;                                    // x = mant * 2^e exactly
  if (biased == 0) {
    e = -1074; // subnormal
  } else {
    mant |= uint64_t{1} << 52;
    e = biased - 1075;
  }
  const u128 p = static_cast<u128>(mant) * scale; // < 2^85
  u128 q;
  if (e >= 0) {
    if (e >= 32) return std::nullopt; // p >= 1, so p*2^e >= 2^32
    q = p << e;                       // < 2^117
  } else {
    // floor(p/2^sh + 1/2) = floor((floor(p/2^(sh-1)) + 1) / 2): only the rounding bit matters.
    const int sh = -e;
    if (sh > 100) return 0; // p*2^-sh < 2^-15 < 1/2
    q = ((p >> (sh - 1)) + 1) >> 1;
  }
  if (q > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(q);
}

std::optional<uint32_t> integerize_decimal(std::string_view text, uint32_t scale) {
  if (scale == 0) return std::nullopt;
  auto d = DecimalText::parse(text);
  if (!d) return std::nullopt;
  if (d->is_zero()) return 0;
  if (d->negative) return std::nullopt;
  const std::string p = multiply_digits(d->digits, scale); // no leading zeros, not "0"
  const int64_t len = static_cast<int64_t>(p.size());
  // value*scale = p * 10^exponent; 2^32 = 4294967296 has 10 digits, so an integer part of more
  // than 10 digits is out of range (and 10 digits, < 10^10, fit q below).
  const int64_t int_len = len + d->exponent; // digits before the decimal point (may be <= 0)
  if (int_len > 10) return std::nullopt;
  uint64_t q = 0;
  if (d->exponent >= 0) {
    for (char c : p) q = q * 10 + static_cast<uint64_t>(c - '0');
    for (int64_t i = 0; i < d->exponent; ++i) q *= 10;
  } else if (int_len >= 0) {
    for (int64_t i = 0; i < int_len; ++i) q = q * 10 + static_cast<uint64_t>(p[i] - '0');
    // Half up: only the first fractional digit matters.
    const char first = p[static_cast<size_t>(int_len)]; // exists: exponent < 0 so int_len < len
    if (first >= '5') ++q;
  }
  // else: value*scale < 0.1, rounds to 0.
  if (q > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(q);
}

std::optional<uint64_t> program_f64_fixed(double x, uint32_t scale) {
  if (scale == 0) return std::nullopt;
  const int j = std::countr_zero(scale);
  const uint32_t odd = scale >> j;
  const int b = std::bit_width(odd - 1); // smallest b with 2^b >= odd; 0 for odd == 1
  const uint64_t emax = static_cast<uint64_t>(1053 - j - b);
  const uint64_t bits = std::bit_cast<uint64_t>(x);
  const uint64_t e = bits >> 52; // sign included: negative values (and -0.0) have e >= 2048
  if (e > emax) return std::nullopt;
  if (e == 0) return 0; // +0.0 and subnormals: x*scale < 2^-1074 * 2^32, rounds to 0
  const u128 z = static_cast<u128>((bits & ((uint64_t{1} << 52) - 1)) | (uint64_t{1} << 52)) * odd;
  const uint64_t t = 1074 - static_cast<uint64_t>(j) - e; // >= 21 + b since e <= emax
  if (t >= 128) return 0; // z < 2^85: z >> t == 0, and X = (0 + 1) >> 1 = 0
  return static_cast<uint64_t>(((z >> t) + 1) >> 1); // <= 2^31
}

bool exact_at_scale(std::string_view text, uint32_t scale) {
  auto d = DecimalText::parse(text);
  if (!d) return false;
  if (d->is_zero() || d->exponent >= 0 || scale == 0) return true;
  const std::string p = multiply_digits(d->digits, scale);
  const size_t last = p.find_last_not_of('0');
  const int64_t trailing_zeros = static_cast<int64_t>(p.size() - 1 - last);
  return trailing_zeros >= -d->exponent;
}

// ---------------------------------------------------------------------------------------------
// The integer decision

namespace {
bool params_valid(const Params& params) {
  return params.scale != 0 && !params.epsilon.is_negative();
}
// N, the samples per window, of a packet of 2N samples; 0 when the size is not valid.
int window_of(size_t samples) {
  const size_t n = samples / 2;
  return samples % 2 == 0 && n <= kLargestWindow && window_size_ok(static_cast<int>(n))
             ? static_cast<int>(n)
             : 0;
}
// The validity rule, computed independently of decide_with_constants' machine-width sum.
bool window_valid(std::span<const uint32_t> x, int n) {
  u128 s = 0;
  for (int i = 0; i < n; ++i) s += x[i];
  return s < sum_limit(n);
}
} // namespace

int decide_exact(std::span<const uint32_t> x, const Params& params) {
  const int n = window_of(x.size());
  if (n == 0 || !params_valid(params) || !window_valid(x, n)) return kInvalid;
  const u128 big_n = static_cast<u128>(n);
  u128 s = 0, q = 0;
  for (int i = 0; i < n; ++i) {
    s += x[i];
    q += static_cast<u128>(x[i]) * x[i];
  }
  const Big d = Big(big_n * q) - Big(s * s);
  // eps*scale = a/b
  const Big a = Big(static_cast<u128>(params.epsilon.num())) * Big(params.scale);
  const Big b(static_cast<u128>(params.epsilon.den()));
  const Big n_a = a * Big(big_n);
  u128 tot = 0;
  for (int i = n; i < 2 * n; ++i) {
    const Big dev = absdiff(Big(big_n * static_cast<u128>(x[i])), Big(s)); // |NX - S|
    if (dev * b >= n_a) ++tot;                                             // |NX-S| >= Na/b
  }
  // D < tot * N a^2 / b^2
  return d * b * b < Big(big_n * tot) * a * a ? kSplit : kNoSplit;
}

Result<CompiledConstants> compile_constants(const Params& params) {
  if (params.scale == 0) return fail("scale must be a positive integer");
  if (params.epsilon.is_negative()) return fail("epsilon must be >= 0");
  const u128 p = static_cast<u128>(params.epsilon.num());
  const u128 b = static_cast<u128>(params.epsilon.den());
  constexpr u128 k2p60 = static_cast<u128>(1) << 60;
  if (p >= k2p60 || b >= k2p60)
    return fail("epsilon " + params.epsilon.to_string() + " has too many digits", {},
                "numerator and denominator must be below 2^60");
  const auto too_large = [&] {
    return fail("epsilon too large for this scale", {},
                "epsilon " + params.epsilon.to_string() + " at scale " +
                    std::to_string(params.scale) +
                    " needs ceil(8*eps*scale) < 2^31 and 8*floor(8*(eps*scale)^2) + 8 < 2^62");
  };
  // eps*scale = a/b, a < 2^92, b < 2^60.
  const u128 a = p * params.scale;
  const u128 t = (8 * a + b - 1) / b; // ceil(8a/b), 8a < 2^95
  if (t >= (static_cast<u128>(1) << 31)) return too_large();
  // t < 2^31 implies 8a/b < 2^31, so a/b < 2^28. Write a/b = w + r/b (w < 2^28, r < b < 2^60):
  //   y = 8(a/b)^2 = 8w^2 + 16wr/b + 8r^2/b^2
  // Every product below stays under 2^125.
  const u128 w = a / b, r = a % b;
  const u128 b2 = b * b;                 // < 2^120
  const u128 m1 = 16 * w * r;            // < 2^92
  const u128 q1 = m1 / b, f1 = m1 % b;   // 16wr/b = q1 + f1/b
  const u128 m2 = 8 * r * r;             // < 2^123
  const u128 q2 = m2 / b2, f2 = m2 % b2; // 8r^2/b^2 = q2 + f2/b^2
  u128 frac = f1 * b + f2;               // (f1*b + f2)/b^2 < 2
  u128 y0 = 8 * w * w + q1 + q2;
  if (frac >= b2) frac -= b2, ++y0;
  if (y0 * 8 + 8 >= (static_cast<u128>(1) << 62)) return too_large();
  CompiledConstants k;
  k.T = static_cast<uint64_t>(t);
  k.Y0 = static_cast<uint64_t>(y0);
  for (unsigned i = 0; i <= 8; ++i) {
    const u128 c = (i * frac + b2 - 1) / b2; // ceil(i*frac/b^2) <= i
    k.ceil_table |= static_cast<uint64_t>(c) << (4 * i);
  }
  return k;
}

int decide_with_constants(const std::array<uint32_t, kSamples>& x, const CompiledConstants& k) {
  // S in 64 bits: at most 8 * (2^32 - 1) < 2^35, no wrap-around.
  uint64_t s = 0;
  for (int i = 0; i < kWindow; ++i) s += x[i];
  if (s >= kSumLimit) return kInvalid;
  // Now every A sample is <= S < 2^30: X^2 < 2^60, Q <= S^2 < 2^60, 8Q < 2^63, D in [0, 2^63).
  uint64_t q = 0;
  for (int i = 0; i < kWindow; ++i) q += static_cast<uint64_t>(x[i]) * x[i];
  const uint64_t d = 8 * q - s * s;
  uint32_t tot = 0;
  for (int i = kWindow; i < kSamples; ++i) {
    const uint64_t v = static_cast<uint64_t>(x[i]) << 3; // up to 2^35 - 8
    const uint64_t dev = v >= s ? v - s : s - v;
    if (dev >= k.T) ++tot;
  }
  const int64_t rem = static_cast<int64_t>(d) - static_cast<int64_t>(tot * k.Y0);
  return rem < 0 || static_cast<uint64_t>(rem) < k.c(tot) ? kSplit : kNoSplit;
}

// ---------------------------------------------------------------------------------------------
// The exact rational reference

namespace {
struct SignedBig {
  bool negative = false;
  Big mag;
};
// a - b where a >= b (as signed values); the result is >= 0.
Big subtract_ordered(const SignedBig& a, const SignedBig& b) {
  if (!a.negative && !b.negative) return a.mag - b.mag;
  if (!a.negative && b.negative) return a.mag + b.mag;
  return b.mag - a.mag; // both negative: |b| >= |a|
}
bool signed_less(const SignedBig& a, const SignedBig& b) {
  if (a.negative != b.negative) return a.negative;
  return a.negative ? b.mag < a.mag : a.mag < b.mag;
}
} // namespace

int decide_rational(std::span<const std::string> decimal_texts, const Rational& epsilon) {
  const int window = window_of(decimal_texts.size());
  if (window == 0 || epsilon.is_negative()) return kInvalid;
  const int samples = 2 * window;
  const Big big_n(static_cast<u128>(window));
  std::vector<DecimalText> v(samples);
  for (int i = 0; i < samples; ++i) {
    auto d = DecimalText::parse(decimal_texts[i]);
    if (!d || std::abs(d->exponent) > 400) return kInvalid;
    v[i] = std::move(*d);
  }
  if (epsilon.is_zero()) return kNoSplit;
  // Common unit U = 10^E: value_i = n_i * U with integer n_i.
  int64_t e = v[0].exponent;
  for (const auto& d : v) e = std::min(e, d.exponent);
  std::vector<SignedBig> n(samples);
  for (int i = 0; i < samples; ++i) {
    n[i].negative = v[i].negative && !v[i].is_zero();
    n[i].mag = Big::from_digits(v[i].digits) * Big::pow10(v[i].exponent - e);
  }
  // Shift by the minimum so that all are >= 0 (mean and variance are shift invariant).
  SignedBig lo = n[0];
  for (const auto& x : n)
    if (signed_less(x, lo)) lo = x;
  std::vector<Big> u(samples);
  for (int i = 0; i < samples; ++i) u[i] = subtract_ordered(n[i], lo);
  Big s, q;
  for (int i = 0; i < window; ++i) {
    s = s + u[i];
    q = q + u[i] * u[i];
  }
  const Big d = big_n * q - s * s; // N^2*sigma^2/U^2
  const Big un = Big::pow10(std::max<int64_t>(e, 0)), ud = Big::pow10(std::max<int64_t>(-e, 0));
  const Big p(static_cast<u128>(epsilon.num())), pq(static_cast<u128>(epsilon.den()));
  // |x - mu| >= eps  <=>  |Nu - S| * U / N >= p/q  <=>  |Nu - S| * un * q >= N * p * ud
  const Big lhs_scale = un * pq, rhs = big_n * p * ud;
  u128 tot = 0;
  for (int i = window; i < samples; ++i)
    if (absdiff(big_n * u[i], s) * lhs_scale >= rhs) ++tot;
  // tot*eps^2 > N sigma^2 = U^2 D / N  <=>  N tot p^2 ud^2 > un^2 D q^2
  const Big left = big_n * Big(tot) * p * p * ud * ud;
  const Big right = un * un * d * pq * pq;
  return right < left ? kSplit : kNoSplit;
}

// ---------------------------------------------------------------------------------------------
// The report's algorithms

int decide_double(std::span<const double> x, double epsilon) {
  const int n = window_of(x.size());
  if (n == 0 || !std::isfinite(epsilon) || epsilon < 0) return kInvalid;
  for (double v : x)
    if (!std::isfinite(v)) return kInvalid;
  if (epsilon == 0) return kNoSplit;
  double mean = 0;
  for (int i = 0; i < n; ++i) mean += x[i];
  mean /= n;
  double var = 0;
  for (int i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= n;
  int tot = 0;
  for (int i = n; i < 2 * n; ++i)
    if (std::fabs(x[i] - mean) >= epsilon) ++tot;
  return static_cast<double>(tot) / n > var / (epsilon * epsilon) ? kSplit : kNoSplit;
}

int decide_osh_int(std::span<const double, kSamples> x) {
  std::array<uint64_t, kSamples> xi;
  for (int i = 0; i < kSamples; ++i) {
    const double p = x[i] * 16384;
    // NaN fails both tests below; -0.0 passes (it is not < 0); +Inf fails the range test.
    if (std::isnan(p) || x[i] < 0 || !(p < 4294967296.0)) return kInvalid;
    xi[i] = static_cast<uint32_t>(p); // truncation toward zero, as the report's sender
  }
  uint64_t mean = 0, var = 0;
  for (int i = 0; i < kWindow; ++i) mean += xi[i];
  mean >>= 3;
  for (int i = 0; i < kWindow; ++i) var += xi[i] * xi[i];
  var >>= 3;
  var -= mean * mean;
  const uint64_t e = 1638, e2 = 2684191;
  uint64_t tot = 0;
  for (int i = kWindow; i < kSamples; ++i)
    if (xi[i] >= mean + e || mean >= xi[i] + e) ++tot;
  return tot * e2 > (var << 3) ? kSplit : kNoSplit;
}

int decide_osh_int_samples(std::span<const uint32_t, kSamples> x) {
  // Kept separate from decide_osh_int (which integerizes first) so that the packet's integers are
  // judged as they are; the arithmetic below is the same statement for statement.
  uint64_t mean = 0, var = 0;
  for (int i = 0; i < kWindow; ++i) mean += x[i];
  mean >>= 3;
  for (int i = 0; i < kWindow; ++i) var += static_cast<uint64_t>(x[i]) * x[i];
  var >>= 3;
  var -= mean * mean;
  const uint64_t e = 1638, e2 = 2684191;
  uint64_t tot = 0;
  for (int i = kWindow; i < kSamples; ++i)
    if (x[i] >= mean + e || mean >= x[i] + e) ++tot;
  return tot * e2 > (var << 3) ? kSplit : kNoSplit;
}

} // namespace xdpml::anova
