// The storm's frame families: each starts from frames of ours, built from the program's
// contract with packetgen::build_frame, and breaks them in one way. Frame `index` of a family is
// a function of (seed, family, index) alone, so any frame can be generated again on its own.
#pragma once

#include "tests/storm/oracle.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace xdpml::storm {

// splitmix64: small, fast and good enough to pick bytes and cases.
class Rng {
public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); } // n > 0
  uint32_t between(uint32_t lo, uint32_t hi) { return lo + below(hi - lo + 1); }
  bool one_in(uint32_t n) { return below(n) == 0; }
  uint8_t byte() { return static_cast<uint8_t>(next()); }

private:
  uint64_t s_;
};

using Frame = std::vector<uint8_t>;

struct Family {
  const char* name;
  const char* what; // one line for --list and the report
  Frame (*make)(const Layout& layout, Rng& rng, uint64_t index);
};

// Every family, in report order; "ours" (valid frames, all owned) comes first as the control.
const std::vector<Family>& families();
const Family* find_family(const std::string& name);

// The seed of frame `index` of family number `family` (its position in families()).
uint64_t frame_seed(uint64_t seed, size_t family, uint64_t index);

// A valid frame of ours with random addresses and data; `padded`: followed by random bytes
// (IPv4 and UDP lengths cover them), as a longer datagram would be.
Frame valid_frame(const Layout& layout, Rng& rng, bool padded);

} // namespace xdpml::storm
