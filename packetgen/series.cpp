#include "packetgen/series.hpp"

#include "compiler/anova/reference.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace xdpml::packetgen {

Result<Series> Series::make(const WireFormat& format, std::vector<DataValue> values,
                            const std::string& path) {
  if (values.size() < format.samples)
    return fail("the data has " + std::to_string(values.size()) + " value(s); one window needs " +
                    std::to_string(format.samples) + " consecutive values",
                {path},
                "give a file with at least " + std::to_string(format.samples) +
                    " values (one per line, or CSV with --column)");
  Series s;
  s.format_ = format;
  s.path_ = path;
  if (format.encoding == Encoding::U32) {
    s.ints_.reserve(values.size());
    for (const auto& v : values) {
      const auto x = anova::integerize_decimal(v.text, format.scale);
      if (!x)
        return fail("value '" + v.text + "' cannot be sent as osh-u32 at scale " +
                        std::to_string(format.scale) +
                        ": it must be a non-negative decimal with value*scale < 2^32",
                    {path, v.line, 0, 1, {}},
                    "the u32 format has no way to mark a sample invalid; remove the value, "
                    "lower the scale, or send doubles (--format osh-f64 / compile --input f64)");
      s.ints_.push_back(*x);
    }
  }
  s.values_ = std::move(values);
  return s;
}

Series Series::from_rows(const WireFormat& format, std::vector<uint32_t> wire,
                         const std::string& path) {
  Series s;
  s.format_ = format;
  s.path_ = path;
  s.rows_ = true;
  s.wire_ = std::move(wire);
  s.wire_.resize(s.wire_.size() - s.wire_.size() % std::max<size_t>(format.samples, 1));
  return s;
}

std::vector<int64_t> Series::row_wire(size_t w) const {
  std::vector<int64_t> out(per_packet());
  for (size_t k = 0; k < out.size(); ++k) {
    const uint32_t x = wire_[w * per_packet() + k];
    out[k] = format_.encoding == Encoding::I32 ? int64_t{static_cast<int32_t>(x)} : int64_t{x};
  }
  return out;
}

void Series::window_bytes(size_t w, uint8_t* out) const {
  if (rows_) {
    for (size_t k = 0; k < per_packet(); ++k) store_le32(out + 4 * k, wire_[w * per_packet() + k]);
    return;
  }
  for (size_t k = 0; k < per_packet(); ++k) {
    if (format_.encoding == Encoding::U32) {
      const uint32_t x = ints_[w + k];
      for (int b = 0; b < 4; ++b) out[4 * k + b] = static_cast<uint8_t>(x >> (8 * b));
    } else {
      store_le64(out + 8 * k, std::bit_cast<uint64_t>(values_[w + k].value));
    }
  }
}

std::vector<uint8_t> Series::window_bytes(size_t w) const {
  std::vector<uint8_t> out(format_.data_bytes());
  window_bytes(w, out.data());
  return out;
}

nlohmann::json Series::wire_value(size_t i) const {
  if (format_.encoding == Encoding::U32) return ints_[i];
  const double v = values_[i].value;
  if (std::isfinite(v)) return v;
  return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
}

std::optional<Reference> parse_reference(std::string_view name) {
  if (name == "exact") return Reference::Exact;
  if (name == "osh-int") return Reference::OshInt;
  if (name == "double") return Reference::Double;
  return std::nullopt;
}

const char* reference_name(Reference r) {
  switch (r) {
  case Reference::Exact:
    return "exact";
  case Reference::OshInt:
    return "osh-int";
  case Reference::Double:
    return "double";
  }
  return "?";
}

Result<ReferenceTags> expected_tags(const Series& series, Reference reference) {
  const WireFormat& f = series.format();
  auto params = anova::make_params(f.epsilon, f.scale);
  if (!params) return params.failure();
  ReferenceTags r;
  r.tags.resize(series.windows());
  const bool u32 = f.encoding == Encoding::U32;
  const auto& values = series.values();
  if (reference == Reference::OshInt && (f.epsilon != "0.1" || f.scale != 16384))
    r.notes.push_back("the osh-int reference is the report's program with its constants for "
                      "epsilon 0.1 at x16384; this contract says epsilon " +
                      f.epsilon + " at x" + std::to_string(f.scale));
  const double eps_double = std::strtod(f.epsilon.c_str(), nullptr);
  const size_t n = series.per_packet();
  if (reference == Reference::OshInt && n != anova::kSamples)
    return fail("--reference osh-int is the report's program for 16 samples a packet; this "
                "contract carries " +
                    std::to_string(n),
                {f.origin}, "use --reference exact or double");
  std::vector<uint32_t> x(n);
  std::vector<double> d(n);
  for (size_t w = 0; w < series.windows(); ++w) {
    bool convertible = true;
    for (size_t k = 0; k < n; ++k) {
      d[k] = values[w + k].value;
      if (u32) {
        x[k] = series.integerized(w + k);
      } else if (const auto fx = anova::program_f64_fixed(d[k], f.scale)) {
        x[k] = static_cast<uint32_t>(*fx); // <= 2^31
      } else {
        convertible = false;
      }
    }
    int tag = anova::kInvalid;
    switch (reference) {
    case Reference::Exact:
      tag = convertible ? anova::decide_exact(x, *params) : anova::kInvalid;
      break;
    case Reference::OshInt:
      tag = u32 ? anova::decide_osh_int_samples(std::span<const uint32_t, anova::kSamples>(x))
                : anova::decide_osh_int(std::span<const double, anova::kSamples>(d));
      break;
    case Reference::Double:
      tag = anova::decide_double(d, eps_double);
      break;
    }
    r.tags[w] = static_cast<uint8_t>(tag);
  }
  return r;
}

} // namespace xdpml::packetgen
