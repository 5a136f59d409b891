// `xdpml measure`: the rdtscp round trip of one frame, sent on one end of a veth pair and received
// after XDP on the other, in alternating batches with and without the program.
//
// The 2019 report took the minimum over millions of frames with the program and, separately,
// without; its with-program minimum came out BELOW the without-program one, and it concluded
// only "about 1000 ns". Minima of two separate runs are dominated by rare lucky frames and by
// whatever the machine did during each run. Here:
//   * batches WITH and WITHOUT come in pairs, the order within each pair drawn at random, so slow
//     drift of the machine (frequency, other load, cache state) hits both conditions alike and
//     periodic activity cannot line up with one of them;
//   * after each switch a few frames warm the path up and are not timed;
//   * the figures are min / median / p99 of each condition and of their difference, and the
//     difference comes with a bootstrap confidence interval over batch pairs (batches, not
//     frames, are the independent units: frames within a batch share the machine's state);
//   * when the interval includes 0 the result says so: the difference is not resolved;
//   * every frame carries a window that makes the program do its full work, and the received
//     tag is checked, so the WITH batches time the real compute path.
#pragma once

#include "measure/machine.hpp"
#include "measure/stats.hpp"
#include "packetgen/netdev.hpp"
#include "packetgen/sender.hpp"
#include "packetgen/wire.hpp"
#include "support/result.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace xdpml::measure {

struct RoundTripFrame {
  std::vector<uint8_t> frame;           // the seq field is rewritten per send
  uint64_t window = 0;                  // for reports
  std::optional<uint64_t> expected_tag; // after the program (WITH); nullopt: not checked
  // Networks' regressions: the signed 32-bit result field the program must write (WITH).
  std::optional<int64_t> expected_result;
};

struct RoundTripOptions {
  uint64_t count = 20000; // timed frames, both conditions together
  uint32_t batch = 100;   // frames per batch
  uint32_t warmup = 16;   // frames sent after each switch and not timed
  int timeout_ms = 1000;  // per frame: longer counts as lost
  double confidence = 0.95;
  int bootstrap_reps = 1000;
  uint64_t seed = 1; // order of the two batches in each pair
  bool progress = false;
  const std::atomic<bool>* stop = nullptr;
};

struct RoundTripSample {
  uint32_t batch = 0;
  bool with = false;
  uint64_t window = 0;
  uint64_t cycles = 0;
  double ns = 0;
  uint64_t tag = 0;
  bool tag_ok = true; // WITH: the tag expected for the window (or not checked)
};

// A difference WITH - WITHOUT of one statistic, with its bootstrap interval.
struct Difference {
  double value = 0;
  Interval ci;
  bool resolved() const { return !ci.contains(0); }
};

struct RoundTripResult {
  TscCalibration tsc;
  std::vector<RoundTripSample> samples;
  uint32_t batches = 0;        // timed batches (an even number: pairs)
  uint64_t lost = 0;           // frames that did not come back within the timeout
  uint64_t tsc_step_ticks = 1; // the counter advances in steps of this many ticks
  uint64_t with_checked = 0, with_tag_ok = 0, with_unprocessed = 0;
  std::vector<std::string> mismatches; // first few
  Summary with, without;
  Difference d_min, d_median, d_p99;
  bool interrupted = false;
};

// Switches the receiving end to the WITH (true) or WITHOUT (false) condition for batch pair
// `pair` (attach/detach or replace); called before every batch, and with pair 0 before the
// untimed warm-up batch.
using SwitchFn = std::function<Status(bool with, uint32_t pair)>;

Result<RoundTripResult> run_round_trips(packetgen::FrameSender& tx, packetgen::RawSocket& rx,
                                        const packetgen::WireFormat& format,
                                        const std::vector<RoundTripFrame>& frames,
                                        const SwitchFn& switch_to, const TscCalibration& tsc,
                                        const RoundTripOptions& options);

// Figures from samples (exposed for tests): summaries and bootstrap differences over batch
// pairs (batch 2k and 2k+1 form pair k). Quantiles are grouped-data quantiles on the counter's
// step (the greatest common divisor of the samples' tick counts), see roundtrip.cpp.
void analyse_round_trips(RoundTripResult& r, const RoundTripOptions& options);

} // namespace xdpml::measure
