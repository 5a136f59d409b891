#include "tests/storm/oracle.hpp"

#include "contract/contract.hpp"

#include <stdexcept>

namespace xdpml::storm {

namespace {

uint16_t be16(std::span<const uint8_t> f, size_t at) {
  return static_cast<uint16_t>(f[at] << 8 | f[at + 1]);
}

uint64_t le(std::span<const uint8_t> f, size_t at, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = bytes; i-- > 0;) v = v << 8 | f[at + i];
  return v;
}

bool inside(size_t at, uint32_t begin, uint32_t bytes) {
  return at >= begin && at < uint64_t{begin} + bytes;
}

} // namespace

Result<Layout> layout_from_contract(const nlohmann::json& c, const std::string& origin) {
  Layout l;
  auto wire = packetgen::wire_format_from_contract(c, origin);
  if (!wire) return wire.failure();
  l.wire = *wire;
  try {
    using contract::unsigned_field;
    l.model = c.at("model").get<std::string>();
    const auto& m = c.at("match");
    const std::string mode = m.at("mode").get<std::string>();
    if (mode != "magic" && mode != "full")
      return contract::contract_error(origin,
                                      "match.mode '" + mode + "' is neither magic nor full");
    l.full_match = mode == "full";
    const auto& lay = c.at("layout");
    l.frame_bytes = unsigned_field(lay, "frame_bytes", contract::kMaxFrame);
    l.magic_offset = unsigned_field(lay, "magic_offset", contract::kMaxFrame);
    l.tag_offset = unsigned_field(lay, "tag_offset", contract::kMaxFrame);
    l.tag_bytes = unsigned_field(lay, "tag_bytes", 8);
    l.udp_port = static_cast<uint16_t>(unsigned_field(lay, "udp_dest_port", 65535));
    const auto magic = contract::parse_magic(lay.at("magic").get<std::string>());
    if (!magic) return contract::contract_error(origin, "layout.magic is not a hexadecimal number");
    l.magic = *magic;
    if (l.full_match) {
      l.ethertype = static_cast<uint16_t>(unsigned_field(m, "ethertype", 65535));
      l.ip_protocol = static_cast<uint8_t>(unsigned_field(m, "ip_protocol", 255));
      l.udp_port = static_cast<uint16_t>(unsigned_field(m, "udp_dest_port", 65535));
    }
    if (l.model == "network" && c.at("output").at("kind") == "regression") {
      l.result_offset = unsigned_field(c["output"], "result_offset", contract::kMaxFrame);
      l.result_bytes = unsigned_field(c["output"], "result_bytes", 8);
    }
    for (const auto& [key, meaning] : c.at("tags").items()) {
      size_t used = 0;
      const uint64_t v = std::stoull(key, &used);
      if (used != key.size()) throw std::invalid_argument("tag '" + key + "'");
      if (v != 0) l.tags.push_back(v);
    }
  } catch (const std::exception& e) {
    return contract::contract_error(origin, std::string("missing or malformed field: ") + e.what());
  }
  if (l.tags.empty()) return contract::contract_error(origin, "no tag but 0 in 'tags'");
  if (l.frame_bytes < l.magic_offset + 8 || l.frame_bytes < l.tag_offset + l.tag_bytes ||
      l.frame_bytes < l.result_offset + l.result_bytes || l.frame_bytes < 42)
    return contract::contract_error(origin, "layout.frame_bytes does not cover the fields");
  return l;
}

bool is_ours(std::span<const uint8_t> f, const Layout& l) {
  if (f.size() < l.frame_bytes) return false;
  if (l.full_match) {
    if (be16(f, 12) != l.ethertype) return false;
    if (f[14] >> 4 != 4 || (f[14] & 0xf) != 5) return false; // IPv4, 20-byte header
    if (f[23] != l.ip_protocol) return false;                // 14 + 9
    if ((be16(f, 20) & 0x3fff) != 0) return false;           // MF or fragment offset
    if (be16(f, 36) != l.udp_port) return false;             // 14 + 20 + 2
  }
  if (le(f, l.magic_offset, 8) != l.magic) return false;
  return le(f, l.tag_offset, l.tag_bytes) == 0;
}

std::optional<std::string> owned_output_error(std::span<const uint8_t> in,
                                              std::span<const uint8_t> out, const Layout& l) {
  if (out.size() != in.size())
    return "the frame came back " + std::to_string(out.size()) + " bytes long instead of " +
           std::to_string(in.size());
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i] != out[i] && !inside(i, l.tag_offset, l.tag_bytes) &&
        !inside(i, l.result_offset, l.result_bytes))
      return "byte " + std::to_string(i) + " changed (" + std::to_string(in[i]) + " -> " +
             std::to_string(out[i]) + ") outside the tag and result fields";
  const uint64_t tag = le(out, l.tag_offset, l.tag_bytes);
  for (uint64_t t : l.tags)
    if (t == tag) return std::nullopt;
  return "tag " + std::to_string(tag) + " is not one of the contract's tags";
}

} // namespace xdpml::storm
