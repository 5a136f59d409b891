// Frames in the wire format of design.md section 3, built and parsed from an object's I/O contract:
//
//   Ethernet (14) | IPv4 (20, no options) | UDP (8, dst port 6666) | payload
//   ANOVA:   magic u64 LE | tag u64 LE | 16 samples (u32 LE or f64 LE) | sequence number u64 LE
//   network: magic u64 LE | tag u64 LE | result i32 LE + 4 reserved | n features (32-bit LE) |
//            sequence number u64 LE
//
// The sequence number is xdpml's addition to the 2019 format: it is the index of the window (or
// data row) the frame carries, so that the receiver can tell loss, duplication and reordering
// apart. Programs never read it (they pass everything after their data untouched).
#pragma once

#include "support/result.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace xdpml::packetgen {

constexpr uint32_t kEthernetBytes = 14;
constexpr uint32_t kIpv4Bytes = 20;
constexpr uint32_t kUdpBytes = 8;
constexpr uint32_t kHeaderBytes = kEthernetBytes + kIpv4Bytes + kUdpBytes; // 42
constexpr uint32_t kSeqBytes = 8;

enum class Encoding { U32, F64, I32 };

// Which kind of program the contract describes: the ANOVA segmenter (sliding windows of a series)
// or a network (`xdpml compile model`: one feature row a frame, a result field).
enum class ModelKind { Anova, Network };

// Where the fields of one frame live (offsets from the start of the Ethernet header) and the
// segmenter's parameters, as the I/O contract states them. For networks `samples` is the number
// of features (32-bit each), and the result field lies between the tag and the data.
struct WireFormat {
  ModelKind model = ModelKind::Anova;
  Encoding encoding = Encoding::U32;
  uint32_t magic_offset = 42;
  uint64_t magic = 0x216C7174786A7A21ull;
  uint32_t tag_offset = 50;
  uint32_t data_offset = 58;
  uint32_t samples = 16;
  uint32_t stride = 4; // bytes per sample: 4 (u32le) or 8 (f64le)
  uint16_t udp_port = 6666;
  std::string epsilon = "0.1"; // exact decimal text
  uint32_t scale = 16384;
  std::string origin; // where it came from: the object's path or "--format osh-u32"
  // Networks: the i32 result field (regressions write it; argmax models leave it 0) and what the
  // program answers.
  uint32_t result_offset = 0, result_bytes = 0; // 0 bytes: no result field (ANOVA)
  bool argmax = false;
  uint32_t classes = 0; // argmax: tag = class index + 1
  std::vector<std::string> class_names;
  double output_scale = 1; // regression: real output = result / output_scale

  uint32_t data_bytes() const { return samples * stride; }
  // The sequence number follows the last of the contract's fields.
  uint32_t seq_offset() const;
  uint32_t frame_size() const { return seq_offset() + kSeqBytes; }
};

// From the JSON I/O contract of an object compiled by `xdpml compile anova` or `xdpml compile
// model` ("model": "network"). Checks that the fields fit behind our 42 header bytes without
// overlapping, that the encoding is one we can produce, and (ANOVA) that epsilon and scale are
// usable; errors name `origin`.
Result<WireFormat> wire_format_from_contract(const nlohmann::json& contract,
                                             const std::string& origin);

// The 2019 report's formats without an object ("osh-u32" or "osh-f64"): the contract that
// `xdpml compile anova --input u32|f64 --match magic --scale SCALE --epsilon EPSILON` would carry.
Result<WireFormat> wire_format_osh(const std::string& format, uint32_t scale,
                                   const std::string& epsilon);

using Mac = std::array<uint8_t, 6>;
constexpr Mac kBroadcastMac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// Addresses of the generated frames. The defaults are TEST-NET-1 (RFC 5737) addresses: the
// frames are never routed, and nothing needs an IP configuration on either interface.
struct Endpoints {
  Mac src_mac{0x02, 0, 0, 0, 0, 1};
  Mac dst_mac = kBroadcastMac;
  uint32_t src_ip = 0xC0000201; // 192.0.2.1
  uint32_t dst_ip = 0xC0000202; // 192.0.2.2
  uint16_t src_port = 40000;
};

// The Internet checksum (RFC 1071) of an IPv4 header whose checksum field is zero.
uint16_t ipv4_checksum(std::span<const uint8_t> header);

// One frame carrying `sample_bytes` (exactly format.data_bytes(), already encoded little-endian),
// tag 0 and sequence number `seq`. The UDP checksum is 0 ("none", RFC 768): the XDP program
// rewrites the tag in flight without fixing a checksum, so a computed one would be wrong on the
// receiving side, while 0 stays valid.
std::vector<uint8_t> build_frame(const WireFormat& format, const Endpoints& endpoints,
                                 std::span<const uint8_t> sample_bytes, uint64_t seq);
// The same frame written into `out` (at least format.frame_size() bytes, e.g. an AF_XDP UMEM
// frame), without allocating; returns its length.
size_t build_frame_into(const WireFormat& format, const Endpoints& endpoints,
                        std::span<const uint8_t> sample_bytes, uint64_t seq, uint8_t* out);

// A received frame that carries the magic. `complete` is false when the frame ends before the
// sequence number; then seq, samples and result are not meaningful.
struct ParsedFrame {
  bool complete = false;
  uint64_t tag = 0;
  uint64_t seq = 0;
  std::span<const uint8_t> sample_bytes;
  std::span<const uint8_t> result_bytes; // networks: the result field; empty for ANOVA
};

// nullopt for frames that are not ours (too short to hold the magic, or another magic): the
// receiver ignores them. Nothing but the magic is checked, like the report's programs.
std::optional<ParsedFrame> parse_frame(const WireFormat& format, std::span<const uint8_t> frame);

uint64_t load_le64(const uint8_t* p);
void store_le64(uint8_t* p, uint64_t v);
uint32_t load_le32(const uint8_t* p);
void store_le32(uint8_t* p, uint32_t v);

} // namespace xdpml::packetgen
