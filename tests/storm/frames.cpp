#include "tests/storm/frames.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace xdpml::storm {

namespace {

// Where the headers of our frames start (packetgen/wire.hpp).
constexpr size_t kIp = packetgen::kEthernetBytes;    // 14
constexpr size_t kUdp = kIp + packetgen::kIpv4Bytes; // 34
constexpr size_t kPayload = packetgen::kHeaderBytes; // 42
constexpr uint32_t kMaxFrame = 1514;

void put16(Frame& f, size_t at, uint16_t v) {
  f[at] = static_cast<uint8_t>(v >> 8);
  f[at + 1] = static_cast<uint8_t>(v);
}
uint16_t get16(const Frame& f, size_t at) {
  return static_cast<uint16_t>(f[at] << 8 | f[at + 1]);
}

// The IPv4 header checksum over `header_bytes` (as much as the frame holds).
void ip_checksum(Frame& f, size_t header_bytes = packetgen::kIpv4Bytes) {
  if (f.size() < kIp + 12) return;
  header_bytes = std::min(header_bytes, f.size() - kIp);
  f[kIp + 10] = f[kIp + 11] = 0;
  put16(f, kIp + 10, packetgen::ipv4_checksum({f.data() + kIp, header_bytes}));
}

// IPv4 total length and UDP length for a frame that ends where the datagram does (UDP at
// `udp`), then the IP checksum.
void fix_lengths(Frame& f, size_t udp = kUdp) {
  put16(f, kIp + 2, static_cast<uint16_t>(f.size() - kIp));
  if (f.size() >= udp + 6) put16(f, udp + 4, static_cast<uint16_t>(f.size() - udp));
  ip_checksum(f, udp - kIp);
}

void fill_random(Frame& f, size_t from, Rng& r) {
  for (size_t i = from; i < f.size(); ++i) f[i] = r.byte();
}

void store_le(Frame& f, size_t at, uint64_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) f[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// A value from `special` (in turn) or, every other frame, a random one; never `avoid`.
uint16_t pick16(std::initializer_list<uint16_t> special, uint64_t index, Rng& r, uint16_t avoid) {
  uint16_t v = index % 2 ? static_cast<uint16_t>(r.next())
                         : *(special.begin() + (index / 2) % special.size());
  while (v == avoid) v = static_cast<uint16_t>(r.next());
  return v;
}

// ---- the families

Frame ours(const Layout& l, Rng& r, uint64_t index) {
  return valid_frame(l, r, index % 4 == 3);
}

// Cut at every offset 0 .. len-1 in turn (frames shorter than 14 bytes are refused by
// BPF_PROG_TEST_RUN: no XDP program sees them); the IPv4 and UDP lengths still claim the rest.
Frame truncated(const Layout& l, Rng& r, uint64_t index) {
  Frame f = valid_frame(l, r, false);
  f.resize(index % f.size());
  return f;
}

Frame ethertype(const Layout& l, Rng& r, uint64_t index) {
  Frame f = valid_frame(l, r, r.one_in(4));
  // 0x0008 is 0x0800 byte-swapped; 0x05dc and 0x002e are 802.3 lengths.
  put16(f, 12,
        pick16({0x0000, 0x0008, 0x0806, 0x86dd, 0x8100, 0x88a8, 0x9100, 0x8847, 0x88cc, 0x0801,
                0x0900, 0x08ff, 0x8800, 0xffff, 0x05dc, 0x002e},
               index, r, 0x0800));
  return f;
}

// 802.1Q, QinQ (802.1ad and the older 0x9100), double and triple tags, inserted after the MAC
// addresses; a third of them cut back to the original length.
Frame vlan(const Layout& l, Rng& r, uint64_t index) {
  static const std::vector<std::vector<uint16_t>> stacks = {
      {0x8100}, {0x88a8, 0x8100}, {0x9100, 0x8100}, {0x8100, 0x8100}, {0x88a8, 0x8100, 0x8100}};
  Frame f = valid_frame(l, r, r.one_in(4));
  const size_t original = f.size();
  Frame tags;
  for (uint16_t tpid : stacks[index % stacks.size()]) {
    const uint16_t tci = r.one_in(4) ? static_cast<uint16_t>(r.below(8) << 13) // priority only
                                     : static_cast<uint16_t>(r.next());
    for (uint16_t v : {tpid, tci}) {
      tags.push_back(static_cast<uint8_t>(v >> 8));
      tags.push_back(static_cast<uint8_t>(v));
    }
  }
  f.insert(f.begin() + 12, tags.begin(), tags.end());
  if (r.one_in(3)) f.resize(original);
  return f;
}

// IPv6 (plain, with a hop-by-hop header, with a fragment header) carrying UDP to our port and
// our payload; and an IPv6 header behind ethertype 0x0800.
Frame ipv6(const Layout& l, Rng& r, uint64_t index) {
  const Frame v4 = valid_frame(l, r, r.one_in(4));
  const int kind = static_cast<int>(index % 4);
  Frame f(v4.begin(), v4.begin() + 12);
  const uint16_t type = kind == 3 ? 0x0800 : 0x86dd;
  f.push_back(static_cast<uint8_t>(type >> 8));
  f.push_back(static_cast<uint8_t>(type));
  const size_t ip6 = f.size();
  f.resize(ip6 + 40);
  f[ip6] = static_cast<uint8_t>(0x60 | r.below(16));
  f[ip6 + 1] = r.byte();
  f[ip6 + 2] = r.byte();
  f[ip6 + 3] = r.byte();
  f[ip6 + 6] = kind == 1 ? 0 : kind == 2 ? 44 : 17;
  f[ip6 + 7] = 64;
  for (size_t a : {ip6 + 8, ip6 + 24}) { // 2001:db8::/32, the documentation prefix
    f[a] = 0x20, f[a + 1] = 0x01, f[a + 2] = 0x0d, f[a + 3] = 0xb8;
    for (size_t i = 4; i < 16; ++i) f[a + i] = r.byte();
  }
  if (kind == 1) { // hop-by-hop options: PadN
    for (uint8_t b : {17, 0, 1, 4, 0, 0, 0, 0}) f.push_back(b);
  } else if (kind == 2) { // fragment header: an atomic fragment, or a random offset and M
    const uint16_t off = r.one_in(2) ? 0 : static_cast<uint16_t>(r.next());
    for (uint8_t b : {uint8_t{17}, uint8_t{0}, static_cast<uint8_t>(off >> 8),
                      static_cast<uint8_t>(off), r.byte(), r.byte(), r.byte(), r.byte()})
      f.push_back(b);
  }
  const size_t udp = f.size();
  f.insert(f.end(), v4.begin() + kUdp, v4.end()); // UDP header (to our port) and our payload
  put16(f, udp + 4, static_cast<uint16_t>(f.size() - udp));
  put16(f, ip6 + 4, static_cast<uint16_t>(f.size() - ip6 - 40));
  return f;
}

// IHL 6..15: three in four with real options inserted (NOPs, router alert, EOL padding, random
// bytes; lengths and checksum fixed, so UDP and the payload move), one in four with only the
// IHL changed (the header then claims the UDP header and more as options).
Frame ip_options(const Layout& l, Rng& r, uint64_t index) {
  Frame f = valid_frame(l, r, r.one_in(4));
  const uint32_t ihl = 6 + index % 10;
  f[kIp] = static_cast<uint8_t>(0x40 | ihl);
  if (index / 10 % 4 == 3) {
    ip_checksum(f, 4 * ihl);
    return f;
  }
  Frame opt(4 * (ihl - 5), 1); // NOP
  switch (r.below(4)) {
  case 0:
    break;
  case 1:
    opt[0] = 0x94, opt[1] = 4, opt[2] = opt[3] = 0;
    break; // router alert
  case 2:
    std::fill(opt.begin(), opt.end(), 0);
    break; // EOL
  default:
    for (auto& b : opt) b = r.byte();
  }
  f.insert(f.begin() + kUdp, opt.begin(), opt.end());
  fix_lengths(f, kUdp + opt.size());
  return f;
}

// IHL 0..4; a header that runs past the end of the frame; a header longer than the datagram's
// total length; a version other than 4.
Frame bad_ihl(const Layout& l, Rng& r, uint64_t index) {
  Frame f = valid_frame(l, r, r.one_in(4));
  switch (index % 4) {
  case 0:
    f[kIp] = static_cast<uint8_t>(0x40 | (index / 4) % 5);
    break;
  case 1: {
    const uint32_t ihl = r.between(6, 15);
    f[kIp] = static_cast<uint8_t>(0x40 | ihl);
    f.resize(kIp + r.between(20, 4 * ihl - 1));
    break;
  }
  case 2: {
    const uint32_t ihl = r.between(6, 15);
    f[kIp] = static_cast<uint8_t>(0x40 | ihl);
    put16(f, kIp + 2, static_cast<uint16_t>(r.between(20, 4 * ihl - 1)));
    break;
  }
  default: {
    uint8_t version = static_cast<uint8_t>(r.below(16));
    if (version == 4) version = 6;
    f[kIp] = static_cast<uint8_t>(version << 4 | 5);
  }
  }
  ip_checksum(f);
  return f;
}

// Non-first fragments (offset 1..8191, MF either way) and first fragments with MF; one in four
// are not fragments (DF alone, the reserved bit, no flags): the full match owns those.
Frame fragment(const Layout& l, Rng& r, uint64_t index) {
  Frame f = valid_frame(l, r, r.one_in(4));
  uint16_t v = 0;
  switch (index % 8) {
  case 0:
    v = 1;
    break;
  case 1:
    v = 8191;
    break;
  case 2:
  case 3:
    v = static_cast<uint16_t>(r.between(1, 8191));
    break;
  case 4:
  case 5:
    v = 0x2000;
    break; // MF, offset 0: the first fragment
  case 6:
    v = r.one_in(2) ? 0x4000 : 0;
    break;
  default:
    v = r.one_in(2) ? 0x8000 : 0xc000; // reserved bit (with DF)
  }
  if (index % 8 < 4 && r.one_in(2)) v |= 0x2000; // more fragments follow
  if (index % 8 < 6 && r.one_in(4)) v |= 0x4000; // and DF, contradictory as it is
  if (index % 8 < 6 && r.one_in(8)) v |= 0x8000; // and the reserved bit
  put16(f, kIp + 6, v);
  ip_checksum(f);
  return f;
}

Frame ip_protocol(const Layout& l, Rng& r, uint64_t index) {
  Frame f = valid_frame(l, r, r.one_in(4));
  f[kIp + 9] = static_cast<uint8_t>(
      pick16({6, 1, 0, 255, 136, 132, 47, 50, 41, 0x91, 16, 18, 0x71}, index, r, 17) & 0xff);
  if (f[kIp + 9] == 17) f[kIp + 9] = 6;
  ip_checksum(f);
  return f;
}

// Half: a complete datagram (lengths agree) whose payload ends before the program's fields do,
// at every length in turn; a quarter: the UDP length field shorter than the payload (0..7
// included); a quarter: the IPv4 total length shorter than the frame. Neither length field is
// part of the match, so only the first half is foreign.
Frame udp_short(const Layout& l, Rng& r, uint64_t index) {
  Frame f = valid_frame(l, r, r.one_in(4));
  switch (index % 4) {
  case 0:
  case 1:
    f.resize(kPayload + (index / 4 * 2 + index % 4) % (l.frame_bytes - kPayload));
    fix_lengths(f);
    break;
  case 2:
    put16(f, kUdp + 4, static_cast<uint16_t>(r.below(get16(f, kUdp + 4))));
    break;
  default:
    put16(f, kIp + 2, static_cast<uint16_t>(r.below(get16(f, kIp + 2))));
    ip_checksum(f);
  }
  return f;
}

// Other destination ports (6666 byte-swapped among them); half with 6666 as the source port.
Frame udp_port(const Layout& l, Rng& r, uint64_t index) {
  Frame f = valid_frame(l, r, r.one_in(4));
  const uint16_t ours = l.wire.udp_port;
  put16(f, kUdp + 2,
        pick16({static_cast<uint16_t>(ours - 1), static_cast<uint16_t>(ours + 1),
                static_cast<uint16_t>(ours << 8 | ours >> 8), 0, 65535, 53,
                static_cast<uint16_t>(ours ^ 0x100), static_cast<uint16_t>(ours ^ 0x8000)},
               index, r, ours));
  if (r.one_in(2)) put16(f, kUdp, ours);
  return f;
}

// One byte or one bit of the magic changed (each position in turn), one half right and the
// other wrong (strict alignment compares halves), byte-reversed, 0 / all ones / random, and the
// whole payload moved 1..8 bytes either way.
Frame magic(const Layout& l, Rng& r, uint64_t index) {
  Frame f = valid_frame(l, r, r.one_in(4));
  const size_t at = l.magic_offset;
  const uint64_t m = l.magic;
  auto other = [&](uint64_t mask) { // a random nonzero value inside mask
    uint64_t v = 0;
    while (v == 0) v = r.next() & mask;
    return v;
  };
  switch (index % 8) {
  case 0:
    store_le(f, at, m ^ other(0xffull << (8 * (index / 8 % 8))), 8);
    break;
  case 1:
    store_le(f, at, m ^ (1ull << (index / 8 % 64)), 8);
    break;
  case 2:
    store_le(f, at, m ^ other(0xffffffff00000000ull), 8);
    break;
  case 3:
    store_le(f, at, m ^ other(0xffffffffull), 8);
    break;
  case 4:
    store_le(f, at, __builtin_bswap64(m), 8);
    break;
  case 5: {
    const uint64_t values[] = {0, ~0ull, r.next()};
    store_le(f, at, values[r.below(3)], 8);
    break;
  }
  case 6: {
    Frame gap(r.between(1, 8));
    for (auto& b : gap) b = r.byte();
    f.insert(f.begin() + static_cast<long>(at), gap.begin(), gap.end());
    fix_lengths(f);
    break;
  }
  default:
    f.erase(f.begin() + static_cast<long>(at - r.between(1, 8)), f.begin() + static_cast<long>(at));
    fix_lengths(f);
  }
  return f;
}

// A tag that is already set: one byte (each position in turn), a value the program itself
// writes, random, one bit.
Frame tag_set(const Layout& l, Rng& r, uint64_t index) {
  Frame f = valid_frame(l, r, r.one_in(4));
  const size_t n = l.tag_bytes;
  const uint64_t mask = n >= 8 ? ~0ull : (1ull << (8 * n)) - 1;
  uint64_t v = 0;
  switch (index % 4) {
  case 0:
    v = uint64_t{r.between(1, 255)} << (8 * (index / 4 % n));
    break;
  case 1:
    v = l.tags[r.below(static_cast<uint32_t>(l.tags.size()))];
    break;
  case 2:
    while (v == 0) v = r.next() & mask;
    break;
  default:
    v = 1ull << (index / 4 % (8 * n));
  }
  store_le(f, l.tag_offset, v & mask, n);
  return f;
}

// Random bytes of random lengths (14..1514, or up to twice the program's frame); a quarter
// behind valid Ethernet/IPv4/UDP headers to our port.
Frame random_bytes(const Layout& l, Rng& r, uint64_t index) {
  if (index % 4 == 3) {
    Frame f = valid_frame(l, r, false);
    f.resize(r.between(kPayload, kMaxFrame));
    fill_random(f, kPayload, r);
    fix_lengths(f);
    return f;
  }
  Frame f(index % 4 == 2 ? r.between(14, 2 * l.frame_bytes) : r.between(14, kMaxFrame));
  fill_random(f, 0, r);
  return f;
}

// Each field the full match reads (ethertype, version and IHL, protocol, the fragment field,
// destination port) made wrong with probability 1/2, independently: every combination of early
// checks passing and a later one failing. The magic and tag stay in place.
Frame header_mix(const Layout& l, Rng& r, uint64_t) {
  Frame f = valid_frame(l, r, r.one_in(4));
  auto wrong16 = [&](size_t at, uint16_t keep_mask) {
    const uint16_t old = get16(f, at);
    uint16_t v = old;
    while ((v & keep_mask) == (old & keep_mask)) v = static_cast<uint16_t>(r.next());
    put16(f, at, v);
  };
  if (r.one_in(2)) wrong16(12, 0xffff);
  if (r.one_in(2)) {
    uint8_t v = f[kIp];
    while (v == 0x45) v = r.byte();
    f[kIp] = v;
  }
  if (r.one_in(2)) f[kIp + 9] = static_cast<uint8_t>(17 + r.between(1, 255));
  if (r.one_in(2)) wrong16(kIp + 6, 0x3fff); // MF or an offset
  if (r.one_in(2)) wrong16(kUdp + 2, 0xffff);
  ip_checksum(f);
  return f;
}

// One byte of a valid frame changed, half of them inside the bytes the program reads. Whether
// the result is still ours is the reference classifier's call.
Frame mutation(const Layout& l, Rng& r, uint64_t) {
  Frame f = valid_frame(l, r, r.one_in(4));
  const uint32_t span = r.one_in(2) ? l.frame_bytes : static_cast<uint32_t>(f.size());
  f[r.below(span)] ^= static_cast<uint8_t>(r.between(1, 255));
  return f;
}

} // namespace

Frame valid_frame(const Layout& l, Rng& r, bool padded) {
  packetgen::Endpoints e;
  for (auto& b : e.src_mac) b = r.byte();
  e.src_mac[0] = static_cast<uint8_t>((e.src_mac[0] & 0xfc) | 0x02); // local unicast
  if (r.one_in(2)) {
    for (auto& b : e.dst_mac) b = r.byte();
    e.dst_mac[0] &= 0xfe;
  }
  e.src_ip = static_cast<uint32_t>(r.next());
  e.dst_ip = static_cast<uint32_t>(r.next());
  e.src_port = static_cast<uint16_t>(r.next());
  const uint32_t stride = l.wire.stride;
  Frame data(l.wire.data_bytes());
  for (size_t i = 0; i + stride <= data.size(); i += stride) {
    // Small values (valid windows, features inside the clamps) or any bit pattern.
    uint64_t v = r.next();
    if (r.one_in(2)) {
      if (stride == 8) {
        const double d = r.below(100000) / 100.0;
        std::memcpy(&v, &d, 8);
      } else {
        v = r.below(1u << 20);
        if (l.wire.encoding == packetgen::Encoding::I32 && r.one_in(2)) v = ~v;
      }
    }
    store_le(data, i, v, stride);
  }
  Frame f = packetgen::build_frame(l.wire, e, data, r.next());
  if (padded && f.size() + 1 < 1400) {
    f.resize(f.size() + r.between(1, 1400 - static_cast<uint32_t>(f.size())));
    fill_random(f, l.wire.frame_size(), r);
    fix_lengths(f);
  }
  return f;
}

const std::vector<Family>& families() {
  static const std::vector<Family> all = {
      {"ours", "valid frames built from the contract (control: all owned)", ours},
      {"truncated", "a valid frame cut at every offset 0..len-1", truncated},
      {"ethertype", "ethertype other than IPv4 (0x0008, ARP, IPv6, VLAN TPIDs, random)", ethertype},
      {"vlan", "802.1Q, QinQ (0x88a8, 0x9100), double and triple tags", vlan},
      {"ipv6", "IPv6 (+ hop-by-hop, + fragment header) to our port; IPv6 under 0x0800", ipv6},
      {"ip_options", "IHL 6..15 with options inserted, or only the IHL changed", ip_options},
      {"bad_ihl", "IHL 0..4, header past the frame or total length, version != 4", bad_ihl},
      {"fragment", "non-first and MF fragments; DF / reserved-bit controls", fragment},
      {"ip_protocol", "IP protocol other than UDP", ip_protocol},
      {"udp_short", "datagram ending before the fields; short UDP / IPv4 length fields", udp_short},
      {"udp_port", "destination port other than ours (byte-swapped among them)", udp_port},
      {"magic", "magic with a wrong byte, bit, half, byte order; payload moved 1..8 bytes", magic},
      {"tag_set", "tag already set: one byte, a value the program writes, random, one bit",
       tag_set},
      {"random", "random bytes of random length 14..1514; random payload behind our headers",
       random_bytes},
      {"header_mix", "each field the full match reads made wrong with probability 1/2", header_mix},
      {"mutation", "one byte of a valid frame changed (classified by the reference)", mutation},
  };
  return all;
}

const Family* find_family(const std::string& name) {
  for (const auto& f : families())
    if (name == f.name) return &f;
  return nullptr;
}

uint64_t frame_seed(uint64_t seed, size_t family, uint64_t index) {
  Rng a(seed ^ (0x9e3779b97f4a7c15ull * (family + 1)));
  Rng b(a.next() ^ index);
  return b.next();
}

} // namespace xdpml::storm
