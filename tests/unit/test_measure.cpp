// measure/: statistics, the round-trip analysis, the SVG writer, and - through the kernel - that
// `bench` times the real compute path (not the early exit a naive repeated test run takes), that
// the ANOVA object's timed runs leave the expected tags, and that the hand-written assembly of
// benchmarks/ computes exactly the compiled program's tags.
#include "bpf/builder.hpp"
#include "bpf/kernel.hpp"
#include "compiler/anova/compile.hpp"
#include "compiler/anova/reference.hpp"
#include "measure/bench.hpp"
#include "measure/plot.hpp"
#include "measure/roundtrip.hpp"
#include "measure/stats.hpp"
#include "packetgen/series.hpp"
#include "packetgen/wire.hpp"
#include "support/datafile.hpp"
#include "test_support.hpp"

#include <linux/bpf.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

using namespace xdpml;
using namespace xdpml::measure;

namespace {

// An ANOVA-format frame (magic, tag 0, 16 u32 samples, sequence number).
std::vector<uint8_t> anova_frame(const std::array<uint32_t, 16>& x) {
  auto f = packetgen::wire_format_osh("osh-u32", 16384, "0.1");
  REQUIRE(f);
  std::vector<uint8_t> samples(64);
  std::memcpy(samples.data(), x.data(), 64);
  return packetgen::build_frame(*f, {}, samples, 0);
}

// A program that matches the ANOVA wire format and takes the usual early exit when the tag is
// set; otherwise it does `work` dependent divisions on a loaded sample before writing tag 2 (the
// xor keeps the dividend near 2^30, so every division does full work). With work = 0 it is the
// same program without the work.
bpf::LoadedProgram padded_program(int work) {
  using namespace bpf;
  Builder b;
  const Label pass = b.new_label();
  b.load(MemSize::W, r2, r1, 0);
  b.load(MemSize::W, r3, r1, 4);
  b.mov(w0, 2);
  b.mov(r4, r2);
  b.add(r4, 122);
  b.jgt(r4, r3, pass);
  b.load(MemSize::DW, r5, r2, 50); // the tag: set means "not mine" (the early exit)
  b.jne(r5, 0, pass);
  b.load(MemSize::W, r5, r2, 58);
  for (int i = 0; i < work; ++i) {
    b.div(r5, 3);
    b.xor_(r5, 0x3fffffff);
  }
  b.store(MemSize::W, r10, -8, r5); // keeps the chain alive for a reader of the code
  b.store_imm(MemSize::B, r2, 50, 2);
  b.bind(pass);
  b.exit();
  auto out = b.finish();
  REQUIRE(out);
  LoadOptions lo;
  lo.name = work ? "padded" : "unpadded";
  auto p = load_program(out->insns, lo);
  INFO((p ? "" : p.diagnostics().render()));
  REQUIRE(p);
  return std::move(*p);
}

BenchTarget target_of(const std::string& name, const bpf::LoadedProgram& p,
                      const std::vector<std::vector<uint8_t>>& packets,
                      std::vector<std::optional<uint64_t>> tags) {
  BenchTarget t;
  t.name = name;
  t.fds = {p.fd.get()};
  t.xlated_insns = p.xlated_insns;
  t.jited_bytes = p.jited_bytes;
  t.packets = packets;
  for (size_t i = 0; i < packets.size(); ++i) t.windows.push_back(i);
  t.expected_tag = std::move(tags);
  return t;
}

} // namespace

// ---- statistics ------------------------------------------------------------------------------

TEST_CASE("measure stats: quantiles interpolate between order statistics", "[measure]") {
  const std::vector<double> v = {5, 1, 4, 2, 3};
  CHECK(median(v) == 3);
  CHECK(quantile(v, 0) == 1);
  CHECK(quantile(v, 1) == 5);
  CHECK(quantile(v, 0.25) == 2);
  CHECK(quantile(std::vector<double>{1, 2}, 0.5) == 1.5);
  CHECK(std::isnan(median(std::vector<double>{})));
  const auto s = summarize(v);
  CHECK(s.n == 5);
  CHECK(s.min == 1);
  CHECK(s.max == 5);
  CHECK(s.p99 == Approx(4.96));
}

TEST_CASE("measure stats: the median's order-statistic interval", "[measure]") {
  std::vector<double> v;
  for (int i = 1; i <= 31; ++i) v.push_back(i);
  // n = 31 at 95 %: x(10) .. x(22) (1-based), coverage 97.1 %; x(11) .. x(21) covers only 94.1 %.
  auto ci = median_ci(v, 0.95);
  CHECK(ci.lo == 10);
  CHECK(ci.hi == 22);
  // Too few samples for 95 %: the whole range.
  ci = median_ci(std::vector<double>{3, 1, 2, 4, 5}, 0.95);
  CHECK(ci.lo == 1);
  CHECK(ci.hi == 5);
  // Coverage in simulation: about 95 % (at least 93 %) of intervals contain the true median.
  std::mt19937_64 rng(3);
  std::exponential_distribution<double> e(1.0);
  const double true_median = std::log(2.0);
  int covered = 0;
  for (int k = 0; k < 2000; ++k) {
    std::vector<double> x(41);
    for (auto& y : x) y = e(rng);
    covered += median_ci(x, 0.95).contains(true_median);
  }
  CHECK(covered > 1860);
}

TEST_CASE("measure stats: the bootstrap is reproducible and brackets the estimate", "[measure]") {
  std::vector<double> v;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> n(100, 10);
  for (int i = 0; i < 200; ++i) v.push_back(n(rng));
  auto stat = [&](std::span<const size_t> idx) {
    std::vector<double> s;
    for (auto i : idx) s.push_back(v[i]);
    return median(s);
  };
  const auto a = bootstrap_ci(v.size(), stat);
  const auto b = bootstrap_ci(v.size(), stat);
  CHECK(a.lo == b.lo);
  CHECK(a.hi == b.hi);
  CHECK(a.contains(median(v)));
  CHECK(a.hi - a.lo < 6); // ~1.25 sigma/sqrt(n) * 2 * 1.96 = 3.5
  CHECK(a.lo > 95);
}

// ---- round-trip analysis ---------------------------------------------------------------------

namespace {

RoundTripResult synthetic_round_trips(double shift_ticks, uint64_t step, uint64_t seed) {
  RoundTripResult r;
  r.tsc.hz = 2.6e9;
  r.batches = 100;
  std::mt19937_64 rng(seed);
  std::gamma_distribution<double> g(4.0, 100.0);
  for (uint32_t b = 0; b < r.batches; ++b) {
    const bool with = ((b / 2) % 2 == 0) == (b % 2 == 0);
    for (int i = 0; i < 100; ++i) {
      RoundTripSample s;
      s.batch = b;
      s.with = with;
      const double t = 7800 + g(rng) + (with ? shift_ticks : 0);
      s.cycles = static_cast<uint64_t>(std::floor(t / static_cast<double>(step))) * step;
      s.ns = static_cast<double>(s.cycles) * 1e9 / r.tsc.hz;
      r.samples.push_back(s);
    }
  }
  return r;
}

} // namespace

TEST_CASE("measure round trips: a real difference is resolved, none is not", "[measure]") {
  RoundTripOptions o;
  // 260 ticks = 100 ns at 2.6 GHz, on a TSC that advances in steps of 26 ticks (10 ns).
  auto r = synthetic_round_trips(260, 26, 1);
  analyse_round_trips(r, o);
  CHECK(r.tsc_step_ticks == 26);
  CHECK(r.d_median.resolved());
  CHECK(r.d_median.value == Approx(100).margin(8));
  CHECK(r.d_median.ci.contains(100));
  CHECK(r.with.n == 5000);
  CHECK(r.without.n == 5000);
  CHECK(r.with.min <= r.with.median);
  CHECK(r.with.median <= r.with.p99);

  // No difference: over many seeds the 95 % interval includes 0 nearly always.
  int unresolved = 0;
  for (uint64_t seed = 10; seed < 50; ++seed) {
    auto z = synthetic_round_trips(0, 26, seed);
    analyse_round_trips(z, o);
    unresolved += !z.d_median.resolved();
  }
  CHECK(unresolved >= 34); // nominal 38 of 40; the bootstrap is approximate
}

TEST_CASE("measure round trips: quantiles interpolate within the counter's step", "[measure]") {
  // Every sample on one grid point: the median is that point, not a neighbour.
  RoundTripResult r;
  r.tsc.hz = 1e9;
  r.batches = 2;
  for (uint32_t b = 0; b < 2; ++b)
    for (int i = 0; i < 100; ++i) {
      RoundTripSample s;
      s.batch = b;
      s.with = b == 0;
      s.cycles = b == 0 ? 1000 : 900;
      s.ns = static_cast<double>(s.cycles);
      r.samples.push_back(s);
    }
  analyse_round_trips(r, {});
  CHECK(r.tsc_step_ticks == 100);
  CHECK(r.with.median == Approx(1000));
  CHECK(r.without.median == Approx(900));
  CHECK(r.d_median.value == Approx(100));
  CHECK(r.d_min.value == Approx(100));
}

// ---- plots -----------------------------------------------------------------------------------

TEST_CASE("measure plot: the histogram is a self-contained SVG", "[measure]") {
  std::vector<double> a, b;
  for (int i = 0; i < 1000; ++i) {
    a.push_back(3000 + i % 97);
    b.push_back(3200 + i % 89);
  }
  HistogramOptions o;
  o.title = "a <title> & more";
  const auto svg = histogram_svg({{"without", "#1f77b4", a}, {"with", "#d62728", b}}, o);
  CHECK(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(svg.find("a &lt;title&gt; &amp; more") != std::string::npos);
  CHECK(svg.find("nan") == std::string::npos);
  CHECK(svg.find("inf") == std::string::npos);
  CHECK(std::count(svg.begin(), svg.end(), '\n') > 50); // bars, ticks, legend
  const auto empty = histogram_svg({{"x", "red", {}}}, o);
  CHECK(empty.find("no samples") != std::string::npos);
}

// ---- bench through the kernel ----------------------------------------------------------------

TEST_CASE("measure bench: the wrapper's layout", "[measure]") {
  const auto w = wrapper_code(7, 50, 8, kRunsPerRepeat);
  REQUIRE(w.code.size() % 8 == 0);
  const size_t n = w.code.size() / 8;
  // main: mov, 32 x (mov, call, jeq), exit; then the subprogram.
  CHECK(w.subprog_insn == 1 + 3 * kRunsPerRepeat + 1);
  int calls = 0;
  for (size_t i = 0; i < w.subprog_insn; ++i) {
    bpf_insn insn;
    std::memcpy(&insn, &w.code[i * 8], 8);
    if (insn.code == (BPF_JMP | BPF_CALL) && insn.src_reg == BPF_PSEUDO_CALL) {
      ++calls;
      CHECK(static_cast<size_t>(static_cast<int64_t>(i) + 1 + insn.imm) == w.subprog_insn);
    }
  }
  CHECK(calls == kRunsPerRepeat);
  CHECK(n > w.subprog_insn + 8);
}

TEST_CASE("measure bench: the full path is timed, not the early exit", "[measure][kernel]") {
  if (testing::no_kernel()) return;
  // 300 dependent divisions after the tag check: thousands of cycles of latency. If bench timed
  // the early exit (as a naive repeated run does from its second repeat on), the padded program
  // would cost what the unpadded one costs.
  const auto padded = padded_program(300);
  const auto plain = padded_program(0);
  std::vector<std::vector<uint8_t>> packets;
  std::vector<std::optional<uint64_t>> tags;
  for (uint32_t k = 0; k < 5; ++k) {
    std::array<uint32_t, 16> x{};
    for (uint32_t i = 0; i < 16; ++i) x[i] = 1000 * k + i;
    packets.push_back(anova_frame(x));
    tags.push_back(2);
  }
  BenchOptions o;
  o.runs = 15;
  o.run_ms = 2;
  auto r = run_bench(
      {target_of("plain", plain, packets, tags), target_of("padded", padded, packets, tags)}, o);
  INFO((r ? "" : r.diagnostics().render()));
  REQUIRE(r);
  const auto& p = r->targets[0];
  const auto& q = r->targets[1];
  INFO("plain net " << p.net_median << " [" << p.net_ci.lo << ", " << p.net_ci.hi
                    << "], padded net " << q.net_median << " [" << q.net_ci.lo << ", "
                    << q.net_ci.hi << "], naive padded " << q.naive_ns << ", floor "
                    << r->floor_median);
  CHECK(r->tags_ok());
  CHECK(p.checked == 15);
  CHECK(q.tags_ok == 15);
  // The work shows: at least 300 ns (300 dependent 64-bit divisions cannot take less than 3
  // cycles each on any CPU that runs this), with intervals far apart.
  CHECK(q.net_median - p.net_median > 300);
  CHECK(q.net_ci.lo > p.net_ci.hi + 150);
  // And a naive repeated run of the padded program reports less than its full path costs:
  // the pitfall this design avoids.
  CHECK(q.naive_ns < q.median);
  REQUIRE(q.ratio);
  CHECK(*q.ratio > 3);
}

TEST_CASE("measure bench: the ANOVA object's timed runs leave the expected tags",
          "[measure][kernel]") {
  if (testing::no_kernel()) return;
  auto m = anova::compile_anova({}, {});
  REQUIRE(m);
  auto p = bpf::load_program(m->program.insns);
  INFO((p ? "" : p.diagnostics().render()));
  REQUIRE(p);
  auto format = packetgen::wire_format_from_contract(m->contract, "<compiled>");
  REQUIRE(format);
  auto values = read_data_file(testing::source_path("examples/prices.txt"));
  REQUIRE(values);
  auto series = packetgen::Series::make(*format, *values, "prices.txt");
  REQUIRE(series);
  auto tags = packetgen::expected_tags(*series, packetgen::Reference::Exact);
  REQUIRE(tags);
  std::vector<std::vector<uint8_t>> packets;
  std::vector<std::optional<uint64_t>> expected;
  // Ten windows of each outcome, spread over the data.
  size_t splits = 0, nosplits = 0;
  for (size_t w = 0; w < series->windows(); w += 7) {
    const uint8_t tag = tags->tags[w];
    if ((tag == 1 && splits == 10) || (tag == 2 && nosplits == 10) || tag == 3) continue;
    packets.push_back(packetgen::build_frame(*format, {}, series->window_bytes(w), w));
    expected.push_back(tag);
    (tag == 1 ? splits : nosplits)++;
  }
  REQUIRE(splits == 10);
  REQUIRE(nosplits == 10);
  BenchOptions o;
  o.runs = static_cast<int>(packets.size());
  o.run_ms = 1;
  auto r = run_bench({target_of("anova", *p, packets, expected)}, o);
  INFO((r ? "" : r.diagnostics().render()));
  REQUIRE(r);
  const auto& t = r->targets[0];
  for (const auto& mm : t.mismatches) INFO(mm);
  CHECK(r->tags_ok());
  CHECK(t.tags_ok == packets.size());
  CHECK(t.tag_counts[0] == 0); // no timed run left the tag unset
  CHECK(t.tag_counts[1] == splits);
  CHECK(t.tag_counts[2] == packets.size() - splits);
  CHECK(t.net_median > 0);

  // A program that writes a wrong tag is caught.
  auto wrong = anova::compile_anova(
      [] {
        anova::AnovaSpec s;
        s.epsilon = *anova::Rational::parse("0.5");
        s.epsilon_text = "0.5";
        return s;
      }(),
      {});
  REQUIRE(wrong);
  auto wp = bpf::load_program(wrong->program.insns);
  REQUIRE(wp);
  auto r2 = run_bench({target_of("anova eps 0.5", *wp, packets, expected)}, o);
  REQUIRE(r2);
  CHECK_FALSE(r2->tags_ok());
  CHECK_FALSE(r2->targets[0].mismatches.empty());
}

TEST_CASE("benchmarks/anova_u32_hand.s computes the compiled program's tags", "[measure][kernel]") {
  if (testing::no_kernel()) return;
  std::ifstream in(testing::source_path("benchmarks/anova_u32_hand.s"));
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  auto obj = assembler::assemble(text.str(), {"benchmarks/anova_u32_hand.s"});
  INFO((obj ? "" : obj.diagnostics().render()));
  REQUIRE(obj);
  const int sec = obj->find_section("xdp");
  REQUIRE(sec >= 0);
  auto hand = bpf::load_program(obj->sections[static_cast<size_t>(sec)].data);
  INFO((hand ? "" : hand.diagnostics().render()));
  REQUIRE(hand);
  auto compiled_model = anova::compile_anova({}, {});
  REQUIRE(compiled_model);
  auto compiled = bpf::load_program(compiled_model->program.insns);
  REQUIRE(compiled);
  const auto params = *anova::make_params("0.1", 16384);

  auto run = [](const bpf::LoadedProgram& p, const std::vector<uint8_t>& pkt) {
    auto r = bpf::test_run(p.fd.get(), pkt);
    REQUIRE(r);
    REQUIRE(r->retval == 2);
    return r->data_out;
  };
  std::mt19937_64 rng(2024);
  size_t n = 0, splits = 0, invalid = 0;
  for (int i = 0; i < 100000; ++i) {
    std::array<uint32_t, 16> x{};
    const int kind = static_cast<int>(rng() % 6);
    const uint64_t base = rng() % (kind == 5 ? (1u << 31) : (1u << 24));
    for (auto& v : x) {
      switch (kind) {
      case 0:
        v = static_cast<uint32_t>(base);
        break;
      case 1:
        v = static_cast<uint32_t>(base + rng() % 3000); // low variance: window B decides
        break;
      case 2:
        v = static_cast<uint32_t>(base + rng() % 60000);
        break;
      case 3:
        v = static_cast<uint32_t>(rng()); // anything, mostly invalid
        break;
      case 4:
        v = static_cast<uint32_t>((&v - x.data()) < 8 ? base : base + rng() % 40000);
        break;
      default:
        v = static_cast<uint32_t>(base >> 3);
        break;
      }
    }
    const auto pkt = anova_frame(x);
    const auto a = run(*hand, pkt);
    const auto b = run(*compiled, pkt);
    const int want = anova::decide_exact(x, params);
    if (a != b || a[50] != want) {
      std::string w;
      for (auto v : x) w += std::to_string(v) + " ";
      FAIL("window [" << w << "]: hand tag " << int(a[50]) << ", compiled " << int(b[50])
                      << ", reference " << want);
    }
    ++n;
    splits += want == anova::kSplit;
    invalid += want == anova::kInvalid;
  }
  CHECK(n == 100000);
  CHECK(splits > 1000);
  CHECK(invalid > 1000);

  // Frames that are not ours pass untouched: short, wrong magic, tag already set.
  std::array<uint32_t, 16> x{};
  auto pkt = anova_frame(x);
  for (auto mutate : {0, 1, 2}) {
    auto f = pkt;
    if (mutate == 0) f.resize(100);
    if (mutate == 1) f[42] ^= 1;
    if (mutate == 2) f[57] = 1;
    auto r = bpf::test_run(hand->fd.get(), f);
    REQUIRE(r);
    CHECK(r->retval == 2);
    CHECK(r->data_out == f);
  }
}
