#include "measure/roundtrip.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>

namespace xdpml::measure {

using packetgen::parse_frame;
using packetgen::store_le64;

namespace {

// Round trips are counted in TSC ticks, and a TSC may advance in steps of many ticks (26 on the
// AMD EPYC VM this was written on: 10 ns), so samples pile up on a grid. A plain median then
// jumps from one grid point to the next and bootstrap intervals become lumpy. Treating every
// sample as spread evenly over its step (the grouped-data quantile) gives estimates that move
// smoothly with the data; with a step of one tick it is the ordinary quantile.
struct Histogram {
  std::vector<uint64_t> values; // distinct tick counts, ascending
  double step = 1;              // ticks
};

// Quantile q of the pooled counts (counts[i] samples of values[i]); q = 0 gives the minimum.
double grouped_quantile(const Histogram& h, const std::vector<uint64_t>& counts, double q) {
  uint64_t n = 0;
  for (auto c : counts) n += c;
  if (n == 0) return std::nan("");
  if (q <= 0) {
    for (size_t i = 0; i < counts.size(); ++i)
      if (counts[i]) return static_cast<double>(h.values[i]);
  }
  const double target = q * static_cast<double>(n);
  double below = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (!counts[i]) continue;
    const auto c = static_cast<double>(counts[i]);
    if (below + c >= target)
      return static_cast<double>(h.values[i]) - h.step / 2 + h.step * (target - below) / c;
    below += c;
  }
  return static_cast<double>(h.values.back());
}

uint64_t gcd(uint64_t a, uint64_t b) {
  while (b) {
    const uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

} // namespace

void analyse_round_trips(RoundTripResult& r, const RoundTripOptions& o) {
  r.with_checked = r.with_tag_ok = r.with_unprocessed = 0;
  for (const auto& s : r.samples) {
    if (!s.with) continue;
    ++r.with_checked;
    r.with_tag_ok += s.tag_ok;
    r.with_unprocessed += s.tag == 0;
  }
  Histogram h;
  uint64_t g = 0;
  for (const auto& s : r.samples) {
    h.values.push_back(s.cycles);
    g = gcd(g, s.cycles);
  }
  std::sort(h.values.begin(), h.values.end());
  h.values.erase(std::unique(h.values.begin(), h.values.end()), h.values.end());
  // A common divisor of a hundred or more samples is the counter's step, not chance.
  r.tsc_step_ticks = r.samples.size() >= 100 && g > 1 ? g : 1;
  h.step = static_cast<double>(r.tsc_step_ticks);
  const double ns_per_tick = 1e9 / r.tsc.hz;

  const uint32_t pairs = r.batches / 2;
  // Counts per pair and condition, and over everything.
  std::vector<std::vector<uint64_t>> with_c(pairs, std::vector<uint64_t>(h.values.size())),
      without_c(pairs, std::vector<uint64_t>(h.values.size()));
  std::vector<uint64_t> all_with(h.values.size()), all_without(h.values.size());
  double with_max = 0, without_max = 0;
  size_t with_n = 0, without_n = 0;
  for (const auto& s : r.samples) {
    const auto i = static_cast<size_t>(
        std::lower_bound(h.values.begin(), h.values.end(), s.cycles) - h.values.begin());
    const uint32_t p = s.batch / 2;
    if (s.with) {
      ++all_with[i];
      ++with_n;
      with_max = std::max(with_max, s.ns);
      if (p < pairs) ++with_c[p][i];
    } else {
      ++all_without[i];
      ++without_n;
      without_max = std::max(without_max, s.ns);
      if (p < pairs) ++without_c[p][i];
    }
  }
  auto summary = [&](const std::vector<uint64_t>& c, size_t n, double max) {
    Summary s;
    s.n = n;
    if (!n) return s;
    s.min = grouped_quantile(h, c, 0) * ns_per_tick;
    s.median = grouped_quantile(h, c, 0.5) * ns_per_tick;
    s.p99 = grouped_quantile(h, c, 0.99) * ns_per_tick;
    s.max = max;
    return s;
  };
  r.with = summary(all_with, with_n, with_max);
  r.without = summary(all_without, without_n, without_max);
  r.d_min.value = r.with.min - r.without.min;
  r.d_median.value = r.with.median - r.without.median;
  r.d_p99.value = r.with.p99 - r.without.p99;
  if (pairs == 0) return;
  // Bootstrap over batch pairs: the pooled counts of the pairs drawn.
  std::vector<uint64_t> pw(h.values.size()), po(h.values.size());
  auto diff = [&](double q) {
    return [&, q](std::span<const size_t> idx) {
      std::fill(pw.begin(), pw.end(), 0);
      std::fill(po.begin(), po.end(), 0);
      for (size_t k : idx)
        for (size_t i = 0; i < h.values.size(); ++i) {
          pw[i] += with_c[k][i];
          po[i] += without_c[k][i];
        }
      return (grouped_quantile(h, pw, q) - grouped_quantile(h, po, q)) * ns_per_tick;
    };
  };
  r.d_min.ci = bootstrap_ci(pairs, diff(0), o.confidence, o.bootstrap_reps);
  r.d_median.ci = bootstrap_ci(pairs, diff(0.5), o.confidence, o.bootstrap_reps);
  r.d_p99.ci = bootstrap_ci(pairs, diff(0.99), o.confidence, o.bootstrap_reps);
}

Result<RoundTripResult> run_round_trips(packetgen::FrameSender& tx, packetgen::RawSocket& rx,
                                        const packetgen::WireFormat& format,
                                        const std::vector<RoundTripFrame>& frames,
                                        const SwitchFn& switch_to, const TscCalibration& tsc,
                                        const RoundTripOptions& o) {
  if (frames.empty()) return fail("no frames to send");
  if (o.batch == 0) return fail("--batch must be positive");
  RoundTripResult r;
  r.tsc = tsc;
  const uint64_t per_pair = 2ull * o.batch;
  const auto pairs = static_cast<uint32_t>(std::max<uint64_t>(1, o.count / per_pair));
  const uint32_t seq_off = format.seq_offset();
  std::vector<uint8_t> frame, buf(4096);
  uint64_t seq = 1ull << 40; // far from window indices, so stale frames of `verify` never match
  size_t next = 0;           // frames are used round-robin

  // Sends one frame and waits for it on rx; returns the TSC ticks, or nullopt when lost.
  int64_t result = 0; // the received frame's result field (networks), for the check below
  auto round_trip = [&](const RoundTripFrame& f, uint64_t* tag) -> Result<std::optional<uint64_t>> {
    frame = f.frame;
    if (frame.size() >= seq_off + 8) store_le64(&frame[seq_off], ++seq);
    const uint64_t t0 = read_tsc();
    if (auto st = tx.send_one(frame); !st) return st.failure();
    for (;;) {
      auto n = rx.receive(buf, o.timeout_ms);
      if (!n) return n.failure();
      if (*n == 0) return std::optional<uint64_t>{}; // timeout or signal
      const uint64_t t1 = read_tsc();
      const auto parsed =
          parse_frame(format, std::span<const uint8_t>(buf.data(), std::min(*n, buf.size())));
      if (!parsed || !parsed->complete || parsed->seq != seq) continue; // stale or foreign
      *tag = parsed->tag;
      result = 0;
      if (parsed->result_bytes.size() >= 4) {
        uint32_t r = 0;
        for (int k = 3; k >= 0; --k) r = (r << 8) | parsed->result_bytes[static_cast<size_t>(k)];
        result = static_cast<int32_t>(r);
      }
      return std::optional<uint64_t>(t1 - t0);
    }
  };

  // A whole untimed batch first: otherwise the first timed batch runs on a cold path (with a
  // fixed order that was always WITH: +1.3 ns on average in A/A runs).
  if (auto st = switch_to(true, 0); !st) return st.failure();
  for (uint32_t w = 0; w < std::max(o.batch, o.warmup); ++w) {
    uint64_t tag = 0;
    auto t = round_trip(frames[next++ % frames.size()], &tag);
    if (!t) return t.failure();
  }
  const uint32_t batches = 2 * pairs;
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<int> coin(0, 1);
  bool with_first = true;
  for (uint32_t b = 0; b < batches; ++b) {
    if (o.stop && o.stop->load()) {
      r.interrupted = true;
      break;
    }
    // Pair k runs (with, without) or (without, with), in an order drawn at random: a fixed
    // ABBA pattern aliased with periodic activity of the machine (A/A runs came out biased by
    // a few ns), while a random order turns any such structure into noise between pairs,
    // which the bootstrap over pairs then covers.
    if (b % 2 == 0) with_first = coin(rng) != 0;
    const bool with = (b % 2 == 0) == with_first;
    if (auto st = switch_to(with, b / 2); !st) return st.failure();
    if (o.progress)
      std::cerr << "\rmeasure: batch " << (b + 1) << "/" << batches
                << (with ? " with   " : " without") << std::flush;
    uint64_t tag = 0;
    for (uint32_t w = 0; w < o.warmup; ++w) {
      auto t = round_trip(frames[next++ % frames.size()], &tag);
      if (!t) return t.failure();
    }
    for (uint32_t i = 0; i < o.batch; ++i) {
      const auto& f = frames[next++ % frames.size()];
      auto t = round_trip(f, &tag);
      if (!t) return t.failure();
      if (!*t) {
        ++r.lost;
        if (o.stop && o.stop->load()) break;
        continue;
      }
      RoundTripSample s;
      s.batch = b;
      s.with = with;
      s.window = f.window;
      s.cycles = **t;
      s.ns = static_cast<double>(s.cycles) * 1e9 / tsc.hz;
      s.tag = tag;
      const bool result_ok = !with || !f.expected_result || result == *f.expected_result;
      s.tag_ok = (!with || !f.expected_tag || tag == *f.expected_tag) && result_ok;
      if (!s.tag_ok && r.mismatches.size() < 5) {
        r.mismatches.push_back(
            "window " + std::to_string(f.window) + ": tag " + std::to_string(tag) +
            (f.expected_tag ? ", expected " + std::to_string(*f.expected_tag) : "") +
            (result_ok ? ""
                       : "; result " + std::to_string(result) + ", expected " +
                             std::to_string(*f.expected_result)));
      }
      r.samples.push_back(s);
    }
    r.batches = b + 1;
  }
  if (o.progress) std::cerr << "\r\033[K" << std::flush;
  // Only whole pairs enter the comparison.
  r.batches -= r.batches % 2;
  std::erase_if(r.samples, [&](const RoundTripSample& s) { return s.batch >= r.batches; });
  analyse_round_trips(r, o);
  return r;
}

} // namespace xdpml::measure
