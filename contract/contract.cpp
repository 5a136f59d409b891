#include "contract/contract.hpp"

#include <elf.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <stdexcept>

namespace xdpml::contract {

using nlohmann::json;

namespace {

SourceLocation section_location() {
  return {"<object>", 0, 0, 1, "section " + std::string(kSection)};
}

std::string kind(const json& v) {
  return std::string(v.type_name()) + " " + v.dump();
}

bool is_count(const json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
}

// Each of `keys` that `obj` has must satisfy is_ok.
template <typename Pred>
std::optional<std::string> want(const json& obj, const std::string& path,
                                std::initializer_list<const char*> keys, Pred is_ok,
                                const char* what) {
  for (const char* k : keys) {
    const auto it = obj.find(k);
    if (it != obj.end() && !is_ok(*it))
      return "field " + path + k + " must be " + what + ", not " + kind(*it);
  }
  return std::nullopt;
}

// obj[key], when present, must be an array whose every element satisfies is_ok.
template <typename Pred>
std::optional<std::string> want_array(const json& obj, const std::string& path, const char* key,
                                      Pred is_ok, const char* what) {
  const auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (!it->is_array())
    return "field " + path + key + " must be an array of " + what + ", not " + kind(*it);
  for (size_t i = 0; i < it->size(); ++i)
    if (!is_ok((*it)[i]))
      return "field " + path + key + "[" + std::to_string(i) + "] must be " + what + ", not " +
             kind((*it)[i]);
  return std::nullopt;
}

} // namespace

std::optional<std::string> shape_error(const json& c) {
  if (!c.is_object()) return "the contract is not a JSON object";
  const auto is_string = [](const json& v) { return v.is_string(); };
  const auto is_object = [](const json& v) { return v.is_object(); };
  const auto is_number = [](const json& v) { return v.is_number(); };
  const auto is_integer = [](const json& v) { return v.is_number_integer(); };
  std::optional<std::string> e;
  if ((e = want(c, "", {"model", "program", "section", "validity"}, is_string, "a string")) ||
      (e = want(c, "",
                {"code", "layout", "match", "anova", "tags", "input", "output", "quantized",
                 "float_model"},
                is_object, "an object")) ||
      (e = want(c, "", {"xdpml_contract"}, is_count, "a non-negative integer")))
    return e;
  if (c.contains("code") &&
      (e = want(c["code"], "code.",
                {"instructions", "slots", "stack_bytes", "registers", "spilled_values"}, is_count,
                "a non-negative integer")))
    return e;
  if (c.contains("layout") &&
      ((e = want(c["layout"], "layout.", {"magic", "encoding"}, is_string, "a string")) ||
       (e = want(c["layout"], "layout.",
                 {"payload_offset", "magic_offset", "tag_offset", "tag_bytes", "data_offset",
                  "samples", "stride", "frame_bytes", "udp_dest_port", "result_offset",
                  "result_bytes", "features"},
                 is_count, "a non-negative integer"))))
    return e;
  if (c.contains("anova") &&
      ((e = want(c["anova"], "anova.", {"epsilon", "input", "rounding", "y"}, is_string,
                 "a string")) ||
       (e = want(c["anova"], "anova.", {"window", "scale", "threshold_T", "sum_limit"}, is_count,
                 "a non-negative integer"))))
    return e;
  if (c.contains("input") &&
      ((e = want(c["input"], "input.", {"features"}, is_count, "a non-negative integer")) ||
       (e = want(c["input"], "input.", {"encoding", "wire"}, is_string, "a string")) ||
       (e = want_array(c["input"], "input.", "scale", is_number, "numbers")) ||
       (e = want_array(c["input"], "input.", "wire_min", is_integer, "integers")) ||
       (e = want_array(c["input"], "input.", "wire_max", is_integer, "integers"))))
    return e;
  if (c.contains("output") &&
      ((e = want(c["output"], "output.", {"kind", "tag", "result"}, is_string, "a string")) ||
       (e = want(c["output"], "output.", {"scale"}, is_number, "a number")) ||
       (e = want(c["output"], "output.", {"classes", "result_offset", "result_bytes"}, is_count,
                 "a non-negative integer")) ||
       (e = want_array(c["output"], "output.", "class_names", is_string, "strings"))))
    return e;
  if (c.contains("provenance")) {
    const auto& p = c["provenance"];
    if (!p.is_array()) return "field provenance must be an array, not " + kind(p);
    for (size_t i = 0; i < p.size(); ++i) {
      const std::string at = "provenance[" + std::to_string(i) + "].";
      if (!p[i].is_object()) return "field provenance[" + std::to_string(i) + "] must be an object";
      if ((e = want(p[i], at, {"insn"}, is_count, "a non-negative integer")) ||
          (e = want(p[i], at, {"node"}, is_string, "a string")))
        return e;
    }
  }
  return std::nullopt;
}

Result<json> parse_contract(std::string_view text) {
  json contract;
  try {
    contract = json::parse(text.begin(), text.end());
  } catch (const std::exception& e) {
    return fail(std::string("the I/O contract is not valid JSON: ") + e.what(), section_location());
  }
  if (auto error = shape_error(contract))
    return fail("the I/O contract is malformed: " + *error, section_location(),
                "recompile the object with `xdpml compile`");
  return contract;
}

void store_contract(bpf::ObjectFile& object, const nlohmann::json& contract) {
  const std::string text = contract.dump(1);
  int index = object.find_section(kSection);
  if (index < 0) {
    object.add_section(kSection, SHT_PROGBITS, 0, 1);
    index = static_cast<int>(object.sections.size()) - 1;
  }
  object.sections[static_cast<size_t>(index)].data.assign(text.begin(), text.end());
}

namespace {
int contract_section(const bpf::ObjectFile& object) {
  const int current = object.find_section(kSection);
  return current >= 0 ? current : object.find_section(kLegacySection);
}
} // namespace

bool has_contract(const bpf::ObjectFile& object) {
  return contract_section(object) >= 0;
}

Result<json> read_contract(const bpf::ObjectFile& object) {
  const int cs = contract_section(object);
  if (cs < 0)
    return fail(
        "the object has no I/O contract (section " + std::string(kSection) + ")", {},
        "objects compiled by `xdpml compile` carry one; for others pass --format and --scale");
  const auto& d = object.sections[static_cast<size_t>(cs)].data;
  return parse_contract(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

ModelKind model_kind(const json& c) {
  if (!c.is_object()) return ModelKind::Other;
  const auto it = c.find("model");
  if (it == c.end() || !it->is_string()) return ModelKind::Other;
  if (*it == "anova") return ModelKind::Anova;
  if (*it == "network") return ModelKind::Network;
  return ModelKind::Other;
}

Failure contract_error(const std::string& origin, const std::string& message) {
  return fail("I/O contract: " + message, {origin, 0, 0, 1, "section " + std::string(kSection)},
              "recompile the object with this version of `xdpml compile`");
}

uint32_t unsigned_field(const json& object, const char* key, uint64_t max) {
  const auto& v = object.at(key);
  const bool in_range = v.is_number_unsigned()  ? v.get<uint64_t>() <= max
                        : v.is_number_integer() ? v.get<int64_t>() >= 0 &&
                                                      static_cast<uint64_t>(v.get<int64_t>()) <= max
                                                : false;
  if (!in_range)
    throw std::out_of_range(std::string(key) + " = " + v.dump() + " is not an integer in [0, " +
                            std::to_string(max) + "]");
  return static_cast<uint32_t>(v.get<uint64_t>());
}

std::optional<uint64_t> parse_magic(const std::string& text) {
  size_t i = 0;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) i = 2;
  if (i == text.size() || text.size() - i > 16) return std::nullopt;
  uint64_t v = 0;
  for (; i < text.size(); ++i) {
    const auto ch = static_cast<unsigned char>(text[i]);
    if (!std::isxdigit(ch)) return std::nullopt;
    v = v << 4 | static_cast<uint64_t>(std::isdigit(ch) ? ch - '0' : std::tolower(ch) - 'a' + 10);
  }
  return v;
}

std::optional<std::string> placement_error(const std::vector<Field>& fields) {
  for (const auto& f : fields)
    if (f.begin < kPayloadOffset || f.end > kMaxFrame - kSeqBytes)
      return std::string(f.name) + " at " + std::to_string(f.begin) + " lies outside the payload";
  for (const auto& f : fields)
    for (const auto& g : fields)
      if (&f != &g && f.begin < g.end && g.begin < f.end)
        return std::string(f.name) + " overlaps " + g.name;
  return std::nullopt;
}

Result<NetworkContract> network_contract(const json& c, const std::string& origin) {
  if (model_kind(c) != ModelKind::Network)
    return contract_error(origin, "model '" + (c.is_object() ? c.value("model", "") : "") +
                                      "' is not a network");
  if (auto e = shape_error(c)) return contract_error(origin, *e);
  NetworkContract n;
  try {
    const auto& l = c.at("layout");
    if (unsigned_field(l, "payload_offset") != kPayloadOffset)
      return contract_error(origin, "payload_offset " + l.at("payload_offset").dump() +
                                        " is not 42 (Ethernet + IPv4 without options + UDP)");
    const std::string magic = l.at("magic").get<std::string>();
    const auto m = parse_magic(magic);
    if (!m) return contract_error(origin, "magic '" + magic + "' is not a hexadecimal number");
    n.magic = *m;
    if (unsigned_field(l, "tag_bytes") != 8) return contract_error(origin, "tag_bytes must be 8");
    // Offsets are bounded here so that no sum below can wrap around 2^32.
    n.magic_offset = unsigned_field(l, "magic_offset", kMaxFrame);
    n.tag_offset = unsigned_field(l, "tag_offset", kMaxFrame);
    n.result_offset = unsigned_field(l, "result_offset", kMaxFrame);
    n.result_bytes = unsigned_field(l, "result_bytes", kMaxFrame);
    n.data_offset = unsigned_field(l, "data_offset", kMaxFrame);
    n.features = unsigned_field(l, "features", kMaxFrame);
    n.frame_bytes = unsigned_field(l, "frame_bytes", kMaxFrame);
    n.udp_port = static_cast<uint16_t>(unsigned_field(l, "udp_dest_port", 65535));
    const std::string enc = l.at("encoding").get<std::string>();
    const uint32_t stride = unsigned_field(l, "stride", 8);
    if ((enc != "i32le" && enc != "u32le") || stride != 4)
      return contract_error(origin, "encoding '" + enc + "' with stride " + std::to_string(stride) +
                                        " (expected i32le/4 or u32le/4 for a network)");
    n.signed_features = enc == "i32le";
    if (n.features == 0) return contract_error(origin, "a network needs at least one feature");
    if (n.result_bytes != 4)
      return contract_error(origin, "result_bytes must be 4 (a signed 32-bit result)");

    const auto& out = c.at("output");
    const std::string kind = out.at("kind").get<std::string>();
    if (kind == "argmax") {
      n.argmax = true;
      // The tag (class index + 1) is one byte, 0 meaning "unprocessed".
      n.classes = unsigned_field(out, "classes", 255);
      if (n.classes < 1) return contract_error(origin, "an argmax output needs a class");
      if (out.contains("class_names"))
        n.class_names = out.at("class_names").get<std::vector<std::string>>();
    } else if (kind == "regression") {
      n.output_scale = out.at("scale").get<double>();
      if (!std::isfinite(n.output_scale) || !(n.output_scale > 0))
        return contract_error(origin,
                              "output.scale " + out.at("scale").dump() + " is not positive");
      if (out.contains("result_offset") && unsigned_field(out, "result_offset") != n.result_offset)
        return contract_error(origin, "output.result_offset disagrees with layout.result_offset");
    } else {
      return contract_error(origin, "output.kind '" + kind + "' (expected argmax or regression)");
    }

    const auto& in = c.at("input");
    if (unsigned_field(in, "features") != n.features)
      return contract_error(origin, "input.features " + in.at("features").dump() +
                                        " disagrees with layout.features " +
                                        std::to_string(n.features));
    n.wire_min = in.at("wire_min").get<std::vector<int64_t>>();
    n.wire_max = in.at("wire_max").get<std::vector<int64_t>>();
    if (n.wire_min.size() != n.features || n.wire_max.size() != n.features)
      return contract_error(origin, "input.wire_min/wire_max need one value per feature (" +
                                        std::to_string(n.features) + ")");
    const int64_t type_lo = n.signed_features ? INT32_MIN : 0;
    const int64_t type_hi = n.signed_features ? INT32_MAX : int64_t{UINT32_MAX};
    for (uint32_t i = 0; i < n.features; ++i)
      if (n.wire_min[i] > n.wire_max[i] || n.wire_min[i] < type_lo || n.wire_max[i] > type_hi)
        return contract_error(origin, "input feature " + std::to_string(i) + ": wire range [" +
                                          std::to_string(n.wire_min[i]) + ", " +
                                          std::to_string(n.wire_max[i]) + "] does not fit " + enc);
  } catch (const std::exception& e) {
    return contract_error(origin, std::string("missing or malformed field: ") + e.what());
  }
  const std::vector<Field> fields = {
      {"magic", n.magic_offset, uint64_t{n.magic_offset} + 8},
      {"tag", n.tag_offset, uint64_t{n.tag_offset} + 8},
      {"result", n.result_offset, uint64_t{n.result_offset} + n.result_bytes},
      {"data", n.data_offset, uint64_t{n.data_offset} + 4 * uint64_t{n.features}}};
  if (auto e = placement_error(fields)) return contract_error(origin, *e);
  // Frames end after the sequence number behind the last field; a program that wants more
  // would pass every one of them untouched.
  uint64_t end = 0;
  for (const auto& f : fields) end = std::max(end, f.end);
  if (n.frame_bytes > end + kSeqBytes)
    return contract_error(origin, "frame_bytes " + std::to_string(n.frame_bytes) +
                                      " is longer than the frame (" +
                                      std::to_string(end + kSeqBytes) + " bytes)");
  return n;
}

} // namespace xdpml::contract
