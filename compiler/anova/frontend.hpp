// The ANOVA (Chebyshev) segmenter front end: builds the IR for one packet of 16 samples in the
// 2019 report's wire format (design.md §3), using the exact integer test of §4.
#pragma once

#include "compiler/anova/rational.hpp"
#include "compiler/ir.hpp"
#include "support/result.hpp"

#include <cstdint>
#include <string>

namespace xdpml::anova {

enum class InputFormat { U32, F64 };
enum class MatchMode { Magic, Full };

struct AnovaSpec {
  InputFormat input = InputFormat::U32;
  Rational epsilon = Rational::of(1, 10);
  std::string epsilon_text = "0.1";
  uint32_t scale = 16384;
  MatchMode match = MatchMode::Magic;
  bool strict_align = false;
};

// Wire format (design.md §3): Ethernet 14 + IPv4 20 + UDP 8, then the payload.
constexpr uint32_t kPayloadOffset = 42;
constexpr uint32_t kMagicOffset = kPayloadOffset;
constexpr uint32_t kTagOffset = kPayloadOffset + 8;
constexpr uint32_t kDataOffset = kPayloadOffset + 16;
constexpr uint64_t kMagic = 0x216C7174786A7A21ull; // "!zjxtql!" little-endian
constexpr uint16_t kUdpPort = 6666;
constexpr compiler::Int kWindowSumLimit = compiler::Int{1} << 30; // valid windows: sum of A < 2^30

// Constants of the exact test, derived from epsilon and scale (see build_anova).
struct AnovaConstants {
  uint64_t threshold = 0;  // T = ceil(8*eps*scale): outlier iff |8X - S| >= T
  compiler::Int y_num = 0; // y = 8*(eps*scale)^2 = y_num / y_den, reduced
  compiler::Int y_den = 1;
  compiler::Int bound = 0; // ceil(8*y): D >= bound never splits (only used when y_den > 1)
};

Result<AnovaConstants> anova_constants(const AnovaSpec& spec);

// Builds the segmenter's IR; its exits are pass (untouched), invalid (tag 3), split (tag 1)
// and no split (tag 2, the fall-through).
Result<compiler::Function> build_anova(const AnovaSpec& spec);

uint32_t data_stride(InputFormat f);
uint32_t frame_bytes(InputFormat f); // frame length the program needs

} // namespace xdpml::anova
