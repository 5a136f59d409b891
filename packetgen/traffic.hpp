// The sender and receiver loops behind `xdpml send`, `xdpml recv` and `xdpml verify`.
#pragma once

#include "packetgen/foreign.hpp"
#include "packetgen/netdev.hpp"
#include "packetgen/pcap.hpp"
#include "packetgen/sender.hpp"
#include "packetgen/series.hpp"
#include "packetgen/tally.hpp"
#include "support/result.hpp"

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

namespace xdpml::packetgen {

constexpr double kDefaultRate = 10000; // frames per second; measured margins: packetgen/README.md

struct SendOptions {
  double rate = kDefaultRate; // frames per second, foreign ones included; 0 = as fast as the
                              // device takes them
  uint64_t count = 0;         // windows 0 .. count-1 are sent (callers cap it at windows())
  uint32_t batch = 64;        // most frames handed to the kernel at once
  double foreign = 0;         // foreign frames per frame of ours (foreign.hpp), 0 = none
  bool progress = false;      // a one-line progress display on stderr
  PcapWriter* pcap = nullptr; // the frames as sent
  const std::atomic<bool>* stop = nullptr;         // set by a signal handler: stop early
  const std::atomic<uint64_t>* received = nullptr; // shown in the progress line (verify)
};

struct SendStats {
  uint64_t sent = 0;    // frames of ours
  uint64_t foreign = 0; // foreign frames
  uint64_t frames() const { return sent + foreign; }
  uint64_t retries = 0; // waits on a full device queue (SenderCounters::retries)
  double seconds = 0;   // from the start to the last frame handed to the kernel
  // Pacing: the rate asked for (0: unpaced), the rate achieved between the first and the last
  // batch (the frames after the first batch over that time), the most frames one commit
  // carried, and how far behind its schedule the sender fell at worst (paced only; the frames
  // due were then sent in batches of at most `burst` until it caught up).
  double rate = 0;
  double achieved_pps = 0;
  uint32_t burst = 0;
  double max_behind_us = 0;
  // The path (FrameSender::path/mode), what it counted, and the device's own counters over the
  // run (after the sender drained its completions).
  std::string path, mode;
  SenderCounters counters;
  std::optional<DeviceCounters> device;
};

// Frames of one commit at `rate` frames per second: as many as leave in 50 us (at least 1, at
// most `batch`), so that a batch's burst stays short against the interval the rate asks for.
uint32_t pacing_burst(double rate, uint32_t batch);

// Sends windows 0 .. count-1 in order (with options.foreign, foreign frames between them),
// paced by a monotonic clock: frame i (counting every frame) leaves at start + i/rate at the
// earliest. Frames that are due go out together, at most pacing_burst() per commit; a sender
// that fell behind catches up in such batches, so the average rate holds even when a sleep
// overshoots.
Result<SendStats> send_windows(FrameSender& sender, const Series& series,
                               const Endpoints& endpoints, const SendOptions& options);

struct RecvOptions {
  uint64_t expect = 0;        // windows 0 .. expect-1 must arrive
  double timeout = 3;         // seconds without a frame carrying the magic before giving up
  PcapWriter* pcap = nullptr; // frames as received (after XDP)
  const std::atomic<bool>* stop = nullptr;        // stop early (signal)
  const std::atomic<bool>* sender_busy = nullptr; // verify: no timeout while the sender sends
  std::atomic<uint64_t>* received = nullptr;      // live count for a progress display
  // Foreign frames 0 .. foreign-1 must arrive untouched (foreign.hpp); counted only when set
  // (the socket must then accept them: RawSocket::open_rx(..., true)).
  std::optional<uint64_t> foreign;
};

struct RecvResult {
  Summary summary;
  std::vector<Judged> judged; // per window, when Expected::keep_judged (networks' fidelity)
  double seconds = 0;         // first to last frame carrying the magic
  bool timed_out = false;     // stopped by --timeout (or a signal) before every window arrived
  SocketStats socket;         // kernel counters: drops = frames lost at our socket's buffer
  std::optional<ForeignSummary> foreign;
};

// Receives until windows 0 .. expect-1 have all arrived (then lingers 100 ms to catch trailing
// duplicates), the timeout expires, or *stop is set. Each frame with the magic is checked
// against what the sender puts in the window its sequence number names, and its tag against
// expected_tags (see tally.hpp for the accounting).
Result<RecvResult> receive_windows(RawSocket& socket, const Series& series,
                                   std::vector<uint8_t> expected_tags, const RecvOptions& options);
// The same with results judged too (network regressions) and what each judged frame carried.
Result<RecvResult> receive_windows(RawSocket& socket, const Series& series, Expected expected,
                                   const RecvOptions& options);

// Classifies one received frame (already known to carry the magic); for networks also reads the
// signed 32-bit result field.
Arrival classify(const Series& series, const ParsedFrame& frame);

} // namespace xdpml::packetgen
