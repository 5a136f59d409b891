#include "packetgen/traffic.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <sys/prctl.h>
#include <time.h>

namespace xdpml::packetgen {

namespace {

uint64_t now_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

void sleep_until(uint64_t deadline_ns) {
  timespec ts{static_cast<time_t>(deadline_ns / 1000000000u),
              static_cast<long>(deadline_ns % 1000000000u)};
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

bool stopped(const std::atomic<bool>* flag) {
  return flag && flag->load(std::memory_order_relaxed);
}

} // namespace

Result<SendStats> send_windows(RawSocket& socket, const Series& series, const Endpoints& endpoints,
                               const SendOptions& options) {
  // The default timer slack (50 us) would make every sleep of a 10 kpps pacer overshoot by half
  // an interval; 1 us keeps the bursts of catch-up sends short.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  SendStats st;
  const uint64_t count = std::min<uint64_t>(options.count, series.windows());
  const double interval_ns = options.rate > 0 ? 1e9 / options.rate : 0;
  std::vector<uint8_t> samples(series.format().data_bytes());
  const uint64_t start = now_ns(CLOCK_MONOTONIC);
  uint64_t next_progress = start + 500000000u;
  bool printed = false;
  for (uint64_t w = 0; w < count; ++w) {
    if (stopped(options.stop)) break;
    if (interval_ns > 0) {
      const uint64_t due = start + static_cast<uint64_t>(std::llround(interval_ns * w));
      if (now_ns(CLOCK_MONOTONIC) < due) sleep_until(due);
    }
    series.window_bytes(w, samples.data());
    const auto frame = build_frame(series.format(), endpoints, samples, w);
    if (auto s = socket.send(frame, &st.retries); !s) return s.failure();
    ++st.sent;
    if (options.pcap)
      if (auto s = options.pcap->write(frame, now_ns(CLOCK_REALTIME)); !s) return s.failure();
    if (options.progress) {
      const uint64_t t = now_ns(CLOCK_MONOTONIC);
      if (t >= next_progress) {
        next_progress = t + 500000000u;
        const double secs = static_cast<double>(t - start) / 1e9;
        std::fprintf(stderr, "\rsent %llu/%llu windows (%.0f pkt/s)",
                     static_cast<unsigned long long>(st.sent),
                     static_cast<unsigned long long>(count), static_cast<double>(st.sent) / secs);
        if (options.received)
          std::fprintf(stderr, ", received %llu",
                       static_cast<unsigned long long>(options.received->load()));
        std::fflush(stderr);
        printed = true;
      }
    }
  }
  st.seconds = static_cast<double>(now_ns(CLOCK_MONOTONIC) - start) / 1e9;
  if (printed) std::fprintf(stderr, "\r\033[K");
  return st;
}

Arrival classify(const Series& series, const ParsedFrame& frame) {
  Arrival a;
  a.seq = frame.seq;
  a.tag = frame.tag;
  if (frame.result_bytes.size() >= 4)
    a.result = static_cast<int32_t>(load_le32(frame.result_bytes.data()));
  if (!frame.complete || frame.seq >= series.windows()) return a;
  uint8_t want[1514]; // the samples of one frame, which fits a 1500-byte MTU
  const size_t n = series.format().data_bytes();
  if (n > sizeof want || frame.sample_bytes.size() != n) return a;
  series.window_bytes(frame.seq, want);
  a.intact = std::memcmp(want, frame.sample_bytes.data(), n) == 0;
  return a;
}

Result<RecvResult> receive_windows(RawSocket& socket, const Series& series,
                                   std::vector<uint8_t> expected_tags, const RecvOptions& options) {
  return receive_windows(socket, series, Expected{std::move(expected_tags), {}, false}, options);
}

Result<RecvResult> receive_windows(RawSocket& socket, const Series& series, Expected expected,
                                   const RecvOptions& options) {
  Tally tally(std::move(expected), options.expect);
  RecvResult r;
  std::vector<uint8_t> buf(65536);
  const uint64_t timeout_ns = static_cast<uint64_t>(std::max(options.timeout, 0.0) * 1e9);
  uint64_t last = now_ns(CLOCK_MONOTONIC);
  uint64_t first_frame = 0, last_frame = 0;
  uint64_t linger_until = 0; // set once complete
  for (;;) {
    if (stopped(options.stop)) {
      r.timed_out = !tally.complete();
      break;
    }
    const uint64_t now = now_ns(CLOCK_MONOTONIC);
    if (linger_until && now >= linger_until) break;
    if (options.sender_busy && options.sender_busy->load()) last = std::max(last, now);
    if (!linger_until && now > last && now - last >= timeout_ns) {
      r.timed_out = !tally.complete();
      break;
    }
    // Short waits so that stop, sender state and the deadlines are looked at regularly.
    auto n = socket.receive(buf, 50);
    if (!n) return n.failure();
    if (*n == 0) continue;
    const size_t len = std::min(*n, buf.size());
    const auto frame = parse_frame(series.format(), {buf.data(), len});
    if (!frame) continue; // not ours (the socket filter lets only the magic through anyway)
    last = now_ns(CLOCK_MONOTONIC);
    if (!first_frame) first_frame = last;
    last_frame = last;
    if (options.pcap)
      if (auto s = options.pcap->write({buf.data(), len}, now_ns(CLOCK_REALTIME)); !s)
        return s.failure();
    tally.add(classify(series, *frame));
    if (options.received) options.received->store(tally.received());
    if (!linger_until && tally.complete()) linger_until = last + 100000000u;
  }
  r.summary = tally.summary();
  r.judged = tally.judged();
  r.seconds = first_frame ? static_cast<double>(last_frame - first_frame) / 1e9 : 0;
  r.socket = socket.stats();
  return r;
}

} // namespace xdpml::packetgen
