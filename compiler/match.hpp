// The packet that programs own (design.md §3) and the checks that recognise it. Every program
// starts with these checks; anything that fails them leaves through `pass_exit` untouched.
//
//   Ethernet (14) | IPv4 (20, no options) | UDP (8, dst port 6666) | payload:
//   magic u64 LE at 0 | tag u64 LE at 8 | model data from 16
#pragma once

#include "compiler/ir_builder.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace xdpml::compiler {

constexpr uint32_t kPayloadOffset = 42;
constexpr uint32_t kMagicOffset = kPayloadOffset;
constexpr uint32_t kTagOffset = kPayloadOffset + 8;
constexpr uint32_t kDataOffset = kPayloadOffset + 16;
constexpr uint64_t kMagic = 0x216C7174786A7A21ull; // "!zjxtql!" little-endian
constexpr uint16_t kUdpPort = 6666;

enum class MatchMode { Magic, Full };

struct MatchSpec {
  MatchMode mode = MatchMode::Magic;
  bool strict_align = false; // 8-byte fields as two aligned 4-byte halves
};

// The frame is at least `frame_bytes` long, and (full mode) Ethernet/IPv4/UDP to our port, not
// a fragment; then the magic, and a tag of 0 (not yet processed).
void build_match(IrBuilder& b, const MatchSpec& spec, uint32_t frame_bytes, int pass_exit);

// `bytes` bytes that pass build_match in either mode: broadcast Ethernet, IPv4 without options,
// UDP to our port, the magic, tag 0; everything else zero, for the caller's fields. For
// differential tests and --verify (packetgen builds real frames with addresses and checksums).
std::vector<uint8_t> owned_frame(size_t bytes);

// The contract's "match" object for `spec`.
const char* match_mode_name(MatchMode m);

} // namespace xdpml::compiler
