#include "packetgen/foreign.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace xdpml::packetgen {

namespace {

void be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void be32(uint8_t* p, uint32_t v) {
  be16(p, static_cast<uint16_t>(v >> 16));
  be16(p + 2, static_cast<uint16_t>(v));
}

uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void fill_random(uint8_t* p, size_t n, uint64_t& s) {
  for (size_t i = 0; i < n; i += 8) {
    const uint64_t r = splitmix(s);
    for (size_t b = 0; b < 8 && i + b < n; ++b) p[i + b] = static_cast<uint8_t>(r >> (8 * b));
  }
}

// Ethernet header with the foreign source MAC 02:fe:k.
void ethernet(uint8_t* p, const Endpoints& ep, uint64_t k, uint16_t type) {
  std::copy(ep.dst_mac.begin(), ep.dst_mac.end(), p);
  p[6] = kForeignMac0;
  p[7] = kForeignMac1;
  be32(p + 8, static_cast<uint32_t>(k));
  be16(p + 12, type);
}

void ipv4_udp(uint8_t* p, const Endpoints& ep, size_t len, uint16_t port, uint64_t k) {
  uint8_t* ip = p + kEthernetBytes;
  std::memset(ip, 0, kIpv4Bytes + kUdpBytes);
  ip[0] = 0x45;
  be16(ip + 2, static_cast<uint16_t>(len - kEthernetBytes));
  be16(ip + 4, static_cast<uint16_t>(k));
  be16(ip + 6, 0x4000);
  ip[8] = 64;
  ip[9] = 17;
  be32(ip + 12, ep.src_ip);
  be32(ip + 16, ep.dst_ip);
  be16(ip + 10, ipv4_checksum({ip, kIpv4Bytes}));
  uint8_t* udp = ip + kIpv4Bytes;
  be16(udp, ep.src_port);
  be16(udp + 2, port);
  be16(udp + 4, static_cast<uint16_t>(len - kEthernetBytes - kIpv4Bytes));
}

// Our magic with its last byte changed (so never ours), and a nonzero tag, where the contract
// puts them, if the frame is long enough.
void near_miss(uint8_t* p, size_t len, const WireFormat& f, uint64_t& s) {
  if (len >= f.magic_offset + 8) {
    store_le64(p + f.magic_offset, f.magic ^ (uint64_t{0x5a} << 56));
  }
  if (len >= f.tag_offset + 8) store_le64(p + f.tag_offset, (splitmix(s) | 1) & 0xffff);
}

} // namespace

const char* foreign_kind_name(size_t kind) {
  static const char* const names[kForeignKinds] = {"near_miss", "other_udp", "short", "ipv6",
                                                   "other_ethertype"};
  return kind < kForeignKinds ? names[kind] : "unknown";
}

uint64_t foreign_count(uint64_t ours, double ratio) {
  if (!(ratio > 0)) return 0;
  return static_cast<uint64_t>(std::floor(static_cast<double>(ours) * ratio));
}

size_t build_foreign_frame(const WireFormat& f, const Endpoints& ep, uint64_t k, uint8_t* out) {
  uint64_t s = k * 0x2545f4914f6cdd1dull + 0x78646d6c;
  const size_t kind = k % kForeignKinds;
  const size_t ours = std::min<size_t>(f.frame_size(), kForeignMaxBytes);
  size_t len = 60;
  switch (kind) {
  case 0: // near miss: our layout
    len = std::max<size_t>(ours, 60);
    fill_random(out, len, s);
    ethernet(out, ep, k, 0x0800);
    ipv4_udp(out, ep, len, f.udp_port, k);
    near_miss(out, len, f, s);
    break;
  case 1: // another UDP service
    len = 60 + splitmix(s) % (kForeignMaxBytes - 60 + 1);
    fill_random(out, len, s);
    ethernet(out, ep, k, 0x0800);
    ipv4_udp(out, ep, len, 53, k);
    break;
  case 2: // short: 60 bytes to our port
    len = 60;
    fill_random(out, len, s);
    ethernet(out, ep, k, 0x0800);
    ipv4_udp(out, ep, len, f.udp_port, k);
    near_miss(out, len, f, s);
    break;
  case 3: { // IPv6/UDP, our length
    len = std::max<size_t>(ours, 62);
    fill_random(out, len, s);
    ethernet(out, ep, k, 0x86DD);
    uint8_t* ip6 = out + kEthernetBytes;
    std::memset(ip6, 0, 40);
    ip6[0] = 0x60;
    be16(ip6 + 4, static_cast<uint16_t>(len - kEthernetBytes - 40));
    ip6[6] = 17; // UDP
    ip6[7] = 64;
    ip6[8] = 0xfe; // fe80::1 -> fe80::2
    ip6[9] = 0x80;
    ip6[23] = 1;
    ip6[24] = 0xfe;
    ip6[25] = 0x80;
    ip6[39] = 2;
    uint8_t* udp = ip6 + 40;
    be16(udp, ep.src_port);
    be16(udp + 2, f.udp_port);
    be16(udp + 4, static_cast<uint16_t>(len - kEthernetBytes - 40));
    be16(udp + 6, 0);
    break;
  }
  default: // another EtherType
    len = 60 + splitmix(s) % 141;
    fill_random(out, len, s);
    ethernet(out, ep, k, 0x88B5);
    near_miss(out, len, f, s);
    break;
  }
  return len;
}

std::vector<uint8_t> build_foreign_frame(const WireFormat& format, const Endpoints& endpoints,
                                         uint64_t k) {
  std::vector<uint8_t> f(kForeignMaxBytes);
  f.resize(build_foreign_frame(format, endpoints, k, f.data()));
  return f;
}

std::optional<uint64_t> foreign_index(std::span<const uint8_t> frame) {
  if (frame.size() < kEthernetBytes || frame[6] != kForeignMac0 || frame[7] != kForeignMac1)
    return std::nullopt;
  return uint64_t{frame[8]} << 24 | uint64_t{frame[9]} << 16 | uint64_t{frame[10]} << 8 | frame[11];
}

ForeignTally::ForeignTally(const WireFormat& format, const Endpoints& endpoints, uint64_t expect)
    : format_(format), endpoints_(endpoints), seen_(expect, 0), want_(kForeignMaxBytes) {
  s_.expected = expect;
}

void ForeignTally::add(uint64_t k, std::span<const uint8_t> frame) {
  ++s_.received;
  ++s_.per_kind_received[k % kForeignKinds];
  const size_t n = build_foreign_frame(format_, endpoints_, k, want_.data());
  // The destination MAC is the sender's choice (broadcast or the receiver's): not compared.
  const bool intact =
      frame.size() == n && std::memcmp(frame.data() + 6, want_.data() + 6, n - 6) == 0;
  if (!intact) {
    ++s_.modified;
    s_.first_modified = std::min(s_.first_modified, k);
    return;
  }
  if (k >= seen_.size()) {
    ++s_.unexpected;
    return;
  }
  if (seen_[k]) {
    ++s_.duplicated;
    return;
  }
  seen_[k] = 1;
  ++s_.intact;
}

ForeignSummary ForeignTally::summary() const {
  ForeignSummary s = s_;
  s.lost = s.expected - std::min(s.expected, s.intact);
  return s;
}

} // namespace xdpml::packetgen
