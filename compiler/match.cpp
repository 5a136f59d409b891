#include "compiler/match.hpp"

#include <algorithm>

namespace xdpml::compiler {

std::vector<uint8_t> owned_frame(size_t bytes) {
  std::vector<uint8_t> f(std::max<size_t>(bytes, kTagOffset + 8), 0);
  for (size_t i = 0; i < 6; ++i) f[i] = 0xff;
  f[12] = 0x08; // IPv4
  f[14] = 0x45; // version 4, no options
  f[23] = 17;   // UDP
  f[36] = kUdpPort >> 8;
  f[37] = kUdpPort & 0xff;
  for (int k = 0; k < 8; ++k) f[kMagicOffset + k] = static_cast<uint8_t>(kMagic >> (8 * k));
  return f;
}

const char* match_mode_name(MatchMode m) {
  return m == MatchMode::Full ? "full" : "magic";
}

void build_match(IrBuilder& b, const MatchSpec& spec, uint32_t frame_bytes, int pass) {
  b.at("match.length");
  b.require_length(frame_bytes, pass);
  if (spec.mode == MatchMode::Full) {
    b.at("match.ethertype");
    b.exit_if(b.load(12, 2), Cmp::Ne, b.c(0x0008), pass); // 0x0800, read little-endian
    b.at("match.ipv4");
    b.exit_if(b.load(14, 1), Cmp::Ne, b.c(0x45), pass); // version 4, no options
    b.exit_if(b.load(23, 1), Cmp::Ne, b.c(17), pass);   // UDP
    b.at("match.fragment");
    b.exit_if(b.node(Opcode::And, {b.load(20, 2), b.c(0xff3f)}), Cmp::Ne, b.c(0),
              pass); // MF or offset
    b.at("match.port");
    b.exit_if(b.load(36, 2), Cmp::Ne, b.c(((kUdpPort & 0xff) << 8) | (kUdpPort >> 8)), pass);
  }
  // The payload sits 2 bytes past a 4-byte boundary (42 = 40 + 2; with NET_IP_ALIGN the
  // verifier sees 44): 8-byte fields are read as two aligned halves under strict alignment.
  b.at("match.magic");
  if (spec.strict_align) {
    b.exit_if(b.load(kMagicOffset, 4), Cmp::Ne, b.c(kMagic & 0xffffffffu), pass);
    b.exit_if(b.load(kMagicOffset + 4, 4), Cmp::Ne, b.c(kMagic >> 32), pass);
  } else {
    b.exit_if(b.load(kMagicOffset, 8), Cmp::Ne, b.c(kMagic), pass);
  }
  b.at("match.tag");
  if (spec.strict_align)
    b.exit_if(b.or_(b.load(kTagOffset, 4), b.load(kTagOffset + 4, 4)), Cmp::Ne, b.c(0), pass);
  else
    b.exit_if(b.load(kTagOffset, 8), Cmp::Ne, b.c(0), pass);
}

} // namespace xdpml::compiler
