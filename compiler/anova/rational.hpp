// Exact decimal numbers for the ANOVA segmenter's parameters and data values.
//
// The segmenter's parameters (epsilon, e.g. "0.1") and the values of a data file (e.g. "12.345")
// are decimal texts. Converting them to double first would make 0.1 into
// 0.1000000000000000055511151231257827..., so every exact statement about the compiled program
// ("it splits iff tot*eps^2 > 8*sigma^2") would silently be about a different epsilon. Everything
// here therefore works on the decimal text itself:
//
//  * DecimalText: the exact value of a decimal literal as sign * digits * 10^exponent, with the
//    digits kept as a string (no length limit, nothing rounded). Used for data values, which may
//    carry any number of digits.
//  * Rational: a normalised fraction num/den with __int128 parts, used for parameters. parse()
//    accepts exactly the DecimalText grammar and refuses values whose normalised numerator or
//    denominator exceeds 10^18 (roughly: more than 18 significant digits or decimal places), and
//    texts with more than 38 significant digits. That bound keeps every product
//    compile_constants forms from them (num*scale, den^2, ...) inside 128 bits (reference.cpp).
#pragma once

#include "support/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace xdpml::anova {

// The exact value of a decimal literal: (negative ? -1 : 1) * digits * 10^exponent.
// Grammar (no surrounding whitespace, no hex, no inf/nan, no thousands separators):
//   [+-]? ( D+ ( '.' D* )? | '.' D+ ) ( [eE] [+-]? D+ )?
// Normal form: `digits` has no leading zeros and no trailing zeros (they are moved into
// `exponent`); zero is digits "0", exponent 0, and keeps its sign only in `negative` (so "-0.0"
// is recognisably negative zero, which the integerizer treats as 0). Exponents beyond +-10^12 are
// clamped (such values are far outside any range used here and stay far outside after clamping).
struct DecimalText {
  bool negative = false;
  std::string digits = "0";
  int64_t exponent = 0;

  bool is_zero() const { return digits == "0"; }
  static Result<DecimalText> parse(std::string_view text);
};

class Rational {
public:
  // 0/1.
  Rational() = default;
  // n/d normalised (gcd 1, den > 0). d must not be 0 (asserted); |n|, d must be < 2^126 so that
  // normalisation cannot overflow.
  static Rational of(__int128 n, __int128 d = 1);
  // Parses a decimal literal (DecimalText grammar) exactly. Errors: "invalid decimal" (not a
  // decimal literal) or "out of range" (normalised numerator/denominator above 10^18, or more
  // than 38 significant digits).
  static Result<Rational> parse(std::string_view text);

  __int128 num() const { return num_; }
  __int128 den() const { return den_; }
  bool is_zero() const { return num_ == 0; }
  bool is_negative() const { return num_ < 0; }
  double to_double() const;
  // "n/d" or "n" when den == 1.
  std::string to_string() const;

  friend bool operator==(const Rational& a, const Rational& b) {
    return a.num_ == b.num_ && a.den_ == b.den_;
  }

private:
  __int128 num_ = 0;
  __int128 den_ = 1;
};

// Decimal rendering of a 128-bit integer (std::to_string has no __int128 overload).
std::string int128_to_string(__int128 v);

} // namespace xdpml::anova
