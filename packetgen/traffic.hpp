// The sender and receiver loops behind `xdpml send`, `xdpml recv` and `xdpml verify`.
#pragma once

#include "packetgen/netdev.hpp"
#include "packetgen/pcap.hpp"
#include "packetgen/series.hpp"
#include "packetgen/tally.hpp"
#include "support/result.hpp"

#include <atomic>
#include <cstdint>

namespace xdpml::packetgen {

constexpr double kDefaultRate = 10000; // frames per second; measured margins: packetgen/README.md

struct SendOptions {
  double rate = kDefaultRate; // frames per second; 0 = as fast as the device takes them
  uint64_t count = 0;         // windows 0 .. count-1 are sent (callers cap it at windows())
  bool progress = false;      // a one-line progress display on stderr
  PcapWriter* pcap = nullptr; // the frames as sent
  const std::atomic<bool>* stop = nullptr;         // set by a signal handler: stop early
  const std::atomic<uint64_t>* received = nullptr; // shown in the progress line (verify)
};

struct SendStats {
  uint64_t sent = 0;
  uint64_t retries = 0; // sends repeated because the device queue was full
  double seconds = 0;
};

// Sends windows 0 .. count-1 in order, paced by a monotonic clock: frame i leaves at
// start + i/rate at the earliest. A late thread catches up by sending the frames that are due at
// once, so the average rate holds even when a sleep overshoots.
Result<SendStats> send_windows(RawSocket& socket, const Series& series, const Endpoints& endpoints,
                               const SendOptions& options);

struct RecvOptions {
  uint64_t expect = 0;        // windows 0 .. expect-1 must arrive
  double timeout = 3;         // seconds without a frame carrying the magic before giving up
  PcapWriter* pcap = nullptr; // frames as received (after XDP)
  const std::atomic<bool>* stop = nullptr;        // stop early (signal)
  const std::atomic<bool>* sender_busy = nullptr; // verify: no timeout while the sender sends
  std::atomic<uint64_t>* received = nullptr;      // live count for a progress display
};

struct RecvResult {
  Summary summary;
  std::vector<Judged> judged; // per window, when Expected::keep_judged (networks' fidelity)
  double seconds = 0;         // first to last frame carrying the magic
  bool timed_out = false;     // stopped by --timeout (or a signal) before every window arrived
  SocketStats socket;         // kernel counters: drops = frames lost at our socket's buffer
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
