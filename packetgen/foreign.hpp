// Foreign traffic for mixed runs (`send/verify --foreign R`, `recv --foreign R`): frames that are
// not ours, interleaved with ours, which the program must pass on untouched.
//
// Foreign frame k (k = 0, 1, ...) is a pure function of k and the wire format, so the receiver
// rebuilds it and compares it byte for byte. Its source MAC is 02:fe:k (k as 32 bits, big
// endian): locally administered, and how the receiver recognises foreign frames. None carries
// our magic at the contract's offset (the receiver would count it as ours). Five kinds, k % 5:
//   0 near miss   our frame layout (IPv4/UDP to the contract's port, our length), the magic's
//                 last byte changed, a nonzero tag and pseudo-random data: a program that does
//                 not check the whole magic writes into it
//   1 other UDP   IPv4/UDP to port 53, 60..1000 bytes of pseudo-random payload
//   2 short       IPv4/UDP to the contract's port, 60 bytes: ends inside the data (a program
//                 must bounds-check before reading)
//   3 IPv6        IPv6/UDP to the contract's port, our length, near-miss magic
//   4 other type  EtherType 0x88B5 (IEEE local experimental), 60..200 bytes
//
// Mixing: after our i-th frame (0-based) the sender emits foreign frames until floor((i+1) * R)
// have been sent, so R = 0.25 is one foreign frame after every fourth of ours and R = 2 two
// after each; N frames of ours come with floor(N * R) foreign ones.
#pragma once

#include "packetgen/wire.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace xdpml::packetgen {

constexpr uint8_t kForeignMac0 = 0x02, kForeignMac1 = 0xfe;
constexpr size_t kForeignKinds = 5;
constexpr size_t kForeignMaxBytes = 1000;

const char* foreign_kind_name(size_t kind);

// Foreign frames that come with `ours` frames of ours at ratio `ratio`.
uint64_t foreign_count(uint64_t ours, double ratio);

// Writes foreign frame k into out (at least kForeignMaxBytes bytes); returns its length.
size_t build_foreign_frame(const WireFormat& format, const Endpoints& endpoints, uint64_t k,
                           uint8_t* out);
std::vector<uint8_t> build_foreign_frame(const WireFormat& format, const Endpoints& endpoints,
                                         uint64_t k);

// The k a frame's source MAC names, when it is marked as foreign.
std::optional<uint64_t> foreign_index(std::span<const uint8_t> frame);

// The receiver's accounting of foreign frames: each is intact (byte for byte what the sender
// built, destination MAC aside), modified, or duplicated; lost are indices 0..expect-1 that
// never arrived intact. The program must pass every foreign frame untouched.
struct ForeignSummary {
  uint64_t expected = 0, received = 0, intact = 0, modified = 0, duplicated = 0, lost = 0;
  uint64_t unexpected = 0; // intact, but beyond the expected indices (the sender sent more)
  uint64_t per_kind_received[kForeignKinds] = {};
  uint64_t first_modified = UINT64_MAX; // lowest modified index
  bool passed() const { return modified == 0 && duplicated == 0 && lost == 0; }
};

class ForeignTally {
public:
  ForeignTally(const WireFormat& format, const Endpoints& endpoints, uint64_t expect);
  // A frame foreign_index() recognised as foreign frame k.
  void add(uint64_t k, std::span<const uint8_t> frame);
  ForeignSummary summary() const;

private:
  WireFormat format_;
  Endpoints endpoints_;
  std::vector<uint8_t> seen_;
  std::vector<uint8_t> want_;
  ForeignSummary s_;
};

} // namespace xdpml::packetgen
