#include "packetgen/wire.hpp"

#include "compiler/anova/compile.hpp"
#include "compiler/anova/reference.hpp"
#include "contract/contract.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

namespace xdpml::packetgen {

uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void store_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint32_t load_le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

void store_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

namespace {

void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void store_be32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

using contract::contract_error;
using contract::kMaxFrame;
using contract::unsigned_field;

// A network's packet (contract::network_contract checks it) as the tools put it on the wire.
Result<WireFormat> network_wire_format(const nlohmann::json& c, const std::string& origin) {
  auto n = contract::network_contract(c, origin);
  if (!n) return n.failure();
  WireFormat w;
  w.model = ModelKind::Network;
  w.origin = origin;
  w.encoding = n->signed_features ? Encoding::I32 : Encoding::U32;
  w.magic_offset = n->magic_offset;
  w.magic = n->magic;
  w.tag_offset = n->tag_offset;
  w.data_offset = n->data_offset;
  w.samples = n->features;
  w.stride = 4;
  w.udp_port = n->udp_port;
  w.epsilon.clear();
  w.scale = 0;
  w.result_offset = n->result_offset;
  w.result_bytes = n->result_bytes;
  w.argmax = n->argmax;
  w.classes = n->classes;
  w.class_names = n->class_names;
  w.output_scale = n->output_scale;
  return w;
}

} // namespace

uint32_t WireFormat::seq_offset() const {
  return std::max(
      {magic_offset + 8, tag_offset + 8, data_offset + data_bytes(), result_offset + result_bytes});
}

Result<WireFormat> wire_format_from_contract(const nlohmann::json& contract,
                                             const std::string& origin) {
  WireFormat w;
  w.origin = origin;
  try {
    const std::string model = contract.value("model", "");
    if (model == "network") return network_wire_format(contract, origin);
    if (model != "anova")
      return contract_error(origin, "model '" + model +
                                        "' is not supported by send/recv (only the ANOVA "
                                        "segmenter's and networks' contracts are)");
    const auto& l = contract.at("layout");
    const auto& a = contract.at("anova");
    if (unsigned_field(l, "payload_offset") != kHeaderBytes)
      return contract_error(origin, "payload_offset " + l.at("payload_offset").dump() +
                                        " is not 42 (Ethernet + IPv4 without options + UDP)");
    const std::string magic = l.at("magic").get<std::string>();
    size_t used = 0;
    // stoull would also take leading blanks and a sign ("-1" is 2^64 - 1).
    if (magic.empty() || !std::isxdigit(static_cast<unsigned char>(magic[0])))
      return contract_error(origin, "magic '" + magic + "' is not a hexadecimal number");
    w.magic = std::stoull(magic, &used, 16);
    if (used != magic.size())
      return contract_error(origin, "magic '" + magic + "' is not a hexadecimal number");
    if (unsigned_field(l, "tag_bytes") != 8) return contract_error(origin, "tag_bytes must be 8");
    // Offsets are bounded here so that no sum below can wrap around 2^32.
    w.magic_offset = unsigned_field(l, "magic_offset", kMaxFrame);
    w.tag_offset = unsigned_field(l, "tag_offset", kMaxFrame);
    w.data_offset = unsigned_field(l, "data_offset", kMaxFrame);
    w.samples = unsigned_field(l, "samples", kMaxFrame);
    w.stride = unsigned_field(l, "stride", 8);
    w.udp_port = static_cast<uint16_t>(unsigned_field(l, "udp_dest_port", 65535));
    const std::string enc = l.at("encoding").get<std::string>();
    if (enc == "u32le" && w.stride == 4)
      w.encoding = Encoding::U32;
    else if (enc == "f64le" && w.stride == 8)
      w.encoding = Encoding::F64;
    else
      return contract_error(origin, "encoding '" + enc + "' with stride " +
                                        std::to_string(w.stride) +
                                        " (expected u32le/4 or f64le/8)");
    const std::string input = a.at("input").get<std::string>();
    if ((input == "u32") != (w.encoding == Encoding::U32))
      return contract_error(origin,
                            "anova.input '" + input + "' disagrees with encoding '" + enc + "'");
    const uint32_t window = a.contains("window") ? unsigned_field(a, "window") : 8u;
    if (w.samples != 2 * window || !anova::window_size_ok(static_cast<int>(window)))
      return contract_error(origin, "samples " + std::to_string(w.samples) + " with window " +
                                        std::to_string(window) +
                                        ": the segmenter reads two windows of N samples per "
                                        "packet, N a power of two from 2 to " +
                                        std::to_string(anova::kLargestWindow));
    w.epsilon = a.at("epsilon").get<std::string>();
    w.scale = unsigned_field(a, "scale");
  } catch (const std::exception& e) {
    return contract_error(origin, std::string("missing or malformed field: ") + e.what());
  }
  // The three fields must lie in the payload, apart from each other.
  if (auto e = contract::placement_error(
          {{"magic", w.magic_offset, uint64_t{w.magic_offset} + 8},
           {"tag", w.tag_offset, uint64_t{w.tag_offset} + 8},
           {"data", w.data_offset, uint64_t{w.data_offset} + w.data_bytes()}}))
    return contract_error(origin, *e);
  if (auto p = anova::make_params(w.epsilon, w.scale); !p)
    return contract_error(origin, "parameters: " + p.diagnostics().items().front().message);
  return w;
}

Result<WireFormat> wire_format_osh(const std::string& format, uint32_t scale,
                                   const std::string& epsilon) {
  anova::AnovaSpec spec;
  if (format == "osh-u32")
    spec.input = anova::InputFormat::U32;
  else if (format == "osh-f64")
    spec.input = anova::InputFormat::F64;
  else
    return fail("unknown format '" + format + "'", {}, "use osh-u32 or osh-f64");
  auto eps = anova::Rational::parse(epsilon);
  if (!eps)
    return fail("--epsilon '" + epsilon + "': " + eps.diagnostics().items().front().message, {},
                "give a decimal such as 0.1");
  if (scale == 0) return fail("--scale must be a positive integer");
  spec.epsilon = *eps;
  spec.epsilon_text = epsilon;
  spec.scale = scale;
  spec.match = anova::MatchMode::Magic;
  // Same contract as an object compiled with these parameters, so both paths share one parser.
  auto k = anova::anova_constants(spec);
  if (!k) return k.failure();
  return wire_format_from_contract(anova::anova_contract(spec, *k), "--format " + format);
}

uint16_t ipv4_checksum(std::span<const uint8_t> header) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < header.size(); i += 2)
    sum += static_cast<uint32_t>(header[i]) << 8 | header[i + 1];
  if (header.size() % 2) sum += static_cast<uint32_t>(header.back()) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

size_t build_frame_into(const WireFormat& format, const Endpoints& endpoints,
                        std::span<const uint8_t> sample_bytes, uint64_t seq, uint8_t* out) {
  const size_t size = format.frame_size();
  uint8_t* p = out;
  std::memset(p, 0, size);
  // Ethernet
  std::copy(endpoints.dst_mac.begin(), endpoints.dst_mac.end(), p);
  std::copy(endpoints.src_mac.begin(), endpoints.src_mac.end(), p + 6);
  store_be16(p + 12, 0x0800);
  // IPv4: version 4, IHL 5, total length, id (low bits of the sequence number, helps reading
  // captures), don't fragment, TTL 64, UDP.
  uint8_t* ip = p + kEthernetBytes;
  ip[0] = 0x45;
  store_be16(ip + 2, static_cast<uint16_t>(size - kEthernetBytes));
  store_be16(ip + 4, static_cast<uint16_t>(seq));
  store_be16(ip + 6, 0x4000);
  ip[8] = 64;
  ip[9] = 17;
  store_be32(ip + 12, endpoints.src_ip);
  store_be32(ip + 16, endpoints.dst_ip);
  store_be16(ip + 10, ipv4_checksum({ip, kIpv4Bytes}));
  // UDP
  uint8_t* udp = ip + kIpv4Bytes;
  store_be16(udp, endpoints.src_port);
  store_be16(udp + 2, format.udp_port);
  store_be16(udp + 4, static_cast<uint16_t>(size - kEthernetBytes - kIpv4Bytes));
  // Payload
  store_le64(p + format.magic_offset, format.magic);
  store_le64(p + format.tag_offset, 0);
  const size_t n = std::min<size_t>(sample_bytes.size(), format.data_bytes());
  std::memcpy(p + format.data_offset, sample_bytes.data(), n);
  store_le64(p + format.seq_offset(), seq); // the result field (networks) stays 0
  return size;
}

std::vector<uint8_t> build_frame(const WireFormat& format, const Endpoints& endpoints,
                                 std::span<const uint8_t> sample_bytes, uint64_t seq) {
  std::vector<uint8_t> f(format.frame_size(), 0);
  build_frame_into(format, endpoints, sample_bytes, seq, f.data());
  return f;
}

std::optional<ParsedFrame> parse_frame(const WireFormat& format, std::span<const uint8_t> frame) {
  if (frame.size() < format.magic_offset + 8) return std::nullopt;
  if (load_le64(frame.data() + format.magic_offset) != format.magic) return std::nullopt;
  ParsedFrame r;
  if (frame.size() < format.frame_size()) return r;
  r.complete = true;
  r.tag = load_le64(frame.data() + format.tag_offset);
  r.seq = load_le64(frame.data() + format.seq_offset());
  r.sample_bytes = frame.subspan(format.data_offset, format.data_bytes());
  if (format.result_bytes)
    r.result_bytes = frame.subspan(format.result_offset, format.result_bytes);
  return r;
}

} // namespace xdpml::packetgen
