// A data file as the sender puts it on the wire, and the tag each reference expects per window.
//
// Windows: every 16 consecutive values (A = the first 8, B = the next 8), sliding by one, the last
// one included: N values give N - 15 windows, numbered 0 .. N - 16 (window w starts at value w).
// The 2019 sender stopped one window early; the sequence numbers here are window indices. A
// contract with another window size (`compile anova --window W`) carries 2W values a packet, and
// everything here slides over 2W values instead of 16.
//
// A network's contract (`xdpml compile model`) sends rows instead: one frame per row of a feature
// table, the row's wire values as 32-bit little-endian words (Series::from_rows; network.hpp
// turns a feature table into them), and the "windows" below are the row indices.
#pragma once

#include "packetgen/wire.hpp"
#include "support/datafile.hpp"
#include "support/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xdpml::packetgen {

constexpr size_t kWindowValues = 16;

// Number of sliding windows of `per_packet` values in a series of n values (the last included).
constexpr size_t window_count(size_t n, size_t per_packet = kWindowValues) {
  return n < per_packet ? 0 : n - per_packet + 1;
}

class Series {
public:
  // osh-u32: every value is integerized with integerize_decimal (round half up of the exact
  // decimal times the scale); a value that the u32 format cannot carry (negative, NaN, infinite,
  // not a decimal, value*scale >= 2^32) is an error naming path:line, since the wire format has no
  // way to say "invalid". osh-f64: the double of each value is sent as it is (NaN, infinities
  // and negative values included: the program's answer to them, tag 3, is part of what is
  // checked). Fewer values than one packet carries (format.samples) is an error.
  static Result<Series> make(const WireFormat& format, std::vector<DataValue> values,
                             const std::string& path);
  // Networks: `wire` holds format.samples 32-bit words per row (two's complement for i32), row
  // after row; frame w carries row w.
  static Series from_rows(const WireFormat& format, std::vector<uint32_t> wire,
                          const std::string& path);

  size_t windows() const {
    return rows_ ? wire_.size() / format_.samples : window_count(values_.size(), format_.samples);
  }
  size_t per_packet() const { return format_.samples; } // values in one window's packet
  bool rows() const { return rows_; }                   // one row per frame (networks)
  // Networks: the wire values of row w (format.samples of them, sign-extended for i32).
  std::vector<int64_t> row_wire(size_t w) const;
  const std::vector<DataValue>& values() const { return values_; }
  const WireFormat& format() const { return format_; }
  const std::string& path() const { return path_; }

  // The encoded samples of window w: format().data_bytes() bytes, little-endian.
  void window_bytes(size_t w, uint8_t* out) const;
  std::vector<uint8_t> window_bytes(size_t w) const;
  // Value i as it is on the wire, for reports: the integer (u32) or the double (f64; NaN and
  // infinities as strings, since JSON has no such numbers).
  nlohmann::json wire_value(size_t i) const;
  uint32_t integerized(size_t i) const { return ints_[i]; } // osh-u32 only

private:
  WireFormat format_;
  std::vector<DataValue> values_;
  std::vector<uint32_t> ints_; // osh-u32: the integerized values
  std::vector<uint32_t> wire_; // networks: the rows' wire words
  bool rows_ = false;
  std::string path_;
};

// What a received tag is compared with (see `xdpml recv --reference`).
enum class Reference {
  Exact,  // decide_exact on the packet's integers (u32), or on program_f64_fixed of its doubles
          // (f64; any sample that cannot be converted means tag 3): the compiled program's
          // bit-exact semantics
  OshInt, // the 2019 report's v1 integer program (decide_osh_int_samples on the packet's u32
          // samples; decide_osh_int on its doubles, which truncates x*16384 as the report did)
  Double, // the report's double computation (decide_double) on the data file's values
};

std::optional<Reference> parse_reference(std::string_view name);
const char* reference_name(Reference r);

struct ReferenceTags {
  std::vector<uint8_t> tags;      // per window: 1 split, 2 no split, 3 invalid
  std::vector<std::string> notes; // caveats worth printing (e.g. osh-int's fixed constants)
};

// The expected tag of every window of the series. Errors only for unusable parameters.
Result<ReferenceTags> expected_tags(const Series& series, Reference reference);

} // namespace xdpml::packetgen
