// Differential tests of the compiled ANOVA segmenter through the kernel: BPF_PROG_TEST_RUN on
// the real compute path (a fresh packet per run, since a repeated run would see its own tag),
// tags compared with the bit-exact reference (compiler/anova/reference.hpp).
#include "bpf/kernel.hpp"
#include "compiler/anova/compile.hpp"
#include "compiler/anova/reference.hpp"
#include "test_support.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace xdpml;
using namespace xdpml::anova;

namespace {

struct Loaded {
  compiler::CompiledModel model;
  bpf::LoadedProgram prog;
};

Loaded compile_and_load(const AnovaSpec& spec, bool strict_flag = false,
                        compiler::Target target = compiler::Target::Kernel) {
  compiler::CompileOptions options;
  options.target = target; // --target nfp checks its own output (compile_function)
  auto m = compile_anova(spec, options);
  INFO((m ? "" : m.diagnostics().render()));
  REQUIRE(m);
  bpf::LoadOptions lo;
  lo.prog_flags = strict_flag ? 1u /* BPF_F_STRICT_ALIGNMENT */ : 0u;
  auto p = bpf::load_program(m->program.insns, lo);
  INFO((p ? "" : p.diagnostics().render()));
  REQUIRE(p);
  return {std::move(*m), std::move(*p)};
}

// Ethernet + IPv4 + UDP(6666) + magic + tag + 16 samples + 8-byte sequence number.
std::vector<uint8_t> frame(InputFormat fmt, const void* samples, uint64_t tag = 0) {
  const size_t n = frame_bytes(fmt) + 8;
  std::vector<uint8_t> f(n, 0);
  for (int i = 0; i < 6; ++i) f[static_cast<size_t>(i)] = 0xff;
  f[6] = 0x02;
  f[12] = 0x08;
  f[13] = 0x00;
  f[14] = 0x45;
  const uint16_t ip_len = static_cast<uint16_t>(n - 14);
  f[16] = static_cast<uint8_t>(ip_len >> 8);
  f[17] = static_cast<uint8_t>(ip_len);
  f[22] = 64;
  f[23] = 17;
  f[36] = kUdpPort >> 8;
  f[37] = kUdpPort & 0xff;
  const uint16_t udp_len = static_cast<uint16_t>(n - 34);
  f[38] = static_cast<uint8_t>(udp_len >> 8);
  f[39] = static_cast<uint8_t>(udp_len);
  std::memcpy(&f[kMagicOffset], &kMagic, 8);
  std::memcpy(&f[kTagOffset], &tag, 8);
  std::memcpy(&f[kDataOffset], samples, 16 * data_stride(fmt));
  return f;
}

uint64_t tag_of(const std::vector<uint8_t>& f) {
  uint64_t t = 0;
  std::memcpy(&t, &f[kTagOffset], 8);
  return t;
}

// Runs one window; checks that only the tag changed and the verdict is XDP_PASS.
uint64_t run(const Loaded& l, const std::vector<uint8_t>& pkt) {
  auto r = bpf::test_run(l.prog.fd.get(), pkt);
  REQUIRE(r);
  REQUIRE(r->retval == 2);
  REQUIRE(r->data_out.size() == pkt.size());
  auto expect_same = pkt;
  std::memcpy(&expect_same[kTagOffset], &r->data_out[kTagOffset], 8);
  REQUIRE(r->data_out == expect_same);
  return tag_of(r->data_out);
}

// Random windows that exercise every regime: tiny and huge values, equal windows, near ties.
std::array<uint32_t, 16> random_window(std::mt19937_64& rng) {
  std::array<uint32_t, 16> x{};
  const int kind = static_cast<int>(rng() % 8);
  const int bits = std::array<int, 8>{4, 10, 16, 20, 24, 27, 28, 32}[rng() % 8];
  const uint64_t base = rng() & ((uint64_t{1} << bits) - 1);
  for (int i = 0; i < 16; ++i) {
    uint64_t v;
    switch (kind) {
    case 0:
      v = base;
      break; // all equal
    case 1:
      v = base + (rng() % 3);
      break; // nearly equal
    case 2:
      v = (i < 8 ? base : base + (rng() % 40000));
      break; // shift in B
    case 3:
      v = rng() & ((uint64_t{1} << bits) - 1);
      break; // uniform
    case 4:
      v = base + (rng() % 20000) * (i == 12 ? 50 : 1);
      break; // one outlier
    case 5:
      v = (rng() % 2) ? 0xffffffffu : rng() % 1000;
      break; // extremes in B
    default:
      v = base + static_cast<uint64_t>(
                     std::abs(static_cast<double>(std::normal_distribution<double>(0, 3000)(rng))));
      break;
    }
    x[static_cast<size_t>(i)] = static_cast<uint32_t>(std::min<uint64_t>(v, 0xffffffffu));
  }
  return x;
}

// Random f64 windows: equal values, any bit pattern (NaN, Inf, negative, subnormal, huge),
// prices with two decimals, dyadic fractions, -0.0, powers of two over 60 binades.
std::array<double, 16> random_f64_window(std::mt19937_64& rng) {
  std::array<double, 16> x{};
  const int kind = static_cast<int>(rng() % 10);
  const double base =
      std::ldexp(static_cast<double>(rng() % 100000), -static_cast<int>(rng() % 20));
  for (auto& v : x) {
    switch (kind) {
    case 0:
      v = base;
      break;
    case 1:
      v = std::bit_cast<double>(rng());
      break; // any bit pattern: NaN, Inf, negative, subnormal
    case 2:
      v = static_cast<double>(rng() % 100000) / 100.0;
      break;
    case 3:
      v = base + std::ldexp(static_cast<double>(rng() % 1000), -12);
      break;
    case 4:
      v = (rng() % 50 == 0) ? -0.0 : base * (1 + static_cast<double>(rng() % 100) / 1000);
      break;
    case 5:
      v = std::ldexp(1.0, static_cast<int>(rng() % 60) - 30) * static_cast<double>(rng() % 7);
      break;
    default:
      v = base + static_cast<double>(rng() % 4000) / 16384.0;
      break;
    }
  }
  return x;
}

} // namespace

TEST_CASE("anova u32: kernel tags equal the bit-exact reference on 100,000+ random windows",
          "[anova][kernel]") {
  if (testing::no_kernel()) return;
  struct Config {
    const char* eps;
    uint32_t scale;
    MatchMode match;
    bool strict;
  };
  const Config configs[] = {
      {"0.1", 16384, MatchMode::Magic, false}, {"0.1", 100, MatchMode::Full, false},
      {"0.05", 1000, MatchMode::Magic, true},  {"0", 16384, MatchMode::Magic, false},
      {"0.333", 7, MatchMode::Full, true},     {"2.5", 16384, MatchMode::Magic, false},
  };
  std::mt19937_64 rng(7);
  size_t total = 0, splits = 0, invalid = 0;
  for (const auto& c : configs) {
    AnovaSpec spec;
    spec.epsilon = *Rational::parse(c.eps);
    spec.epsilon_text = c.eps;
    spec.scale = c.scale;
    spec.match = c.match;
    spec.strict_align = c.strict;
    const auto l = compile_and_load(spec, c.strict);
    const auto params = *make_params(c.eps, c.scale);
    const int n = c.scale == 16384 && std::string(c.eps) == "0.1" ? 60000 : 10000;
    for (int i = 0; i < n; ++i) {
      const auto x = random_window(rng);
      const int want = decide_exact(x, params);
      const uint64_t got = run(l, frame(InputFormat::U32, x.data()));
      if (got != static_cast<uint64_t>(want)) {
        std::string w;
        for (auto v : x) w += std::to_string(v) + " ";
        FAIL("eps " << c.eps << " scale " << c.scale << ": window [" << w << "] kernel tag " << got
                    << ", reference " << want);
      }
      ++total;
      splits += want == kSplit;
      invalid += want == kInvalid;
    }
  }
  CHECK(total >= 100000);
  CHECK(splits > total / 20); // the corpus exercises both outcomes...
  CHECK(invalid > 0);         // ...and the validity check
}

TEST_CASE("anova f64: in-eBPF conversion and decision equal the reference", "[anova][kernel]") {
  if (testing::no_kernel()) return;
  std::mt19937_64 rng(11);
  const std::pair<uint32_t, const char*> configs[] = {
      {16384u, "0.1"}, {100u, "0.25"}, {1u, "3"}, {1000u, "0.005"}};
  for (const auto& [scale, eps] : configs) {
    for (bool strict : {false, true}) {
      AnovaSpec spec;
      spec.input = InputFormat::F64;
      spec.scale = scale;
      spec.epsilon = *Rational::parse(eps);
      spec.epsilon_text = eps;
      spec.strict_align = strict;
      const auto l = compile_and_load(spec, strict);
      const auto params = *make_params(eps, scale);
      const int n = scale == 16384 && !strict ? 40000 : 6000;
      for (int i = 0; i < n; ++i) {
        const auto x = random_f64_window(rng);
        const auto fixed = testing::fixed_samples(x, scale);
        const int want = fixed ? decide_exact(*fixed, params) : kInvalid;
        const uint64_t got = run(l, frame(InputFormat::F64, x.data()));
        if (got != static_cast<uint64_t>(want)) {
          std::string w;
          for (auto v : x) w += std::to_string(std::bit_cast<uint64_t>(v)) + " ";
          FAIL("scale " << scale << (strict ? " strict" : "") << ": window bits [" << w
                        << "] kernel " << got << ", reference " << want);
        }
      }
    }
  }
}

TEST_CASE("anova: the example series agrees with the exact and decimal references",
          "[anova][kernel]") {
  if (testing::no_kernel()) return;
  auto data = read_data_file(testing::source_path("examples/prices.txt"));
  REQUIRE(data);
  REQUIRE(data->size() > 1000);
  const auto eps = *Rational::parse("0.1");
  for (uint32_t scale : {100u, 16384u}) {
    AnovaSpec spec;
    spec.scale = scale;
    const auto u32 = compile_and_load(spec);
    spec.input = InputFormat::F64;
    const auto f64 = compile_and_load(spec);
    const auto params = *make_params("0.1", scale);
    size_t exact_windows = 0, agree_rational = 0;
    for (size_t w = 0; w + 16 <= data->size(); ++w) {
      std::array<uint32_t, 16> x{};
      std::array<double, 16> d{};
      std::array<std::string, 16> texts;
      bool exact = true;
      for (size_t k = 0; k < 16; ++k) {
        const auto& v = (*data)[w + k];
        const auto xi = integerize_decimal(v.text, scale);
        REQUIRE(xi);
        x[k] = *xi;
        d[k] = v.value;
        texts[k] = v.text;
        exact = exact && exact_at_scale(v.text, scale);
      }
      const int want = decide_exact(x, params);
      REQUIRE(run(u32, frame(InputFormat::U32, x.data())) == static_cast<uint64_t>(want));
      std::array<uint32_t, 16> fx{};
      for (size_t k = 0; k < 16; ++k)
        fx[k] = static_cast<uint32_t>(*program_f64_fixed(d[k], scale));
      REQUIRE(run(f64, frame(InputFormat::F64, d.data())) ==
              static_cast<uint64_t>(decide_exact(fx, params)));
      if (exact) {
        ++exact_windows;
        agree_rational += decide_rational(texts, eps) == want;
      }
    }
    if (scale == 100) {
      CHECK(exact_windows == data->size() - 15); // prices have two decimals: x100 is exact
      CHECK(agree_rational == exact_windows);
    }
  }
}

TEST_CASE("anova: packets it does not own pass untouched", "[anova][kernel]") {
  if (testing::no_kernel()) return;
  for (auto input : {InputFormat::U32, InputFormat::F64}) {
    for (auto match : {MatchMode::Magic, MatchMode::Full}) {
      AnovaSpec spec;
      spec.input = input;
      spec.match = match;
      const auto l = compile_and_load(spec);
      std::array<double, 16> d{};
      std::array<uint32_t, 16> u{};
      for (size_t k = 0; k < 16; ++k) d[k] = u[k] = static_cast<uint32_t>(k * 1000);
      const auto good =
          frame(input, input == InputFormat::U32 ? static_cast<const void*>(u.data()) : d.data());
      auto untouched = [&](const std::vector<uint8_t>& pkt, const std::string& what) {
        INFO(what);
        auto r = bpf::test_run(l.prog.fd.get(), pkt);
        REQUIRE(r);
        CHECK(r->retval == 2);
        CHECK(r->data_out == pkt);
      };
      // Every frame length from the Ethernet header (the kernel's minimum for XDP test runs)
      // up to one byte short of the samples.
      for (size_t len = 14; len < frame_bytes(input); ++len)
        untouched(std::vector<uint8_t>(good.begin(), good.begin() + static_cast<long>(len)),
                  "length " + std::to_string(len));
      auto bad = good;
      bad[kMagicOffset + 3] ^= 1;
      untouched(bad, "wrong magic");
      untouched(frame(input,
                      input == InputFormat::U32 ? static_cast<const void*>(u.data()) : d.data(), 1),
                "tag already 1");
      untouched(frame(input,
                      input == InputFormat::U32 ? static_cast<const void*>(u.data()) : d.data(),
                      uint64_t{1} << 40),
                "tag high bits set");
      if (match == MatchMode::Full) {
        bad = good;
        bad[12] = 0x86, bad[13] = 0xdd;
        untouched(bad, "IPv6 ethertype");
        bad = good;
        bad[23] = 6;
        untouched(bad, "TCP");
        bad = good;
        bad[37] ^= 1;
        untouched(bad, "other UDP port");
        bad = good;
        bad[21] = 1;
        untouched(bad, "fragment");
        bad = good;
        bad[14] = 0x46;
        untouched(bad, "IPv4 options");
      }
      // And the owned packet is processed (tag set, nothing else changed).
      CHECK(run(l, good) != 0);
    }
  }
}

TEST_CASE("anova edge windows: sigma^2 = 0, epsilon = 0, largest values", "[anova][kernel]") {
  if (testing::no_kernel()) return;
  AnovaSpec spec;
  const auto l = compile_and_load(spec);
  AnovaSpec zero = spec;
  zero.epsilon = Rational::of(0);
  zero.epsilon_text = "0";
  const auto lz = compile_and_load(zero);
  auto tag = [&](const Loaded& p, std::array<uint32_t, 16> x) {
    return run(p, frame(InputFormat::U32, x.data()));
  };
  std::array<uint32_t, 16> flat{};
  flat.fill(5000);
  CHECK(tag(l, flat) == kNoSplit); // sigma^2 = 0 and no outlier
  auto jump = flat;
  jump[10] = 5000 + 1639;        // |x - mu| >= eps (0.1 * 16384 = 1638.4)
  CHECK(tag(l, jump) == kSplit); // sigma^2 = 0 with an outlier
  jump[10] = 5000 + 1638;
  CHECK(tag(l, jump) == kNoSplit);  // just inside epsilon
  CHECK(tag(lz, flat) == kNoSplit); // epsilon = 0 never splits
  CHECK(tag(lz, jump) == kNoSplit);
  std::array<uint32_t, 16> big{};
  big.fill(0xffffffffu);
  CHECK(tag(l, big) == kInvalid); // window A sums beyond 2^30
  auto edge = flat;
  for (size_t k = 0; k < 8; ++k) edge[k] = (1u << 27) - (k == 0 ? 1 : 0); // sum 2^30 - 1: valid
  for (size_t k = 8; k < 16; ++k) edge[k] = 0xffffffffu;                  // B at the top of u32
  CHECK(tag(l, edge) == static_cast<uint64_t>(decide_exact(edge, *make_params("0.1", 16384))));
  edge[0] += 1; // sum 2^30: invalid
  CHECK(tag(l, edge) == kInvalid);
}

TEST_CASE("anova f64: negative, NaN, infinite and too large samples give tag 3",
          "[anova][kernel]") {
  if (testing::no_kernel()) return;
  AnovaSpec spec;
  spec.input = InputFormat::F64;
  const auto l = compile_and_load(spec);
  std::array<double, 16> ok{};
  ok.fill(12.5);
  CHECK(run(l, frame(InputFormat::F64, ok.data())) == kNoSplit);
  const double bad_values[] = {-1.0,
                               -0.0,
                               std::numeric_limits<double>::quiet_NaN(),
                               std::numeric_limits<double>::infinity(),
                               -std::numeric_limits<double>::infinity(),
                               131072.0 /* x16384 reaches 2^31 */,
                               1e300};
  for (double bad : bad_values)
    for (size_t pos : {size_t{0}, size_t{7}, size_t{8}, size_t{15}}) {
      auto x = ok;
      x[pos] = bad;
      INFO("value " << bad << " at sample " << pos);
      CHECK(run(l, frame(InputFormat::F64, x.data())) == kInvalid);
    }
  auto tiny = ok;
  tiny[3] = 1e-300; // rounds to 0: valid
  tiny[9] = 0.0;
  CHECK(run(l, frame(InputFormat::F64, tiny.data())) != kInvalid);
}

TEST_CASE("anova --target nfp programs keep the exact semantics", "[anova][kernel][nfp]") {
  if (testing::no_kernel()) return;
  std::mt19937_64 rng(3);
  for (auto input : {InputFormat::U32, InputFormat::F64}) {
    AnovaSpec spec;
    spec.input = input;
    compiler::CompileOptions opt;
    opt.target = compiler::Target::Nfp;
    auto m = compile_anova(spec, opt);
    INFO((m ? "" : m.diagnostics().render()));
    REQUIRE(m);
    auto p = bpf::load_program(m->program.insns);
    REQUIRE(p);
    const Loaded l{std::move(*m), std::move(*p)};
    const auto params = *make_params("0.1", 16384);
    for (int i = 0; i < 5000; ++i) {
      auto x = random_window(rng);
      if (input == InputFormat::U32) {
        REQUIRE(run(l, frame(input, x.data())) == static_cast<uint64_t>(decide_exact(x, params)));
      } else {
        std::array<double, 16> d{};
        for (size_t k = 0; k < 16; ++k) d[k] = static_cast<double>(x[k] % 2000000) / 16384.0;
        std::array<uint32_t, 16> fx{};
        for (size_t k = 0; k < 16; ++k)
          fx[k] = static_cast<uint32_t>(*program_f64_fixed(d[k], 16384));
        REQUIRE(run(l, frame(input, d.data())) == static_cast<uint64_t>(decide_exact(fx, params)));
      }
    }
  }
}

TEST_CASE("anova f64 --target nfp at any scale: 32-bit multiplies, tags equal the reference",
          "[anova][kernel][nfp]") {
  if (testing::no_kernel()) return;
  // Odd parts 1 to 2047: the NFP program forms m * odd from two 32 x 32-bit multiplies
  // (compile_anova refused every scale but a power of two for the NFP before). The NFP object
  // also runs in the kernel, so BPF_PROG_TEST_RUN checks it against the reference.
  struct Config {
    uint32_t scale;
    const char* eps;
  };
  const Config configs[] = {{100, "0.1"}, {1000, "0.005"}, {3, "3"},      {2047, "0.25"},
                            {10, "1.5"},  {100, "0"},      {16384, "0.1"}};
  std::mt19937_64 rng(29);
  size_t total = 0, splits = 0, invalid = 0;
  for (const auto& c : configs) {
    for (bool strict : {false, true}) {
      AnovaSpec spec;
      spec.input = InputFormat::F64;
      spec.scale = c.scale;
      spec.epsilon = *Rational::parse(c.eps);
      spec.epsilon_text = c.eps;
      spec.strict_align = strict;
      const auto l = compile_and_load(spec, strict, compiler::Target::Nfp);
      CHECK(l.model.contract["nfp"]["checked"] == true);
      const auto params = *make_params(c.eps, c.scale);
      const int n = c.scale == 100 && !strict ? 8000 : 3000;
      for (int i = 0; i < n; ++i) {
        const auto x = random_f64_window(rng);
        const auto fixed = testing::fixed_samples(x, c.scale);
        const int want = fixed ? decide_exact(*fixed, params) : kInvalid;
        const uint64_t got = run(l, frame(InputFormat::F64, x.data()));
        if (got != static_cast<uint64_t>(want)) {
          std::string w;
          for (auto v : x) w += std::to_string(std::bit_cast<uint64_t>(v)) + " ";
          FAIL("nfp scale " << c.scale << " eps " << c.eps << (strict ? " strict" : "")
                            << ": window bits [" << w << "] kernel " << got << ", reference "
                            << want);
        }
        ++total;
        splits += want == kSplit;
        invalid += want == kInvalid;
      }
    }
  }
  CHECK(total >= 40000);
  CHECK(splits > total / 50);
  CHECK(invalid > total / 50);
}

TEST_CASE("anova f64: window B samples at the outlier thresholds, both targets",
          "[anova][kernel][nfp]") {
  if (testing::no_kernel()) return;
  // Window B's f64 samples are compared as Y = floor(2 * x * scale) against doubled thresholds
  // (frontend.cpp), not as X = round-half-up(x * scale). Windows whose tag depends on exactly
  // one B sample probe that rewrite where it can go wrong: A holds a, ..., a, a+1, ... (r of
  // them a + 1), so S = 8a + r and D = r(8 - r) < y: the window splits iff the probe is an
  // outlier. Probes x with x * scale at, and a few ulps around, v and v +- 1/2 for every v
  // next to the thresholds floor((S - T)/8) and ceil((S + T)/8).
  struct Config {
    uint32_t scale;
    const char* eps;
  };
  const Config configs[] = {{100, "0.1"},    {100, "0.333"}, {16384, "0.1"},
                            {1000, "0.005"}, {3, "3"},       {16384, "0.0007"}};
  size_t total = 0, splits = 0, nosplits = 0;
  for (const auto& c : configs) {
    for (auto target : {compiler::Target::Kernel, compiler::Target::Nfp}) {
      AnovaSpec spec;
      spec.input = InputFormat::F64;
      spec.scale = c.scale;
      spec.epsilon = *Rational::parse(c.eps);
      spec.epsilon_text = c.eps;
      const auto l = compile_and_load(spec, false, target);
      const auto params = *make_params(c.eps, c.scale);
      const auto k = *anova_constants(spec);
      const auto t = static_cast<int64_t>(k.threshold);
      const double s = c.scale;
      for (int64_t a : {int64_t{0}, int64_t{3}, int64_t{41}, int64_t{12345}, int64_t{99999},
                        (int64_t{1} << 27) - 2}) {
        for (int r : {0, 1, 5}) {
          std::array<double, 16> x{};
          for (size_t i = 0; i < 8; ++i)
            x[i] = static_cast<double>(a + (static_cast<int>(i) < r ? 1 : 0)) / s;
          for (size_t i = 8; i < 16; ++i) x[i] = x[7];
          const int64_t sum = 8 * a + r;
          const auto floor_div8 = [](int64_t v) { return v >= 0 ? v / 8 : -((-v + 7) / 8); };
          const int64_t lo = floor_div8(sum - t), hi = -floor_div8(-(sum + t));
          for (int64_t v : {lo - 1, lo, lo + 1, hi - 1, hi, hi + 1}) {
            for (double frac : {-0.5, 0.0, 0.5}) {
              const double centre = (static_cast<double>(v) + frac) / s;
              for (int ulps = -2; ulps <= 2; ++ulps) {
                double probe = centre;
                for (int u = 0; u < std::abs(ulps); ++u)
                  probe = std::nextafter(probe, ulps < 0 ? -1e300 : 1e300);
                auto w = x;
                w[8 + static_cast<size_t>(v & 7)] = probe;
                const auto fixed = testing::fixed_samples(w, c.scale);
                const int want = fixed ? decide_exact(*fixed, params) : kInvalid;
                const uint64_t got = run(l, frame(InputFormat::F64, w.data()));
                INFO("scale " << c.scale << " eps " << c.eps
                              << (target == compiler::Target::Nfp ? " nfp" : " kernel") << " a "
                              << a << " r " << r << " probe " << std::bit_cast<uint64_t>(probe)
                              << " (x*scale ~ " << probe * s << ")");
                REQUIRE(got == static_cast<uint64_t>(want));
                ++total;
                splits += want == kSplit;
                nosplits += want == kNoSplit;
              }
            }
          }
        }
      }
    }
  }
  CHECK(total > 6000);
  CHECK(splits > total / 5); // both classifications occur at the thresholds
  CHECK(nosplits > total / 5);
}

TEST_CASE("anova: --strict-align objects load with and without BPF_F_STRICT_ALIGNMENT",
          "[anova][kernel]") {
  if (testing::no_kernel()) return;
  for (auto input : {InputFormat::U32, InputFormat::F64}) {
    AnovaSpec spec;
    spec.input = input;
    spec.strict_align = true;
    auto m = compile_anova(spec, {});
    REQUIRE(m);
    bpf::LoadOptions strict;
    strict.prog_flags = 1;
    CHECK(bpf::load_program(m->program.insns, strict).ok());
    CHECK(bpf::load_program(m->program.insns).ok());
    // Without --strict-align the 8-byte loads at offset 42 are refused under strict alignment.
    spec.strict_align = false;
    auto loose = compile_anova(spec, {});
    REQUIRE(loose);
    auto refused = bpf::load_program(loose->program.insns, strict);
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.diagnostics().render(), Catch::Contains("misaligned"));
  }
}
