// The ANOVA (Chebyshev) segmenter front end: builds the IR for one packet of 16 samples in the
// 2019 report's wire format (design.md §3), using the exact integer test of §4; or, with
// `--window N`, of 2N samples (N a power of two from 2 to 64) in the same layout.
#pragma once

#include "compiler/anova/rational.hpp"
#include "compiler/ir.hpp"
#include "compiler/match.hpp"
#include "support/result.hpp"

#include <cstdint>
#include <string>

namespace xdpml::anova {

enum class InputFormat { U32, F64 };
using compiler::MatchMode;

struct AnovaSpec {
  InputFormat input = InputFormat::U32;
  Rational epsilon = Rational::of(1, 10);
  std::string epsilon_text = "0.1";
  uint32_t scale = 16384;
  MatchMode match = MatchMode::Magic;
  bool strict_align = false;
  uint32_t window = 8; // samples per window (A and B); the report's format has 8
};

// Wire format (design.md §3), shared with every model: compiler/match.hpp.
using compiler::kDataOffset;
using compiler::kMagic;
using compiler::kMagicOffset;
using compiler::kPayloadOffset;
using compiler::kTagOffset;
using compiler::kUdpPort;
constexpr compiler::Int kWindowSumLimit = compiler::Int{1} << 30; // valid windows: sum of A < 2^30
constexpr uint32_t kMaxWindow = 64; // 2 x 64 doubles still fit a 1500-byte MTU

// Valid windows of N samples: sum of A below this. 2^30 for N <= 8; lower for larger N, so that
// D = NQ - S^2 < N * S^2 stays below 2^63.
compiler::Int window_sum_limit(uint32_t window);
// Checks --window: a power of two from 2 to kMaxWindow (the means then are shifts).
Status check_window(uint32_t window);

// Constants of the exact test, derived from epsilon and scale (see build_anova).
struct AnovaConstants {
  uint64_t threshold = 0;  // T = ceil(N*eps*scale): outlier iff |NX - S| >= T
  compiler::Int y_num = 0; // y = N*(eps*scale)^2 = y_num / y_den, reduced
  compiler::Int y_den = 1;
  compiler::Int bound = 0; // ceil(N*y): D >= bound never splits, whatever window B holds
};

Result<AnovaConstants> anova_constants(const AnovaSpec& spec);

// Builds the segmenter's IR; its exits are pass (untouched), invalid (tag 3), split (tag 1)
// and no split (tag 2, the fall-through).
// `one_compare_outliers`: test each B sample with one unsigned 64-bit compare of X - c against a
// width (fewer branches on x86) instead of two compares against lo and hi, which the NFP, a
// 32-bit machine, does more cheaply (compile_anova passes false for --target nfp).
Result<compiler::Function> build_anova(const AnovaSpec& spec, bool one_compare_outliers = true);

uint32_t data_stride(InputFormat f);
uint32_t frame_bytes(InputFormat f, uint32_t window = 8); // frame length the program needs

} // namespace xdpml::anova
