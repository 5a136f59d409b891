#include "compiler/anova/compile.hpp"

#include "compiler/anova/reference.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <sstream>

namespace xdpml::anova {

namespace {
// "2^k" for the validity limit of windows of N samples, as reports and contracts say it.
std::string sum_limit_text(uint32_t window) {
  return "2^" + std::to_string(std::countr_zero(static_cast<uint64_t>(window_sum_limit(window))));
}
} // namespace

Result<ScaleChoice> choose_scale(const std::vector<DataValue>& calibration, uint32_t window) {
  if (calibration.empty())
    return fail("the calibration data is empty", {}, "pass a data file with --calib");
  double max_abs = 0;
  for (const auto& v : calibration) {
    if (!std::isfinite(v.value) || v.value < 0)
      return fail("calibration value '" + v.text +
                      "' is negative or not finite; the segmenter's inputs are non-negative",
                  {"<calib>", v.line, 0, 1, {}});
    max_abs = std::max(max_abs, v.value);
  }
  const double limit = static_cast<double>(window_sum_limit(window));
  const std::string limit_text = sum_limit_text(window);
  auto window_ok = [&](double scale) { return window * max_abs * scale < limit; };
  ScaleChoice c;
  for (uint32_t s = 1; s <= 1000000; s *= 10) {
    if (!window_ok(s)) break;
    bool exact = true;
    for (const auto& v : calibration)
      if (!exact_at_scale(v.text, s)) {
        exact = false;
        break;
      }
    if (exact) {
      c.scale = s;
      c.exact = true;
      c.reason = "every calibration value is an integer multiple of 1/" + std::to_string(s);
      return c;
    }
  }
  // No exact decimal scale: the finest power of two that keeps every window valid.
  uint32_t s = 1;
  while (s < (1u << 30) && window_ok(2.0 * s)) s *= 2;
  if (!window_ok(s))
    return fail("calibration values are too large: " + std::to_string(window) +
                " * max must stay below " + limit_text + " even at scale 1");
  c.scale = s;
  c.exact = false;
  for (const auto& v : calibration) {
    const double scaled = v.value * s;
    c.max_error = std::max(c.max_error, std::fabs(std::floor(scaled + 0.5) - scaled) / s);
  }
  c.reason = "no power of ten up to 10^6 makes the data exact; 2^" +
             std::to_string(static_cast<int>(std::log2(s))) + " is the finest scale that keeps " +
             std::to_string(window) + "*max*scale below " + limit_text;
  return c;
}

namespace {
std::string hex64(uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}
} // namespace

nlohmann::json anova_contract(const AnovaSpec& spec, const AnovaConstants& k) {
  const bool u32 = spec.input == InputFormat::U32;
  const std::string limit_text = sum_limit_text(spec.window);
  nlohmann::json match{{"mode", spec.match == MatchMode::Full ? "full" : "magic"}};
  if (spec.match == MatchMode::Full) {
    match["ethertype"] = 0x0800;
    match["ip_protocol"] = 17;
    match["udp_dest_port"] = kUdpPort;
  }
  return {
      {"model", "anova"},
      {"match", match},
      {"layout",
       {{"payload_offset", kPayloadOffset},
        {"magic_offset", kMagicOffset},
        {"magic", hex64(kMagic)},
        {"tag_offset", kTagOffset},
        {"tag_bytes", 8},
        {"data_offset", kDataOffset},
        {"samples", 2 * spec.window},
        {"encoding", u32 ? "u32le" : "f64le"},
        {"stride", data_stride(spec.input)},
        {"frame_bytes", frame_bytes(spec.input, spec.window)},
        {"udp_dest_port", kUdpPort}}},
      {"anova",
       {{"window", spec.window},
        {"epsilon", spec.epsilon_text},
        {"scale", spec.scale},
        {"input", u32 ? "u32" : "f64"},
        {"threshold_T", k.threshold},
        {"y", compiler::to_string(k.y_num) + "/" + compiler::to_string(k.y_den)},
        {"sum_limit", static_cast<uint64_t>(window_sum_limit(spec.window))},
        {"rounding", u32 ? "done by the sender" : "round half up of the exact product x*scale"}}},
      {"tags", {{"0", "unprocessed"}, {"1", "split"}, {"2", "no split"}, {"3", "invalid input"}}},
      {"validity",
       u32 ? "invalid when the " + std::to_string(spec.window) + " samples of window A sum to " +
                 limit_text + " or more"
           : "invalid when a sample is negative (sign bit set, including -0.0), NaN, infinite, or "
             "so large that x*scale may reach 2^31, or when the integerized window A sums to " +
                 limit_text + " or more"},
  };
}

compiler::VerifyCases anova_verify_cases(const AnovaSpec& spec, size_t count) {
  const uint32_t n = 2 * spec.window;
  const uint32_t stride = data_stride(spec.input);
  const bool f64 = spec.input == InputFormat::F64;
  auto params = make_params(spec.epsilon_text, spec.scale);
  auto frame = [=](const std::vector<uint8_t>& samples) {
    auto f = compiler::owned_frame(frame_bytes(spec.input, spec.window) + 8);
    std::copy(samples.begin(), samples.end(), f.begin() + kDataOffset);
    return f;
  };
  auto sample_bytes = [=](const std::vector<uint8_t>& pkt, uint32_t i) {
    uint64_t v = 0;
    for (int k = static_cast<int>(stride) - 1; k >= 0; --k)
      v = (v << 8) | pkt[kDataOffset + i * stride + static_cast<uint32_t>(k)];
    return v;
  };
  compiler::VerifyCases c;
  c.count = count;
  const double limit = static_cast<double>(window_sum_limit(spec.window));
  c.packet = [=](size_t k) {
    std::mt19937_64 rng(0x5eed + k);
    std::uniform_real_distribution<double> u(0, 1);
    // A base level and spread per window, so that both decisions and invalid windows occur.
    const double top = limit / spec.window / spec.scale; // largest mean that stays valid
    const double base = top * std::pow(u(rng), 3) * (k % 17 == 0 ? 1.5 : 1.0);
    const double spread = base * (k % 3 == 0 ? 0.0 : std::pow(u(rng), 2));
    const double shift = k % 2 ? (spread + base * 0.01) * 8 * u(rng) : 0.0;
    std::vector<uint8_t> bytes(static_cast<size_t>(n) * stride);
    for (uint32_t i = 0; i < n; ++i) {
      double x = base + spread * (u(rng) - 0.5) + (i >= spec.window ? shift : 0.0);
      x = std::max(x, 0.0);
      uint64_t v = 0;
      if (!f64) {
        v = static_cast<uint64_t>(std::min(x * spec.scale, 4294967295.0));
      } else {
        if (k % 11 == 5 && i == k % n) {
          const double specials[] = {NAN, INFINITY, -1.0, -0.0, 1e300, 5e-324};
          x = specials[k % 6];
        }
        std::memcpy(&v, &x, 8);
      }
      for (uint32_t b = 0; b < stride; ++b)
        bytes[i * stride + b] = static_cast<uint8_t>(v >> (8 * b));
    }
    return frame(bytes);
  };
  c.expected = [=](const std::vector<uint8_t>& pkt) {
    std::vector<uint32_t> x(n);
    int tag = kInvalid;
    bool valid = true;
    for (uint32_t i = 0; i < n && valid; ++i) {
      const uint64_t raw = sample_bytes(pkt, i);
      if (!f64) {
        x[i] = static_cast<uint32_t>(raw);
      } else {
        double d = 0;
        std::memcpy(&d, &raw, 8);
        const auto fixed = program_f64_fixed(d, spec.scale);
        valid = fixed.has_value();
        if (valid) x[i] = static_cast<uint32_t>(*fixed);
      }
    }
    if (valid && params) tag = decide_exact(x, *params);
    auto out = pkt;
    out[kTagOffset] = static_cast<uint8_t>(tag);
    return out;
  };
  c.describe = [=](const std::vector<uint8_t>& pkt) {
    std::ostringstream s;
    s << "samples [";
    for (uint32_t i = 0; i < n; ++i) {
      const uint64_t raw = sample_bytes(pkt, i);
      if (i) s << ", ";
      if (f64) {
        double d = 0;
        std::memcpy(&d, &raw, 8);
        s << d;
      } else {
        s << raw;
      }
    }
    return s.str() + "]";
  };
  return c;
}

Result<compiler::CompiledModel> compile_anova(const AnovaSpec& spec,
                                              const compiler::CompileOptions& options) {
  auto k = anova_constants(spec);
  if (!k) return k.failure();
  auto f = build_anova(spec, options.target != compiler::Target::Nfp);
  if (!f) return f.failure();
  return compiler::compile_function(std::move(*f), anova_contract(spec, *k), options);
}

} // namespace xdpml::anova
