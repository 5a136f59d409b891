// libFuzzer target for the I/O contract and the ANOVA compiler front end.
//
// Input, either
//   JSON: taken as an object's I/O contract (what `xdpml info --json` prints). send/recv trust
//     nothing in it, so contract::parse_contract must take its text without crashing, and
//     wire_format_from_contract must refuse it with a diagnostic or give a format whose fields
//     lie in [42, 1514 - 8) apart from each other; then a series of generated values goes
//     through Series::make, expected_tags (exact) and build_frame -> parse_frame, which must give
//     back the sample bytes. A network's contract ("model": "network") instead goes through
//     network_from_contract (refused with a diagnostic, or its quantized network answers every
//     random row inside the wire ranges with a valid tag) and the same frame round trip, the
//     result field included. An object with an "anova" member is also compiled with the
//     parameters it states (below).
//   anything else: compile parameters from the first bytes (spec_from_bytes), epsilon being the
//     rest of the input as text.
// A compile must fail with a diagnostic or produce an object whose contract
// wire_format_from_contract accepts as the format that was asked for; on a few sample vectors
// decide_exact must answer 1, 2 or 3, and decide_with_constants must agree with it (N = 8).
// Nothing is loaded into the kernel.
#include "compiler/anova/compile.hpp"
#include "compiler/anova/reference.hpp"
#include "contract/contract.hpp"
#include "fuzz_common.hpp"
#include "packetgen/network.hpp"
#include "packetgen/series.hpp"
#include "packetgen/traffic.hpp"
#include "packetgen/wire.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace xdpml;
using json = nlohmann::json;

namespace {

// Deterministic per input, so that a saved reproducer replays the same samples.
struct Rng {
  uint64_t s;
  uint64_t next() {
    s += 0x9E3779B97F4A7C15ull;
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
};

uint64_t hash_bytes(const uint8_t* data, size_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 0x100000001b3ull;
  return h;
}

void require_diagnostic(const Diagnostics& d, const char* what) {
  if (d.empty() || d.items().front().message.empty())
    fuzz::die(std::string(what) + " failed without a diagnostic", d.render());
  (void)d.render();
}

// ---- 1. the contract as send/recv read it ------------------------------------------------

struct Field {
  const char* name;
  uint64_t begin, end;
};

// Computed in 64 bits: the format's own uint32 arithmetic is what is being checked.
void check_layout(const packetgen::WireFormat& w, const std::string& contract) {
  const Field fields[] = {{"magic", w.magic_offset, uint64_t{w.magic_offset} + 8},
                          {"tag", w.tag_offset, uint64_t{w.tag_offset} + 8},
                          {"data", w.data_offset, w.data_offset + uint64_t{w.samples} * w.stride}};
  uint64_t last = 0;
  for (const auto& f : fields) {
    if (f.begin < packetgen::kHeaderBytes || f.end > 1514 - packetgen::kSeqBytes)
      fuzz::die(std::string("accepted contract puts ") + f.name + " at [" +
                    std::to_string(f.begin) + ", " + std::to_string(f.end) +
                    "), outside [42, 1506)",
                contract);
    last = std::max(last, f.end);
  }
  for (const auto& f : fields)
    for (const auto& g : fields)
      if (&f != &g && f.begin < g.end && g.begin < f.end)
        fuzz::die(std::string("accepted contract overlaps ") + f.name + " and " + g.name, contract);
  if (w.frame_size() > 1514 || w.seq_offset() != last)
    fuzz::die("frame_size " + std::to_string(w.frame_size()) + " / seq_offset " +
                  std::to_string(w.seq_offset()) + " disagree with the fields (end " +
                  std::to_string(last) + ")",
              contract);
  if (w.stride != (w.encoding == packetgen::Encoding::U32 ? 4u : 8u) || w.samples < 4 ||
      w.samples > 2u * anova::kLargestWindow || !std::has_single_bit(w.samples))
    fuzz::die("accepted contract with " + std::to_string(w.samples) + " samples of stride " +
                  std::to_string(w.stride),
              contract);
}

// Decimal texts the encoding can carry: osh-u32 needs value*scale < 2^32 (Series::make refuses
// anything else, so these must all be accepted); osh-f64 also gets values the program rejects.
std::vector<DataValue> make_values(const packetgen::WireFormat& w, size_t n, Rng& rng) {
  const uint64_t int_max = std::min<uint64_t>(0xFFFFFFFFull / w.scale, 1000000); // >= 1
  std::vector<DataValue> values(n);
  const uint64_t base = rng.below(int_max); // similar values, so that some windows do not split
  for (size_t i = 0; i < n; ++i) {
    auto& v = values[i];
    v.line = static_cast<int>(i + 1);
    const uint64_t mode = rng.below(8);
    if (w.encoding == packetgen::Encoding::F64 && mode == 0) {
      static const char* const odd[] = {"nan", "inf", "-inf", "-0.0", "-1", "1e300", "4e-320"};
      v.text = odd[rng.below(std::size(odd))];
    } else {
      const uint64_t ip =
          mode < 5 ? std::min(base + rng.below(3), int_max - 1) : rng.below(int_max);
      v.text = std::to_string(ip) + "." + std::to_string(rng.below(1000));
    }
    v.value = std::strtod(v.text.c_str(), nullptr);
  }
  return values;
}

void check_frames(const packetgen::WireFormat& w, const std::string& contract, Rng& rng) {
  const size_t n = 2 * size_t{w.samples};
  auto series = packetgen::Series::make(w, make_values(w, n, rng), "<fuzz values>");
  if (!series) fuzz::die("Series::make refused values in range", series.diagnostics().render());
  if (series->windows() != w.samples + 1)
    fuzz::die("Series of " + std::to_string(n) + " values has " +
                  std::to_string(series->windows()) + " windows",
              contract);
  auto tags = packetgen::expected_tags(*series, packetgen::Reference::Exact);
  if (!tags) fuzz::die("expected_tags failed on an accepted contract", tags.diagnostics().render());
  if (tags->tags.size() != series->windows())
    fuzz::die("expected_tags gave " + std::to_string(tags->tags.size()) + " tags", contract);
  for (uint8_t t : tags->tags)
    if (t < 1 || t > 3) fuzz::die("expected_tags gave tag " + std::to_string(t), contract);

  const packetgen::Endpoints endpoints;
  for (size_t k = 0; k < 3; ++k) {
    const size_t win = rng.below(series->windows());
    const auto bytes = series->window_bytes(win);
    const uint64_t seq = rng.next();
    const auto frame = packetgen::build_frame(w, endpoints, bytes, seq);
    if (frame.size() != w.frame_size())
      fuzz::die("build_frame made " + std::to_string(frame.size()) + " bytes, not frame_size",
                contract);
    const auto parsed = packetgen::parse_frame(w, frame);
    if (!parsed || !parsed->complete || parsed->tag != 0 || parsed->seq != seq ||
        parsed->sample_bytes.size() != bytes.size() ||
        !std::equal(bytes.begin(), bytes.end(), parsed->sample_bytes.begin()))
      fuzz::die("parse_frame(build_frame(...)) lost the fields of window " + std::to_string(win),
                contract);
    // A frame cut short must still be recognised (magic) but reported incomplete.
    if (frame.size() > w.magic_offset + 8) {
      const auto cut = std::span<const uint8_t>(frame).first(frame.size() - 1);
      const auto p = packetgen::parse_frame(w, cut);
      if (!p || p->complete)
        fuzz::die("parse_frame of a truncated frame said " +
                      std::string(!p ? "not ours" : "complete"),
                  contract);
    }
  }
}

// A network's format: result, tag, magic and data in the payload, apart; rows that its quantized
// network answers; frames that parse back with their features and result.
void fuzz_network(const packetgen::WireFormat& w, const json& contract, const std::string& text) {
  const Field fields[] = {{"magic", w.magic_offset, uint64_t{w.magic_offset} + 8},
                          {"tag", w.tag_offset, uint64_t{w.tag_offset} + 8},
                          {"result", w.result_offset, uint64_t{w.result_offset} + w.result_bytes},
                          {"data", w.data_offset, w.data_offset + uint64_t{w.samples} * 4}};
  uint64_t last = 0;
  for (const auto& f : fields) {
    if (f.begin < packetgen::kHeaderBytes || f.end > 1514 - packetgen::kSeqBytes)
      fuzz::die(std::string("accepted network contract puts ") + f.name + " outside [42, 1506)",
                text);
    last = std::max(last, f.end);
  }
  for (const auto& f : fields)
    for (const auto& g : fields)
      if (&f != &g && f.begin < g.end && g.begin < f.end)
        fuzz::die(std::string("accepted network contract overlaps ") + f.name + " and " + g.name,
                  text);
  if (w.frame_size() > 1514 || w.seq_offset() != last || w.stride != 4 || w.samples == 0 ||
      w.result_bytes != 4 ||
      (w.encoding != packetgen::Encoding::I32 && w.encoding != packetgen::Encoding::U32))
    fuzz::die("accepted network contract with an unusable layout", text);
  auto net = packetgen::network_from_contract(contract, w, true);
  if (!net) {
    require_diagnostic(net.diagnostics(), "network_from_contract");
    return;
  }
  if (net->q.features != w.samples || net->wire_min.size() != w.samples)
    fuzz::die("network_from_contract accepted a quantized model of another width", text);
  Rng rng{hash_bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size())};
  const auto series =
      packetgen::random_network_series(w, net->wire_min, net->wire_max, 3, rng.next());
  const auto expected = packetgen::network_expected(series, net->q);
  for (size_t r = 0; r < series.windows(); ++r) {
    const uint64_t tag = expected.tags[r];
    if (w.argmax ? (tag < 1 || tag > w.classes) : tag != 1)
      fuzz::die("the quantized network answered tag " + std::to_string(tag), text);
    const uint64_t seq = rng.next();
    auto frame = packetgen::build_frame(w, {}, series.window_bytes(r), seq);
    packetgen::store_le32(&frame[w.result_offset], 0x80000001u);
    const auto parsed = packetgen::parse_frame(w, frame);
    if (!parsed || !parsed->complete || parsed->seq != seq)
      fuzz::die("parse_frame(build_frame(...)) lost a network frame's fields", text);
    packetgen::ParsedFrame as_row = *parsed;
    as_row.seq = r;
    const auto a = packetgen::classify(series, as_row);
    if (!a.intact || a.result != INT32_MIN + 1)
      fuzz::die("a network frame did not classify back to its row and result", text);
  }
}

void fuzz_contract(const json& contract) {
  const std::string text = contract.dump(1);
  if (auto c = contract::parse_contract(text); !c)
    require_diagnostic(c.diagnostics(), "parse_contract");
  auto w = packetgen::wire_format_from_contract(contract, "<fuzz>");
  if (!w) {
    require_diagnostic(w.diagnostics(), "wire_format_from_contract");
    return;
  }
  if (w->model == packetgen::ModelKind::Network) {
    fuzz_network(*w, contract, text);
    return;
  }
  check_layout(*w, text);
  // samples == 2 * window as the contract writes it (compared as JSON numbers, so 8.5 or
  // 2^32 + 8 is not 8); a missing window means 8.
  const auto& a = contract.at("anova");
  const json window = a.contains("window") ? a.at("window") : json(8);
  if (w->samples % 2 != 0 || window != json(w->samples / 2))
    fuzz::die("accepted samples " + std::to_string(w->samples) + " with window " + window.dump(),
              text);
  Rng rng{hash_bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size())};
  check_frames(*w, text, rng);
}

// ---- 2. the compiler front end -----------------------------------------------------------

struct SpecInput {
  anova::AnovaSpec spec;
  std::string epsilon_text;
};

// Window sizes in and out of range; the selector byte picks one or, above the table, is the
// window itself.
constexpr uint32_t kWindows[] = {8, 2, 4, 16, 32, 64, 0, 1, 3, 6, 65, 128, 0x80000004u, UINT32_MAX};
constexpr uint32_t kScales[] = {16384, 1,    10,   100,  1000,     1000000,    65536,
                                3,     2047, 2048, 4095, 1u << 31, UINT32_MAX, 0};

// Byte 0: bit 0 f64, bit 1 match full, bit 2 strict_align, bit 3 raw scale (else table);
// byte 1: window; bytes 2..5: scale (raw, little-endian) or byte 2 indexes kScales;
// the rest: epsilon text.
std::optional<SpecInput> spec_from_bytes(const uint8_t* data, size_t size) {
  if (size < 6) return std::nullopt;
  SpecInput in;
  auto& s = in.spec;
  s.input = data[0] & 1 ? anova::InputFormat::F64 : anova::InputFormat::U32;
  s.match = data[0] & 2 ? anova::MatchMode::Full : anova::MatchMode::Magic;
  s.strict_align = data[0] & 4;
  s.window = data[1] < std::size(kWindows) ? kWindows[data[1]] : data[1];
  if (data[0] & 8) {
    uint32_t raw = 0;
    std::memcpy(&raw, data + 2, 4);
    s.scale = raw;
  } else {
    s.scale = kScales[data[2] % std::size(kScales)];
  }
  in.epsilon_text.assign(reinterpret_cast<const char*>(data + 6), std::min<size_t>(size - 6, 48));
  return in;
}

// The parameters a contract states, as `xdpml compile anova` would take them; fields of the
// wrong type are left at their defaults.
SpecInput spec_from_contract(const json& contract) {
  SpecInput in;
  in.epsilon_text = "0.1";
  auto& s = in.spec;
  const auto& a = contract.at("anova");
  if (!a.is_object()) return in;
  if (auto it = a.find("input"); it != a.end() && it->is_string())
    s.input = *it == "f64" ? anova::InputFormat::F64 : anova::InputFormat::U32;
  if (auto it = a.find("epsilon"); it != a.end() && it->is_string())
    in.epsilon_text = it->get<std::string>();
  if (auto it = a.find("scale"); it != a.end() && it->is_number_unsigned())
    s.scale = static_cast<uint32_t>(it->get<uint64_t>());
  if (auto it = a.find("window"); it != a.end() && it->is_number_unsigned())
    s.window = static_cast<uint32_t>(it->get<uint64_t>());
  if (auto m = contract.find("match"); m != contract.end() && m->is_object())
    if (auto it = m->find("mode"); it != m->end() && *it == "full")
      s.match = anova::MatchMode::Full;
  if (auto it = contract.find("strict_align"); it != contract.end() && it->is_boolean())
    s.strict_align = it->get<bool>();
  return in;
}

// Sample vectors of 2N values: typical ones (similar values, some outliers in B), ones near the
// validity limit, and arbitrary uint32 (u32) or doubles (f64, converted like the program does).
std::vector<uint32_t> make_samples(const anova::AnovaSpec& spec, Rng& rng, bool& convertible) {
  const size_t n = spec.window;
  std::vector<uint32_t> x(2 * n);
  convertible = true;
  const uint64_t limit = anova::sum_limit(static_cast<int>(n));
  const uint64_t mode = rng.below(4);
  const uint64_t base = rng.below(limit / n);
  for (size_t i = 0; i < x.size(); ++i) {
    uint64_t v;
    switch (mode) {
    case 0:
      v = base + rng.below(1 + base / 64);
      if (i >= n && rng.below(4) == 0) v = rng.below(2 * base + 2);
      break;
    case 1:
      v = limit / n - rng.below(2);
      break;
    default:
      v = rng.next() >> (rng.below(32) + 32); // 32 down to 1 bits
      break;
    }
    x[i] = static_cast<uint32_t>(v);
  }
  if (spec.input == anova::InputFormat::F64) {
    // The sender's doubles: x / scale, sometimes nudged or replaced by invalid values.
    for (auto& v : x) {
      double d = static_cast<double>(v) / spec.scale;
      const uint64_t r = rng.below(16);
      if (r == 0) d = std::nextafter(d, 0.0);
      if (r == 1) d = -d;
      if (r == 2) d = std::bit_cast<double>(rng.next());
      const auto fx = anova::program_f64_fixed(d, spec.scale);
      if (!fx) convertible = false;
      v = fx ? static_cast<uint32_t>(*fx) : 0;
    }
  }
  return x;
}

void fuzz_compile(const SpecInput& in, uint64_t seed) {
  anova::AnovaSpec spec = in.spec;
  auto eps = anova::Rational::parse(in.epsilon_text);
  if (!eps) {
    require_diagnostic(eps.diagnostics(), "Rational::parse");
    return;
  }
  spec.epsilon = *eps;
  spec.epsilon_text = in.epsilon_text;
  auto model = anova::compile_anova(spec, {});
  if (!model) {
    require_diagnostic(model.diagnostics(), "compile_anova");
    return;
  }
  const std::string what = "window " + std::to_string(spec.window) + ", scale " +
                           std::to_string(spec.scale) + ", epsilon '" + in.epsilon_text + "', " +
                           (spec.input == anova::InputFormat::F64 ? "f64" : "u32");
  auto w = packetgen::wire_format_from_contract(model->contract, "<compiled>");
  if (!w)
    fuzz::die("wire_format_from_contract refused the contract of a compiled object (" + what + ")",
              w.diagnostics().render() + model->contract.dump(1));
  if (w->samples != 2 * spec.window || w->scale != spec.scale || w->epsilon != spec.epsilon_text ||
      (w->encoding == packetgen::Encoding::F64) != (spec.input == anova::InputFormat::F64))
    fuzz::die("compiled contract does not state the parameters (" + what + ")",
              model->contract.dump(1));
  check_layout(*w, model->contract.dump(1));
  if (!anova::window_size_ok(static_cast<int>(spec.window)))
    fuzz::die("compiled with window " + std::to_string(spec.window), what);

  auto params = anova::make_params(spec.epsilon_text, spec.scale);
  if (!params)
    fuzz::die("make_params refused what compile_anova accepted (" + what + ")",
              params.diagnostics().render());
  std::optional<anova::CompiledConstants> k;
  if (spec.window == anova::kWindow)
    if (auto c = anova::compile_constants(*params)) k = *c;
  Rng rng{seed};
  for (int round = 0; round < 4; ++round) {
    bool convertible = true;
    const auto x = make_samples(spec, rng, convertible);
    const int tag = convertible ? anova::decide_exact(x, *params) : anova::kInvalid;
    if (tag < 1 || tag > 3) fuzz::die("decide_exact answered " + std::to_string(tag), what);
    if (k && convertible) {
      std::array<uint32_t, anova::kSamples> a;
      std::copy(x.begin(), x.end(), a.begin());
      const int fast = anova::decide_with_constants(a, *k);
      if (fast != tag) {
        std::string xs;
        for (uint32_t v : x) xs += std::to_string(v) + " ";
        fuzz::die("decide_with_constants " + std::to_string(fast) + " != decide_exact " +
                      std::to_string(tag) + " (" + what + ")",
                  xs);
      }
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const uint64_t seed = hash_bytes(data, size);
  const json contract = json::parse(data, data + size, nullptr, false);
  if (contract.is_discarded()) {
    if (auto in = spec_from_bytes(data, size)) fuzz_compile(*in, seed);
    return 0;
  }
  fuzz_contract(contract);
  if (contract.is_object() && contract.contains("anova"))
    fuzz_compile(spec_from_contract(contract), seed);
  return 0;
}
