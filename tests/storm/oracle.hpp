// The storm's reference classifier: which frames a program owns and what it may do to them,
// written from docs/formats.md and design.md §3 (not from compiler/match.cpp, whose checks it
// is meant to test), with every number taken from the program's own I/O contract.
//
// A program owns a frame when it is at least `layout.frame_bytes` long, the magic is at
// `layout.magic_offset` and the tag at `layout.tag_offset` is 0 (not yet processed); with
// `match.mode` "full" also Ethernet type `match.ethertype`, IPv4 without options (version 4,
// IHL 5), IP protocol `match.ip_protocol`, not a fragment (MF clear, offset 0) and UDP
// destination port `match.udp_dest_port`. It passes every frame (XDP_PASS); those it does not
// own leave unchanged, and in those it owns only the tag (and a regression's result) change.
#pragma once

#include "packetgen/wire.hpp"
#include "support/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace xdpml::storm {

struct Layout {
  std::string model; // "anova" or "network"
  bool full_match = false;
  uint16_t ethertype = 0;   // full match only
  uint8_t ip_protocol = 0;  // full match only
  uint16_t udp_port = 0;    // full match only (layout.udp_dest_port for building frames)
  uint32_t frame_bytes = 0; // the shortest frame the program processes
  uint32_t magic_offset = 0;
  uint64_t magic = 0;
  uint32_t tag_offset = 0;
  uint32_t tag_bytes = 0;
  uint32_t result_offset = 0; // bytes a regression writes besides the tag; 0 bytes otherwise
  uint32_t result_bytes = 0;
  std::vector<uint64_t> tags; // the values the program writes (the contract's tags but 0)
  packetgen::WireFormat wire; // to build frames of ours (packetgen::build_frame)
};

// From the contract of `origin`; an error names the field that is missing or unusable.
Result<Layout> layout_from_contract(const nlohmann::json& contract, const std::string& origin);

// The program must process this frame.
bool is_ours(std::span<const uint8_t> frame, const Layout& layout);

// Why `out` is not what the program may return for the owned frame `in`; nullopt when it is
// (same length, only the tag and result bytes differ, the tag is one the contract lists).
std::optional<std::string> owned_output_error(std::span<const uint8_t> in,
                                              std::span<const uint8_t> out, const Layout& layout);

} // namespace xdpml::storm
