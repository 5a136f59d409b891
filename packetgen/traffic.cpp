#include "packetgen/traffic.hpp"

#include <algorithm>
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

uint32_t pacing_burst(double rate, uint32_t batch) {
  batch = std::max<uint32_t>(batch, 1);
  if (!(rate > 0)) return batch;
  const double in_50us = std::floor(rate * 50e-6);
  return static_cast<uint32_t>(std::clamp<double>(in_50us, 1, batch));
}

Result<SendStats> send_windows(FrameSender& sender, const Series& series,
                               const Endpoints& endpoints, const SendOptions& options) {
  // The default timer slack (50 us) would make every sleep of a 10 kpps pacer overshoot by half
  // an interval; 1 us keeps the bursts of catch-up sends short.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  SendStats st;
  st.path = sender.path();
  st.mode = sender.mode();
  st.rate = options.rate;
  const auto device_before = read_device_counters(sender.device());
  const uint64_t count = std::min<uint64_t>(options.count, series.windows());
  const uint64_t foreign_total = foreign_count(count, options.foreign);
  const uint64_t total = count + foreign_total;
  const double ns_per_frame = options.rate > 0 ? 1e9 / options.rate : 0;
  const uint32_t burst = pacing_burst(options.rate, options.batch);
  const WireFormat& format = series.format();
  if (format.frame_size() > sender.frame_capacity() ||
      (foreign_total && kForeignMaxBytes > sender.frame_capacity()))
    return fail("frames of " + std::to_string(format.frame_size()) + " bytes do not fit the " +
                std::to_string(sender.frame_capacity()) + "-byte buffers of the " + sender.path() +
                " sender");
  std::vector<uint8_t> samples(format.data_bytes());
  std::vector<uint32_t> lengths(burst);
  const uint64_t start = now_ns(CLOCK_MONOTONIC);
  uint64_t first_commit = 0, last_commit = start, first_batch = 0;
  uint64_t next_progress = start + 500000000u;
  bool printed = false;
  uint64_t done = 0; // frames handed to the kernel, ours and foreign
  while (done < total) {
    if (stopped(options.stop)) break;
    size_t n = std::min<uint64_t>(burst, total - done);
    if (ns_per_frame > 0) {
      // Frames 0 .. due-1 are due now; sleep until the next one is.
      const uint64_t now = now_ns(CLOCK_MONOTONIC);
      const double elapsed = static_cast<double>(now - start);
      const auto due = static_cast<uint64_t>(std::floor(elapsed / ns_per_frame)) + 1;
      if (due <= done) {
        sleep_until(start + static_cast<uint64_t>(std::ceil(ns_per_frame * done)));
        continue;
      }
      st.max_behind_us =
          std::max(st.max_behind_us, (elapsed - ns_per_frame * static_cast<double>(done)) / 1e3);
      n = std::min<uint64_t>(n, due - done);
    }
    auto bufs = sender.reserve(n);
    if (!bufs) return bufs.failure();
    const size_t k = bufs->size();
    for (size_t j = 0; j < k; ++j) {
      uint8_t* out = (*bufs)[j];
      // After our i-th frame come the foreign ones up to floor((i + 1) * ratio).
      if (st.foreign < foreign_count(st.sent, options.foreign) || st.sent == count) {
        lengths[j] = static_cast<uint32_t>(build_foreign_frame(format, endpoints, st.foreign, out));
        ++st.foreign;
      } else {
        series.window_bytes(st.sent, samples.data());
        lengths[j] =
            static_cast<uint32_t>(build_frame_into(format, endpoints, samples, st.sent, out));
        ++st.sent;
      }
    }
    if (auto c = sender.commit({lengths.data(), k}); !c) return c.failure();
    last_commit = now_ns(CLOCK_MONOTONIC);
    if (!first_commit) {
      first_commit = last_commit;
      first_batch = k;
    }
    st.burst = std::max<uint32_t>(st.burst, static_cast<uint32_t>(k));
    done += k;
    if (options.pcap)
      for (size_t j = 0; j < k; ++j)
        if (auto s = options.pcap->write({(*bufs)[j], lengths[j]}, now_ns(CLOCK_REALTIME)); !s)
          return s.failure();
    if (options.progress && last_commit >= next_progress) {
      next_progress = last_commit + 500000000u;
      const double secs = static_cast<double>(last_commit - start) / 1e9;
      std::fprintf(stderr, "\rsent %llu/%llu windows (%.0f pkt/s)",
                   static_cast<unsigned long long>(st.sent), static_cast<unsigned long long>(count),
                   static_cast<double>(done) / secs);
      if (options.received)
        std::fprintf(stderr, ", received %llu",
                     static_cast<unsigned long long>(options.received->load()));
      std::fflush(stderr);
      printed = true;
    }
  }
  st.seconds = static_cast<double>(last_commit - start) / 1e9;
  // The frames after the first batch, over the time from the first batch to the last.
  if (done > first_batch && last_commit > first_commit)
    st.achieved_pps = static_cast<double>(done - first_batch) * 1e9 /
                      static_cast<double>(last_commit - first_commit);
  else if (st.seconds > 0)
    st.achieved_pps = static_cast<double>(done) / st.seconds;
  if (printed) std::fprintf(stderr, "\r\033[K");
  // The frames have left; their buffers come back with the completions (AF_XDP).
  if (auto d = sender.drain(1.0); !d) return d.failure();
  st.counters = sender.counters();
  st.retries = st.counters.retries;
  if (const auto after = read_device_counters(sender.device()); after && device_before)
    st.device = *after - *device_before;
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
  std::optional<ForeignTally> foreign;
  if (options.foreign) foreign.emplace(series.format(), Endpoints{}, *options.foreign);
  RecvResult r;
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
    auto batch = socket.receive_many(50);
    if (!batch) return batch.failure();
    if (batch->empty()) continue;
    const uint64_t t = now_ns(CLOCK_MONOTONIC);
    for (const auto& f : *batch) {
      const auto bytes = f.data;
      const auto frame = parse_frame(series.format(), bytes);
      if (!frame) {
        // Not ours: foreign traffic when it is counted (the socket filter lets nothing else in).
        if (!foreign) continue;
        const auto k = foreign_index(bytes);
        if (!k) continue;
        last = t;
        foreign->add(*k, bytes);
        if (options.pcap)
          if (auto s = options.pcap->write(bytes, now_ns(CLOCK_REALTIME)); !s) return s.failure();
        continue;
      }
      last = t;
      if (!first_frame) first_frame = last;
      last_frame = last;
      if (options.pcap)
        if (auto s = options.pcap->write(bytes, now_ns(CLOCK_REALTIME)); !s) return s.failure();
      tally.add(classify(series, *frame));
      if (!linger_until && tally.complete()) linger_until = last + 100000000u;
    }
    if (options.received) options.received->store(tally.received());
  }
  r.summary = tally.summary();
  r.judged = tally.judged();
  r.seconds = first_frame ? static_cast<double>(last_frame - first_frame) / 1e9 : 0;
  r.socket = socket.stats();
  if (foreign) r.foreign = foreign->summary();
  return r;
}

} // namespace xdpml::packetgen
