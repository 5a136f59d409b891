// `xdpml bench`: per-packet cost of XDP programs with BPF_PROG_TEST_RUN, on the real compute path.
//
// The pitfall (design.md §7): BPF_PROG_TEST_RUN with `repeat` runs the program again and again on
// ONE buffer. A program that writes its result tag sees that tag from the second repeat on and
// takes its "not mine" early exit, so a naive repeated run times the early exit, not the model.
//
// The remedy used here (decision, see docs/benchmarks.md): the program under test is run,
// unmodified, behind a wrapper that resets the tag before every run of it:
//
//     wrapper(ctx):  32 times { r0 = run(ctx); if r0 == TAIL_CALL_FAILED: return r0 }; return r0
//     run(ctx):      *(u64 *)(data + tag_offset) = 0       (if the frame is long enough)
//                    bpf_tail_call(ctx, prog_array, 0)     -> the program under test
//                    return TAIL_CALL_FAILED               (only if the tail call failed)
//
// A tail call from a subprogram replaces that subprogram, so the program's `exit` returns into
// the wrapper's loop: one kernel repeat runs the program 32 times, each time on a fresh tag and
// so on its full path (33 tail calls per invocation is the kernel's limit). The wrapper's own
// cost (call, tag reset, tail call, the test loop) is measured the same way around an empty
// program (`r0 = XDP_PASS; exit`): that is the floor, and net cost = wrapped program - floor,
// per round.
//
// Why not one syscall per packet (repeat = 1)? About 1 µs of syscall overhead and its noise
// around a 10-ns program. Why not the wall clock around the syscall? With repeat > 1 the kernel
// switches the XDP dispatcher to the program and back, which waits for RCU (about 16 ms per
// call here, varying by milliseconds). So the figure is the kernel's own test timer, which covers
// only the loop and leaves out time the thread was rescheduled; it is an integer number of ns per
// repeat, i.e. a resolution of 1/32 ns per packet thanks to the 32 runs per repeat.
// Programs are measured interleaved (floor, A, B, ..., rotating the order each round) so slow
// drift of the machine hits all of them alike, and each round uses another separately loaded
// copy of every program (JIT image placement matters: see BenchTarget::fds).
//
// Correctness of what is timed: after every timed run the output packet (the state after the
// last repeat) must equal the output of one plain run of the program on a fresh copy of the
// packet, and, when the wire format is known, carry the expected tag of its window (and, for
// network regressions, the expected result).
#pragma once

#include "measure/stats.hpp"
#include "support/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xdpml::measure {

struct BenchTarget {
  std::string name;
  // The program, loaded one or more times (fds owned by the caller). Round r runs instance
  // r % fds.size(): where the kernel places each JIT image shifts the cost by a few percent, so
  // rotating through separately loaded copies puts that variation into the intervals instead of
  // leaving one lucky or unlucky placement in the result.
  std::vector<int> fds;
  uint32_t xlated_insns = 0;
  uint32_t jited_bytes = 0;
  // Round r runs packets[r % packets.size()]; every target gets packets of the same windows in
  // the same order, so round r compares the programs on the same data.
  std::vector<std::vector<uint8_t>> packets;
  std::vector<uint64_t> windows;                     // window index of each packet (reports)
  std::vector<std::optional<uint64_t>> expected_tag; // per packet; nullopt: unknown
  // Per packet (network regressions): the signed 32-bit result at BenchOptions::result_offset;
  // empty or nullopt: not checked.
  std::vector<std::optional<int64_t>> expected_result;
};

struct BenchOptions {
  int runs = 31;       // timed runs per program (and of the floor)
  int floor_loads = 8; // separately loaded copies of the empty program for the floor
  double run_ms = 4;   // wanted duration of one timed run: sets the repeat count
  uint32_t tag_offset = 50;
  uint32_t tag_bytes = 8;     // 1..8, little-endian
  uint32_t result_offset = 0; // where expected results are (BenchTarget::expected_result)
  double confidence = 0.95;
  bool progress = false;
};

struct TargetResult {
  std::string name;
  uint32_t xlated_insns = 0;
  uint32_t jited_bytes = 0;
  uint32_t repeat = 0;
  std::vector<double> ns;  // per round: ns per packet, wrapper + tail call + program
  std::vector<double> net; // per round: ns - floor of the same round
  double median = 0;
  Interval ci;
  double net_median = 0;
  Interval net_ci;
  std::optional<double> ratio; // net_median / net_median of the first target
  Interval ratio_ci;           // bootstrap over rounds (paired)
  double naive_ns = 0;  // the program run directly with the same repeat: from the second repeat on
                        // it sees its own tag, so this is the early-exit path (shown, not used)
  uint64_t checked = 0; // timed runs whose output was checked
  uint64_t tags_ok = 0; // ... and matched
  std::vector<std::string> mismatches;                            // first few, human-readable
  std::vector<uint64_t> tag_counts = std::vector<uint64_t>(5, 0); // output tags 0..3, other
};

struct BenchResult {
  uint32_t floor_repeat = 0;
  std::vector<double> floor_ns;
  double floor_median = 0;
  Interval floor_ci;
  uint32_t wrapper_insns = 0; // xlated instructions of the wrapper
  std::vector<TargetResult> targets;
  int runs = 0;
  bool tags_ok() const;
};

// Measures every target (at least one). Fails when the kernel refuses (map, wrapper, test run)
// or a target does not run at all on its packets; tag mismatches are results, not failures.
Result<BenchResult> run_bench(const std::vector<BenchTarget>& targets, const BenchOptions& options);

constexpr int kRunsPerRepeat = 32;              // tail calls per invocation: the kernel allows 33
constexpr int32_t kTailCallFailed = 0x7e11dead; // the wrapper's verdict when a tail call failed

// The wrapper's instructions (exposed for tests): `calls` runs of the subprogram at
// `subprog_insn`, which zeroes `tag_bytes` at `tag_offset` and tail-calls slot 0 of the program
// array `map_fd`.
struct WrapperCode {
  std::vector<uint8_t> code;
  uint32_t subprog_insn = 0;
};
WrapperCode wrapper_code(int map_fd, uint32_t tag_offset, uint32_t tag_bytes,
                         int calls = kRunsPerRepeat);

} // namespace xdpml::measure
