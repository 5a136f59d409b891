// Estimated NFP instruction count of a program (docs/nfp-offload.md §4.2: per-eBPF-instruction
// expansion derived from the JIT's emitters, plus the fixed intro/outro overhead). The numbers
// are hand-derived (±1–2 per instruction); calibrate against `bpftool prog dump jited`.
#pragma once

#include "compiler/nfp/analysis.hpp"
#include "compiler/nfp/program.hpp"

#include <cstdint>
#include <vector>

namespace xdpml::nfp {

struct CostEstimate {
  uint64_t total = 0;    // instructions + overhead
  uint64_t overhead = 0; // intro, outro, prefetch pad, R6-R9 push/pop subroutine
  std::vector<uint32_t> per_insn;
};

// frame_depth: per function, the deepest stack byte it uses (bytes below its R10).
CostEstimate estimate_cost(const Program& program, const Analysis& analysis,
                           const std::vector<int64_t>& frame_depth);

// True when a subprogram (not the entry) names R6-R9 as a destination anywhere: the driver
// then saves them with a shared push/pop subroutine (nfp_assign_subprog_idx_and_regs).
bool needs_reg_push(const Program& program, size_t func);

} // namespace xdpml::nfp
