// Option checks with messages a user reads ("--rate: -5 is not a number >= 0"), instead of
// CLI11's NonNegativeNumber/PositiveNumber, which print their range as 0 to 1.79e308 written
// out in full.
#pragma once

#include <CLI/CLI.hpp>

#include <cmath>
#include <string>

namespace xdpml {

inline CLI::Validator number_at_least(double lo, bool strict, const std::string& what) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        size_t used = 0;
        double v = 0;
        try {
          v = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != text.size() || !std::isfinite(v) || (strict ? v <= lo : v < lo))
          return "'" + text + "' is not " + what;
        return {};
      },
      what);
}

inline CLI::Validator non_negative_number() {
  return number_at_least(0, false, "a number >= 0");
}
inline CLI::Validator positive_number() {
  return number_at_least(0, true, "a number > 0");
}

} // namespace xdpml
