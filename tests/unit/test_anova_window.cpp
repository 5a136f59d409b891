// `compile anova --window N`: two windows of N samples per packet instead of the report's 8 + 8.
// The references take the window size from the number of samples they are given; these tests
// check them against each other (decide_exact against the independent decimal evaluator), the
// compiler's sum limits against the reference's, and the compiled programs against decide_exact
// through the kernel (BPF_PROG_TEST_RUN, a fresh packet per run) for every supported N.
#include "bpf/kernel.hpp"
#include "compiler/anova/compile.hpp"
#include "compiler/anova/reference.hpp"
#include "test_support.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <random>

using namespace xdpml;
using namespace xdpml::anova;

namespace {

constexpr uint32_t kWindows[] = {2, 4, 8, 16, 32, 64};

AnovaSpec spec_of(uint32_t window, InputFormat input, const char* eps, uint32_t scale) {
  AnovaSpec spec;
  spec.window = window;
  spec.input = input;
  spec.epsilon = *Rational::parse(eps);
  spec.epsilon_text = eps;
  spec.scale = scale;
  return spec;
}

struct Loaded {
  compiler::CompiledModel model;
  bpf::LoadedProgram prog;
};

Loaded compile_and_load(const AnovaSpec& spec) {
  auto m = compile_anova(spec, {});
  INFO((m ? "" : m.diagnostics().render()));
  REQUIRE(m);
  auto p = bpf::load_program(m->program.insns, {});
  INFO((p ? "" : p.diagnostics().render()));
  REQUIRE(p);
  return {std::move(*m), std::move(*p)};
}

// Ethernet + IPv4 + UDP(6666) + magic + tag 0 + the samples (2N of them) + a sequence number.
std::vector<uint8_t> frame(const AnovaSpec& spec, const void* samples) {
  const size_t n = frame_bytes(spec.input, spec.window) + 8;
  std::vector<uint8_t> f(n, 0);
  for (size_t i = 0; i < 6; ++i) f[i] = 0xff;
  f[12] = 0x08;
  f[14] = 0x45;
  f[23] = 17;
  f[36] = kUdpPort >> 8;
  f[37] = kUdpPort & 0xff;
  std::memcpy(&f[kMagicOffset], &kMagic, 8);
  std::memcpy(&f[kDataOffset], samples, 2 * spec.window * data_stride(spec.input));
  return f;
}

uint64_t run(const Loaded& l, const std::vector<uint8_t>& pkt) {
  auto r = bpf::test_run(l.prog.fd.get(), pkt);
  REQUIRE(r);
  REQUIRE(r->retval == 2);
  auto expect_same = pkt;
  std::memcpy(&expect_same[kTagOffset], &r->data_out[kTagOffset], 8);
  REQUIRE(r->data_out == expect_same);
  uint64_t tag = 0;
  std::memcpy(&tag, &r->data_out[kTagOffset], 8);
  return tag;
}

// 2N samples in the regimes that matter: equal, nearly equal, a shift in B, one outlier,
// uniform, extremes, and window A summing to just below / at / above the sum limit.
std::vector<uint32_t> random_samples(std::mt19937_64& rng, uint32_t window) {
  std::vector<uint32_t> x(2 * window);
  const int kind = static_cast<int>(rng() % 8);
  const int bits = std::array<int, 6>{4, 12, 18, 22, 26, 32}[rng() % 6];
  const uint64_t base = rng() & ((uint64_t{1} << bits) - 1);
  const uint64_t limit = sum_limit(static_cast<int>(window));
  for (size_t i = 0; i < x.size(); ++i) {
    uint64_t v = 0;
    switch (kind) {
    case 0:
      v = base;
      break;
    case 1:
      v = base + rng() % 3;
      break;
    case 2:
      v = i < window ? base : base + rng() % 40000;
      break;
    case 3:
      v = base + (rng() % 20000) * (i == window + 1 ? 50 : 1);
      break;
    case 4:
      v = rng() & ((uint64_t{1} << bits) - 1);
      break;
    case 5:
      v = rng() % 2 ? 0xffffffffu : rng() % 1000;
      break;
    default: // A sums to limit + {-2 .. 1}
      v = i < window ? limit / window : base;
      break;
    }
    x[i] = static_cast<uint32_t>(std::min<uint64_t>(v, 0xffffffffu));
  }
  if (kind >= 6) x[0] = static_cast<uint32_t>(x[0] + rng() % 4 - 2);
  return x;
}

} // namespace

TEST_CASE("anova window: the compiler's sum limits are the reference's", "[anova][window]") {
  for (uint32_t n = 1; n <= 80; ++n) {
    INFO("window " << n);
    CHECK(static_cast<bool>(check_window(n)) == window_size_ok(static_cast<int>(n)));
    if (!window_size_ok(static_cast<int>(n))) continue;
    CHECK(static_cast<uint64_t>(window_sum_limit(n)) == sum_limit(static_cast<int>(n)));
    // D = NQ - S^2 < N * limit^2 must fit 63 bits.
    const auto l = static_cast<unsigned __int128>(sum_limit(static_cast<int>(n)));
    CHECK(n * l * l <= (static_cast<unsigned __int128>(1) << 63));
  }
  CHECK(sum_limit(8) == kSumLimit);
  CHECK(sum_limit(16) == uint64_t{1} << 29);
  CHECK(sum_limit(64) == uint64_t{1} << 28);
}

TEST_CASE("anova window: spans of a size that is not 2N for a supported N are invalid",
          "[anova][window]") {
  const auto params = *make_params("0.1", 16384);
  for (size_t size : {0u, 1u, 2u, 3u, 6u, 15u, 17u, 24u, 130u, 256u}) {
    INFO("size " << size);
    const std::vector<uint32_t> x(size, 5);
    CHECK(decide_exact(x, params) == kInvalid);
    const std::vector<double> d(size, 5.0);
    CHECK(decide_double(d, 0.1) == kInvalid);
    const std::vector<std::string> t(size, "5");
    CHECK(decide_rational(t, *Rational::parse("0.1")) == kInvalid);
  }
}

TEST_CASE("anova window: decide_exact equals the decimal reference for every window size",
          "[anova][window]") {
  // On integers given as decimal texts divided by the scale, the two references are independent
  // computations of the same definition: the integer one with N*X - S and the limit, the decimal
  // one on exact rationals.
  std::mt19937_64 rng(5);
  const std::pair<const char*, uint32_t> configs[] = {{"0.1", 100}, {"0.37", 1000}, {"2", 1}};
  size_t checked = 0, splits = 0;
  for (uint32_t n : kWindows)
    for (const auto& [eps, scale] : configs) {
      const auto params = *make_params(eps, scale);
      for (int i = 0; i < 1500; ++i) {
        auto x = random_samples(rng, n);
        uint64_t s = 0;
        for (uint32_t k = 0; k < n; ++k) s += x[k];
        if (s >= sum_limit(static_cast<int>(n))) {
          CHECK(decide_exact(x, params) == kInvalid);
          continue;
        }
        std::vector<std::string> texts;
        for (auto v : x) {
          // v / scale as an exact decimal (scale is 1, 100 or 1000).
          const int digits = scale == 1 ? 0 : scale == 100 ? 2 : 3;
          std::string t = std::to_string(v);
          if (digits) {
            while (t.size() <= static_cast<size_t>(digits)) t = "0" + t;
            t.insert(t.size() - static_cast<size_t>(digits), ".");
          }
          texts.push_back(t);
        }
        const int want = decide_rational(texts, *Rational::parse(eps));
        const int got = decide_exact(x, params);
        if (got != want) {
          std::string w;
          for (const auto& t : texts) w += t + " ";
          FAIL("window " << n << " eps " << eps << " scale " << scale << ": [" << w << "] exact "
                         << got << ", rational " << want);
        }
        ++checked;
        splits += got == kSplit;
      }
    }
  CHECK(checked > 15000);
  CHECK(splits > checked / 20);
}

TEST_CASE("anova window: --window 8 is the report's format, other sizes scale the packet",
          "[anova][window]") {
  for (uint32_t n : kWindows) {
    INFO("window " << n);
    auto m = compile_anova(spec_of(n, InputFormat::U32, "0.1", 16384), {});
    REQUIRE(m);
    const auto& c = m->contract;
    CHECK(c["anova"]["window"] == n);
    CHECK(c["layout"]["samples"] == 2 * n);
    CHECK(c["layout"]["frame_bytes"] == kDataOffset + 8 * n);
    CHECK(c["anova"]["sum_limit"] == sum_limit(static_cast<int>(n)));
  }
  for (uint32_t bad : {0u, 1u, 3u, 12u, 128u}) {
    auto m = compile_anova(spec_of(bad, InputFormat::U32, "0.1", 16384), {});
    REQUIRE_FALSE(m);
    CHECK(m.diagnostics().render().find("power of two from 2 to 64") != std::string::npos);
  }
  // Larger windows lower the limit, so --scale auto picks a coarser scale for the same data.
  std::vector<DataValue> calib;
  for (int i = 0; i < 10; ++i) calib.push_back({std::to_string(1000 + i) + ".5", 1000.5 + i, i});
  const auto c8 = choose_scale(calib, 8), c64 = choose_scale(calib, 64);
  REQUIRE(c8);
  REQUIRE(c64);
  CHECK(c8->scale == 10);
  CHECK(c64->scale == 10);
  CHECK(64 * 1009.5 * c64->scale < static_cast<double>(sum_limit(64)));
  calib.push_back({"3000000.25", 3000000.25, 11});
  const auto big8 = choose_scale(calib, 8), big64 = choose_scale(calib, 64);
  REQUIRE(big8);
  REQUIRE(big64);
  CHECK(big8->scale == 32); // 8 * 3e6 * 32 < 2^30, exact at 100 would need 2.4e9
  CHECK(big64->scale == 1);
  CHECK_FALSE(big64->exact);
}

TEST_CASE("anova window: kernel tags equal decide_exact for every window size (u32)",
          "[anova][window][kernel]") {
  if (testing::no_kernel()) return;
  std::mt19937_64 rng(17);
  const std::pair<const char*, uint32_t> configs[] = {{"0.1", 16384}, {"0.333", 7}};
  size_t total = 0, splits = 0, invalid = 0;
  for (uint32_t n : kWindows) {
    for (const auto& [eps, scale] : configs) {
      for (auto match : {MatchMode::Magic, MatchMode::Full}) {
        auto spec = spec_of(n, InputFormat::U32, eps, scale);
        spec.match = match;
        spec.strict_align = match == MatchMode::Full;
        const auto l = compile_and_load(spec);
        const auto params = *make_params(eps, scale);
        for (int i = 0; i < 1200; ++i) {
          const auto x = random_samples(rng, n);
          const int want = decide_exact(x, params);
          const uint64_t got = run(l, frame(spec, x.data()));
          if (got != static_cast<uint64_t>(want)) {
            std::string w;
            for (auto v : x) w += std::to_string(v) + " ";
            FAIL("window " << n << " eps " << eps << " scale " << scale << ": [" << w << "] kernel "
                           << got << ", reference " << want);
          }
          ++total;
          splits += want == kSplit;
          invalid += want == kInvalid;
        }
      }
    }
  }
  CHECK(total >= 28000);
  CHECK(splits > total / 20);
  CHECK(invalid > total / 50);
}

TEST_CASE("anova window: kernel tags equal decide_exact for every window size (f64)",
          "[anova][window][kernel]") {
  if (testing::no_kernel()) return;
  std::mt19937_64 rng(23);
  size_t total = 0, splits = 0;
  for (uint32_t n : kWindows) {
    for (uint32_t scale : {16384u, 100u}) {
      const auto spec = spec_of(n, InputFormat::F64, "0.25", scale);
      const auto l = compile_and_load(spec);
      const auto params = *make_params("0.25", scale);
      for (int i = 0; i < 800; ++i) {
        std::vector<double> x(2 * n);
        const int kind = static_cast<int>(rng() % 6);
        const double base = static_cast<double>(rng() % 100000) / 100.0;
        const double shift = static_cast<double>(rng() % 64) / 16.0;
        for (size_t k = 0; k < x.size(); ++k) {
          double& v = x[k];
          if (kind == 0)
            v = base;
          else if (kind == 1)
            v = std::bit_cast<double>(rng()); // NaN, Inf, negative, subnormal, huge
          else if (kind == 2 && rng() % 40 == 0)
            v = -0.0;
          else if (kind == 3)
            v = base + (k >= n ? shift : 0) + static_cast<double>(rng() % 8) / 64.0;
          else
            v = base + static_cast<double>(rng() % 400) / 64.0;
        }
        const auto fixed = testing::fixed_samples(x, scale);
        const int want = fixed ? decide_exact(*fixed, params) : kInvalid;
        const uint64_t got = run(l, frame(spec, x.data()));
        if (got != static_cast<uint64_t>(want)) {
          std::string w;
          for (auto v : x) w += std::to_string(std::bit_cast<uint64_t>(v)) + " ";
          FAIL("window " << n << " scale " << scale << ": bits [" << w << "] kernel " << got
                         << ", reference " << want);
        }
        ++total;
        splits += want == kSplit;
      }
    }
  }
  CHECK(total >= 9000);
  CHECK(splits > total / 20);
}

TEST_CASE("anova window: frames shorter than the 2N samples pass untouched",
          "[anova][window][kernel]") {
  if (testing::no_kernel()) return;
  for (uint32_t n : {2u, 16u, 64u}) {
    const auto spec = spec_of(n, InputFormat::U32, "0.1", 16384);
    const auto l = compile_and_load(spec);
    std::vector<uint32_t> x(2 * n);
    for (size_t k = 0; k < x.size(); ++k) x[k] = static_cast<uint32_t>(k * 1000);
    const auto good = frame(spec, x.data());
    for (size_t len = 14; len < frame_bytes(spec.input, n); ++len) {
      const std::vector<uint8_t> pkt(good.begin(), good.begin() + static_cast<long>(len));
      auto r = bpf::test_run(l.prog.fd.get(), pkt);
      REQUIRE(r);
      INFO("window " << n << " length " << len);
      REQUIRE(r->retval == 2);
      REQUIRE(r->data_out == pkt);
    }
    CHECK(run(l, good) == static_cast<uint64_t>(decide_exact(x, *make_params("0.1", 16384))));
  }
}
