// packetgen: frames built from the I/O contract (byte by byte), the IPv4 checksum, windows and
// sequence numbers, the receiver's accounting (lost, duplicated, reordered, corrupted) on
// synthetic arrivals, reference tags, pcap files, testbed names; and, where BPF programs can be
// loaded, generated frames through the compiled program (BPF_PROG_TEST_RUN) against the tags
// the receiver expects. Networks (`compile model` contracts) the same way: their frames byte by
// byte, rows and wire values, the bit-exact reference (tags and results), accounting and the
// fidelity figures, and the example models' test rows through the compiled programs.
#include "bpf/kernel.hpp"
#include "compiler/anova/compile.hpp"
#include "compiler/anova/reference.hpp"
#include "compiler/model/compile.hpp"
#include "compiler/model/json_import.hpp"
#include "measure/bench.hpp"
#include "packetgen/network.hpp"
#include "packetgen/pcap.hpp"
#include "packetgen/series.hpp"
#include "packetgen/tally.hpp"
#include "packetgen/testbed.hpp"
#include "packetgen/traffic.hpp"
#include "packetgen/wire.hpp"
#include "test_support.hpp"

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <unistd.h>

using namespace xdpml;
using namespace xdpml::packetgen;

namespace {

nlohmann::json contract_of(anova::InputFormat input, const char* eps = "0.1",
                           uint32_t scale = 16384) {
  anova::AnovaSpec spec;
  spec.input = input;
  spec.epsilon = *anova::Rational::parse(eps);
  spec.epsilon_text = eps;
  spec.scale = scale;
  auto m = anova::compile_anova(spec, {});
  REQUIRE(m);
  return m->contract;
}

WireFormat format_of(anova::InputFormat input, const char* eps = "0.1", uint32_t scale = 16384) {
  auto f = wire_format_from_contract(contract_of(input, eps, scale), "test.o");
  INFO((f ? "" : f.diagnostics().render()));
  REQUIRE(f);
  return *f;
}

std::vector<DataValue> values_of(const std::vector<std::string>& texts) {
  std::vector<DataValue> v;
  int line = 1;
  for (const auto& t : texts) v.push_back({t, std::strtod(t.c_str(), nullptr), line++});
  return v;
}

std::vector<DataValue> ramp(size_t n, double base = 100, double step = 0.25) {
  std::vector<std::string> t;
  for (size_t i = 0; i < n; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f",
                  base + step * static_cast<double>(i % 7) + (i % 11 == 0 ? 3 : 0));
    t.push_back(buf);
  }
  return values_of(t);
}

uint16_t be16(const std::vector<uint8_t>& f, size_t at) {
  return static_cast<uint16_t>(f[at] << 8 | f[at + 1]);
}

uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("xdpml-test-" + std::to_string(getpid()) + "-" + name))
      .string();
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

TEST_CASE("packetgen: the IPv4 header checksum", "[packetgen]") {
  // The classic worked example (Wikipedia, "IPv4 header checksum"): checksum 0xb861.
  std::vector<uint8_t> h{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                         0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  CHECK(ipv4_checksum(h) == 0xb861);
  h[10] = 0xb8, h[11] = 0x61;
  CHECK(ipv4_checksum(h) == 0); // a header with its checksum sums to 0xffff
  // Carries fold back in: all-ones words.
  std::vector<uint8_t> ones(20, 0xff);
  ones[10] = ones[11] = 0;
  CHECK(ipv4_checksum(ones) == 0); // 9 * 0xffff folds to 0xffff
}

TEST_CASE("packetgen: frames follow the contract byte by byte", "[packetgen]") {
  for (auto input : {anova::InputFormat::U32, anova::InputFormat::F64}) {
    const auto contract = contract_of(input);
    const auto& l = contract["layout"];
    const WireFormat f = format_of(input);
    const bool u32 = input == anova::InputFormat::U32;
    INFO((u32 ? "u32" : "f64"));
    CHECK(f.encoding == (u32 ? Encoding::U32 : Encoding::F64));
    CHECK(f.magic_offset == l["magic_offset"].get<uint32_t>());
    CHECK(f.tag_offset == l["tag_offset"].get<uint32_t>());
    CHECK(f.data_offset == l["data_offset"].get<uint32_t>());
    CHECK(f.stride == l["stride"].get<uint32_t>());
    CHECK(f.udp_port == 6666);
    CHECK(f.scale == 16384);
    CHECK(f.epsilon == "0.1");
    // The sequence number directly follows the samples: the frame is what the program needs
    // plus 8 bytes.
    CHECK(f.seq_offset() == l["frame_bytes"].get<uint32_t>());
    CHECK(f.frame_size() == l["frame_bytes"].get<uint32_t>() + 8);

    Endpoints ep;
    ep.src_mac = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    ep.dst_mac = {0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
    std::vector<uint8_t> samples(f.data_bytes());
    for (size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<uint8_t>(i * 7 + 1);
    const uint64_t seq = 0x0102030405060708ull;
    const auto fr = build_frame(f, ep, samples, seq);
    REQUIRE(fr.size() == f.frame_size());
    // Ethernet
    CHECK(std::equal(ep.dst_mac.begin(), ep.dst_mac.end(), fr.begin()));
    CHECK(std::equal(ep.src_mac.begin(), ep.src_mac.end(), fr.begin() + 6));
    CHECK(be16(fr, 12) == 0x0800);
    // IPv4
    CHECK(fr[14] == 0x45);
    CHECK(fr[15] == 0);
    CHECK(be16(fr, 16) == fr.size() - 14);
    CHECK(be16(fr, 18) == (seq & 0xffff)); // id: low bits of the window index
    CHECK(be16(fr, 20) == 0x4000);         // DF, offset 0
    CHECK(fr[22] == 64);
    CHECK(fr[23] == 17);
    CHECK(ipv4_checksum({fr.data() + 14, 20}) == 0);
    CHECK(std::vector<uint8_t>(fr.begin() + 26, fr.begin() + 34) ==
          std::vector<uint8_t>{192, 0, 2, 1, 192, 0, 2, 2});
    // UDP
    CHECK(be16(fr, 34) == 40000);
    CHECK(be16(fr, 36) == 6666);
    CHECK(be16(fr, 38) == fr.size() - 34);
    CHECK(be16(fr, 40) == 0); // no checksum: the program rewrites the tag in flight
    // Payload at the contract's offsets
    const std::string magic_hex = l["magic"].get<std::string>();
    CHECK(load_le64(&fr[l["magic_offset"].get<size_t>()]) == std::stoull(magic_hex, nullptr, 16));
    CHECK(std::string(fr.begin() + 42, fr.begin() + 50) == "!zjxtql!");
    CHECK(load_le64(&fr[l["tag_offset"].get<size_t>()]) == 0);
    CHECK(std::equal(samples.begin(), samples.end(), fr.begin() + l["data_offset"].get<long>()));
    CHECK(load_le64(&fr[f.seq_offset()]) == seq);
    CHECK(fr[f.seq_offset()] == 0x08); // little-endian
    // And it parses back.
    const auto p = parse_frame(f, fr);
    REQUIRE(p);
    CHECK(p->complete);
    CHECK(p->tag == 0);
    CHECK(p->seq == seq);
    CHECK(std::equal(p->sample_bytes.begin(), p->sample_bytes.end(), samples.begin()));
  }
}

TEST_CASE("packetgen: --format osh-u32/osh-f64 is the contract of a magic-only object",
          "[packetgen]") {
  for (const char* name : {"osh-u32", "osh-f64"}) {
    auto w = wire_format_osh(name, 100, "0.05");
    REQUIRE(w);
    const auto input =
        std::string(name) == "osh-u32" ? anova::InputFormat::U32 : anova::InputFormat::F64;
    const WireFormat c = format_of(input, "0.05", 100);
    CHECK(w->encoding == c.encoding);
    CHECK(w->magic_offset == c.magic_offset);
    CHECK(w->tag_offset == c.tag_offset);
    CHECK(w->data_offset == c.data_offset);
    CHECK(w->stride == c.stride);
    CHECK(w->frame_size() == c.frame_size());
    CHECK(w->scale == 100);
    CHECK(w->epsilon == "0.05");
  }
  CHECK_FALSE(wire_format_osh("osh-f32", 100, "0.1"));
  CHECK_FALSE(wire_format_osh("osh-u32", 100, "0.1x"));
  CHECK_FALSE(wire_format_osh("osh-u32", 0, "0.1"));
}

TEST_CASE("packetgen: malformed contracts are refused with the object's name", "[packetgen]") {
  const auto good = contract_of(anova::InputFormat::U32);
  auto refused = [&](nlohmann::json c, const std::string& needle) {
    auto f = wire_format_from_contract(c, "prog.o");
    REQUIRE_FALSE(f);
    const std::string text = f.diagnostics().render();
    INFO(text);
    CHECK(text.find("prog.o") != std::string::npos);
    CHECK(text.find(needle) != std::string::npos);
  };
  auto c = good;
  c["model"] = "mlp";
  refused(c, "model 'mlp'");
  c = good;
  c.erase("layout");
  refused(c, "missing or malformed");
  c = good;
  c["layout"]["tag_offset"] = 46;
  refused(c, "overlaps");
  c = good;
  c["layout"]["data_offset"] = 30;
  refused(c, "outside the payload");
  c = good;
  c["layout"]["encoding"] = "f64le";
  refused(c, "encoding");
  c = good;
  c["layout"]["samples"] = 8;
  c["layout"]["frame_bytes"] = 90;
  refused(c, "samples 8 with window 8");
  c = good;
  c["layout"]["samples"] = 24;
  c["anova"]["window"] = 12;
  refused(c, "N a power of two from 2 to 64");
  c = good;
  c["anova"]["window"] = "eight";
  refused(c, "missing or malformed");
  c = good;
  c["anova"]["epsilon"] = "-1";
  refused(c, "epsilon");
  c = good;
  c["layout"]["payload_offset"] = 46;
  refused(c, "payload_offset");
}

TEST_CASE("packetgen: every sliding window is sent, the last one included", "[packetgen]") {
  CHECK(window_count(0) == 0);
  CHECK(window_count(15) == 0);
  CHECK(window_count(16) == 1);
  CHECK(window_count(17) == 2);
  CHECK(window_count(5000) == 4985);
  const WireFormat f = format_of(anova::InputFormat::U32);
  auto s = Series::make(f, ramp(20), "ramp.txt");
  REQUIRE(s);
  REQUIRE(s->windows() == 5);
  // Window w carries values w .. w+15: the last window ends with the last value.
  for (size_t w = 0; w < s->windows(); ++w) {
    const auto bytes = s->window_bytes(w);
    REQUIRE(bytes.size() == 64);
    for (size_t k = 0; k < 16; ++k)
      CHECK(le32(&bytes[4 * k]) == *anova::integerize_decimal(s->values()[w + k].text, 16384));
  }
  CHECK(le32(&s->window_bytes(4)[60]) == *anova::integerize_decimal(s->values()[19].text, 16384));
  // f64: the doubles' bits.
  const WireFormat d = format_of(anova::InputFormat::F64);
  auto sd = Series::make(d, ramp(16), "ramp.txt");
  REQUIRE(sd);
  REQUIRE(sd->windows() == 1);
  const auto b = sd->window_bytes(0);
  for (size_t k = 0; k < 16; ++k)
    CHECK(load_le64(&b[8 * k]) == std::bit_cast<uint64_t>(sd->values()[k].value));
  // The example series: 5000 values, 4985 windows (the 2019 sender sent 4984).
  auto prices = read_data_file(testing::source_path("examples/prices.txt"));
  REQUIRE(prices);
  auto sp = Series::make(f, std::move(*prices), "prices.txt");
  REQUIRE(sp);
  CHECK(sp->windows() == 4985);
}

TEST_CASE("packetgen: values the u32 format cannot carry are errors naming their line",
          "[packetgen]") {
  const WireFormat f = format_of(anova::InputFormat::U32);
  auto with = [&](const std::string& bad) {
    auto v = ramp(20);
    v[12].text = bad;
    v[12].value = std::strtod(bad.c_str(), nullptr);
    return Series::make(f, v, "data.txt");
  };
  for (const char* bad : {"-0.5", "nan", "inf", "300000", "0x10"}) {
    auto s = with(bad);
    REQUIRE_FALSE(s);
    const std::string text = s.diagnostics().render();
    INFO(text);
    CHECK(text.find("data.txt:13: error") != std::string::npos);
    CHECK(text.find(bad) != std::string::npos);
  }
  CHECK(with("-0.00")); // negative zero is 0
  CHECK(with("262143.99"));
  // f64 carries anything: the program answers "invalid" itself.
  const WireFormat d = format_of(anova::InputFormat::F64);
  auto v = ramp(20);
  v[3] = {"nan", std::numeric_limits<double>::quiet_NaN(), 4};
  CHECK(Series::make(d, v, "data.txt"));
  // Too few values for one window.
  auto few = Series::make(f, ramp(15), "few.txt");
  REQUIRE_FALSE(few);
  CHECK(few.diagnostics().render().find("15 value(s)") != std::string::npos);
}

TEST_CASE("packetgen: reference tags per window", "[packetgen]") {
  const WireFormat f = format_of(anova::InputFormat::U32);
  auto values = read_data_file(testing::source_path("examples/prices.txt"));
  REQUIRE(values);
  auto s = Series::make(f, *values, "prices.txt");
  REQUIRE(s);
  auto exact = expected_tags(*s, Reference::Exact);
  auto osh = expected_tags(*s, Reference::OshInt);
  auto dbl = expected_tags(*s, Reference::Double);
  REQUIRE(exact);
  REQUIRE(osh);
  REQUIRE(dbl);
  CHECK(exact->notes.empty());
  const auto params = *anova::make_params("0.1", 16384);
  size_t splits = 0;
  for (size_t w = 0; w < s->windows(); ++w) {
    std::array<uint32_t, 16> x{};
    std::array<double, 16> d{};
    for (size_t k = 0; k < 16; ++k) {
      x[k] = s->integerized(w + k);
      d[k] = (*values)[w + k].value;
    }
    REQUIRE(exact->tags[w] == anova::decide_exact(x, params));
    REQUIRE(osh->tags[w] == anova::decide_osh_int_samples(x));
    REQUIRE(dbl->tags[w] == anova::decide_double(d, 0.1));
    splits += exact->tags[w] == anova::kSplit;
  }
  CHECK(splits == 265); // examples/README.md: decide_exact at x16384
  // f64: a sample program_f64_fixed cannot convert makes the whole window invalid.
  const WireFormat fd = format_of(anova::InputFormat::F64);
  auto v = ramp(20);
  v[17] = {"-1", -1.0, 18};
  auto sd = Series::make(fd, v, "neg.txt");
  REQUIRE(sd);
  auto t = expected_tags(*sd, Reference::Exact);
  REQUIRE(t);
  CHECK(t->tags[0] != anova::kInvalid);
  CHECK(t->tags[1] != anova::kInvalid);
  CHECK(t->tags[2] == anova::kInvalid); // windows 2..4 contain value 17
  CHECK(t->tags[3] == anova::kInvalid);
  CHECK(t->tags[4] == anova::kInvalid);
  // osh-int with other parameters says that its constants are fixed.
  auto s100 = Series::make(format_of(anova::InputFormat::U32, "0.1", 100), ramp(20), "r.txt");
  REQUIRE(s100);
  auto note = expected_tags(*s100, Reference::OshInt);
  REQUIRE(note);
  CHECK(note->notes.size() == 1);
  CHECK(parse_reference("exact") == Reference::Exact);
  CHECK(parse_reference("osh-int") == Reference::OshInt);
  CHECK(parse_reference("double") == Reference::Double);
  CHECK_FALSE(parse_reference("float"));
}

TEST_CASE("reference: decide_osh_int_samples is decide_osh_int after its truncation",
          "[packetgen][anova]") {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    std::array<double, 16> x{};
    std::array<uint32_t, 16> xi{};
    const double base = static_cast<double>(rng() % 20000) / 100.0;
    for (size_t k = 0; k < 16; ++k) {
      x[k] = base + static_cast<double>(rng() % (i % 3 == 0 ? 5 : 50)) / 100.0 +
             (k >= 8 && i % 5 == 0 ? 1.0 : 0.0);
      xi[k] = static_cast<uint32_t>(x[k] * 16384);
    }
    REQUIRE(anova::decide_osh_int(x) == anova::decide_osh_int_samples(xi));
  }
}

TEST_CASE("packetgen: accounting of lost, duplicated, reordered and corrupted frames",
          "[packetgen]") {
  // 12 windows: expected tags alternate split / no split, window 5 is invalid.
  std::vector<uint8_t> tags(12);
  for (size_t w = 0; w < tags.size(); ++w) tags[w] = w % 2 ? 2 : 1;
  tags[5] = 3;
  auto intact = [&](uint64_t seq, uint64_t tag) { return Arrival{seq, true, tag}; };

  SECTION("everything once, in order: passes") {
    Tally t(tags, 12);
    for (uint64_t w = 0; w < 12; ++w) {
      CHECK_FALSE(t.complete());
      t.add(intact(w, tags[w]));
    }
    CHECK(t.complete());
    const auto s = t.summary();
    CHECK(s.passed());
    CHECK(s.received == 12);
    CHECK(s.ok == 12);
    CHECK(s.invalid == 1); // window 5, as the reference says: not a mismatch
    CHECK(s.mismatched == 0);
    CHECK(s.lost + s.duplicated + s.reordered + s.corrupted + s.unprocessed == 0);
    CHECK(s.got_split == 6);
    CHECK(s.got_no_split == 5);
    CHECK(s.expected_split == 6);
  }
  SECTION("reordering alone passes, and is counted per late frame") {
    Tally t(tags, 12);
    for (uint64_t w : {0, 2, 1, 3, 7, 4, 5, 6, 8, 9, 11, 10}) t.add(intact(w, tags[w]));
    const auto s = t.summary();
    CHECK(s.passed());
    CHECK(s.reordered == 5); // 1 after 2; 4, 5, 6 after 7; 10 after 11
    CHECK(s.ok == 12);
  }
  SECTION("loss, duplicates, corruption and wrong tags fail, each counted once") {
    Tally t(tags, 12);
    t.add(intact(0, tags[0]));
    t.add(intact(0, tags[0]));         // duplicate
    t.add(intact(1, 0));               // unprocessed: a mismatch
    t.add(Arrival{2, false, tags[2]}); // samples damaged: corrupted, window 2 still lost
    t.add(intact(3, 3));               // invalid where the reference says no split
    t.add(intact(99, 1));              // a window the data does not have: corrupted
    t.add(Arrival{4, false, 0});       // short frame
    for (uint64_t w = 6; w < 12; ++w) t.add(intact(w, tags[w]));
    t.add(intact(8, 2)); // a duplicate with another tag: still a duplicate
    CHECK_FALSE(t.complete());
    const auto s = t.summary();
    CHECK_FALSE(s.passed());
    CHECK(s.received == 14);
    CHECK(s.received == s.ok + s.mismatched + s.duplicated + s.corrupted);
    CHECK(s.duplicated == 2);
    CHECK(s.corrupted == 3);
    CHECK(s.unprocessed == 1);
    CHECK(s.invalid == 1);
    CHECK(s.mismatched == 2);
    CHECK(s.ok == 7);   // 0, 6..11
    CHECK(s.lost == 3); // 2, 4, 5
    CHECK(s.first_lost == std::vector<uint64_t>{2, 4, 5});
    REQUIRE(s.first_mismatches.size() == 2);
    CHECK(s.first_mismatches[0].window == 1);
    CHECK(s.first_mismatches[0].expected == 2);
    CHECK(s.first_mismatches[0].got == 0);
    CHECK(s.first_mismatches[1].window == 3);
    CHECK(s.first_mismatches[1].got == 3);
  }
  SECTION("--expect limits the windows that must arrive; mismatches listed lowest first") {
    std::vector<uint8_t> many(40, 2);
    Tally t(many, 30);
    for (uint64_t w = 40; w-- > 0;) t.add(intact(w, 1)); // all wrong, in reverse
    const auto s = t.summary();
    CHECK(t.complete());
    CHECK(s.expected == 30);
    CHECK(s.lost == 0);
    CHECK(s.mismatched == 40);
    CHECK(s.reordered == 39);
    REQUIRE(s.first_mismatches.size() == Summary::kMaxListed);
    for (size_t i = 0; i < Summary::kMaxListed; ++i) CHECK(s.first_mismatches[i].window == i);
  }
  SECTION("expect beyond the data is capped") {
    Tally t(tags, 1000);
    CHECK(t.summary().expected == 12);
    CHECK(t.summary().lost == 12);
  }
}

TEST_CASE("packetgen: received frames are classified against the series", "[packetgen]") {
  const WireFormat f = format_of(anova::InputFormat::U32);
  auto s = Series::make(f, ramp(30), "ramp.txt");
  REQUIRE(s);
  Endpoints ep;
  auto frame = build_frame(f, ep, s->window_bytes(7), 7);
  store_le64(&frame[f.tag_offset], 2); // as the program would
  auto p = parse_frame(f, frame);
  REQUIRE(p);
  auto a = classify(*s, *p);
  CHECK(a.intact);
  CHECK(a.seq == 7);
  CHECK(a.tag == 2);
  // The samples of another window under this sequence number.
  auto wrong = build_frame(f, ep, s->window_bytes(8), 7);
  CHECK_FALSE(classify(*s, *parse_frame(f, wrong)).intact);
  // One flipped bit in a sample.
  auto flipped = frame;
  flipped[f.data_offset + 33] ^= 4;
  CHECK_FALSE(classify(*s, *parse_frame(f, flipped)).intact);
  // A sequence number past the last window.
  auto past = build_frame(f, ep, s->window_bytes(7), s->windows());
  CHECK_FALSE(classify(*s, *parse_frame(f, past)).intact);
  // Truncated before the sequence number: ours (magic), but incomplete.
  std::vector<uint8_t> cut(frame.begin(), frame.begin() + f.seq_offset() + 4);
  auto pc = parse_frame(f, cut);
  REQUIRE(pc);
  CHECK_FALSE(pc->complete);
  CHECK_FALSE(classify(*s, *pc).intact);
  // Not ours: other magic, or too short to hold one.
  auto other = frame;
  other[f.magic_offset] ^= 1;
  CHECK_FALSE(parse_frame(f, other));
  CHECK_FALSE(parse_frame(f, std::span<const uint8_t>(frame.data(), 49)));
  // Trailing bytes (Ethernet padding) do not matter.
  auto padded = frame;
  padded.resize(frame.size() + 10, 0);
  CHECK(classify(*s, *parse_frame(f, padded)).intact);
}

TEST_CASE("packetgen: pcap files in the classic format", "[packetgen]") {
  const auto h = pcap_file_header();
  REQUIRE(h.size() == 24);
  CHECK(le32(&h[0]) == 0xa1b2c3d4);
  CHECK((h[4] | h[5] << 8) == 2);
  CHECK((h[6] | h[7] << 8) == 4);
  CHECK(le32(&h[8]) == 0);
  CHECK(le32(&h[12]) == 0);
  CHECK(le32(&h[16]) == 65535);
  CHECK(le32(&h[20]) == 1); // LINKTYPE_ETHERNET
  const auto r = pcap_record_header(1700000000123456789ull, 60, 70);
  REQUIRE(r.size() == 16);
  CHECK(le32(&r[0]) == 1700000000u);
  CHECK(le32(&r[4]) == 123456u); // microseconds, truncated
  CHECK(le32(&r[8]) == 60);
  CHECK(le32(&r[12]) == 70);

  const std::string path = temp_path("frames.pcap");
  auto w = PcapWriter::open(path);
  REQUIRE(w);
  const std::vector<uint8_t> a(130, 0xaa), b(186, 0xbb);
  REQUIRE(w->write(a, 1000000000ull * 5 + 7000));
  REQUIRE(w->write(b, 1000000000ull * 6));
  CHECK(w->frames() == 2);
  REQUIRE(w->close());
  const auto bytes = read_file(path);
  std::remove(path.c_str());
  REQUIRE(bytes.size() == 24 + 16 + 130 + 16 + 186);
  CHECK(std::equal(h.begin(), h.end(), bytes.begin()));
  const uint8_t* r1 = &bytes[24];
  CHECK(le32(r1) == 5);
  CHECK(le32(r1 + 4) == 7);
  CHECK(le32(r1 + 8) == 130);
  CHECK(le32(r1 + 12) == 130);
  CHECK(bytes[40] == 0xaa);
  const uint8_t* r2 = &bytes[24 + 16 + 130];
  CHECK(le32(r2) == 6);
  CHECK(le32(r2 + 8) == 186);
  CHECK(bytes.back() == 0xbb);
  CHECK_FALSE(PcapWriter::open("/nonexistent-dir/x.pcap"));
}

TEST_CASE("packetgen: testbed names must start with xdpml-", "[packetgen]") {
  CHECK(check_testbed_name("xdpml-tb"));
  CHECK(check_testbed_name("xdpml-e2e-123_a.b"));
  CHECK_FALSE(check_testbed_name("xdpml-"));
  CHECK_FALSE(check_testbed_name("tb"));
  CHECK_FALSE(check_testbed_name("my-xdpml-tb"));
  CHECK_FALSE(check_testbed_name("xdpml-a/b"));
  CHECK_FALSE(check_testbed_name("xdpml-a b"));
  CHECK_FALSE(check_testbed_name("xdpml-$(reboot)"));
  CHECK_FALSE(check_testbed_name("xdpml-" + std::string(60, 'a')));
  auto r = run_command({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  REQUIRE(r);
  CHECK(r->status == 3);
  CHECK(r->output == "out\nerr\n");
  CHECK_FALSE(run_command({"/nonexistent/xdpml-no-such-tool"}));
}

TEST_CASE("packetgen: generated frames through the compiled program get the expected tags",
          "[packetgen][kernel]") {
  if (testing::no_kernel()) return;
  auto values = read_data_file(testing::source_path("examples/prices.txt"));
  REQUIRE(values);
  for (auto input : {anova::InputFormat::U32, anova::InputFormat::F64}) {
    anova::AnovaSpec spec;
    spec.input = input;
    auto m = anova::compile_anova(spec, {});
    REQUIRE(m);
    auto prog = bpf::load_program(m->program.insns, {});
    REQUIRE(prog);
    auto f = wire_format_from_contract(m->contract, "anova.o");
    REQUIRE(f);
    auto s = Series::make(*f, *values, "prices.txt");
    REQUIRE(s);
    auto tags = expected_tags(*s, Reference::Exact);
    REQUIRE(tags);
    Tally tally(tags->tags, s->windows());
    Endpoints ep;
    for (size_t w = 0; w < s->windows(); w += 3) {
      const auto frame = build_frame(*f, ep, s->window_bytes(w), w);
      auto r = bpf::test_run(prog->fd.get(), frame);
      REQUIRE(r);
      REQUIRE(r->retval == 2); // XDP_PASS
      auto p = parse_frame(*f, r->data_out);
      REQUIRE(p);
      tally.add(classify(*s, *p));
    }
    const auto sum = tally.summary();
    CHECK(sum.mismatched == 0);
    CHECK(sum.corrupted == 0);
    CHECK(sum.ok == (s->windows() + 2) / 3);
  }
}

// ---- networks -------------------------------------------------------------------------------

namespace {

struct NetworkExample {
  model::FeatureTable test;
  compiler::CompiledModel compiled;
  WireFormat format;
  Network net;
};

NetworkExample network_example(const std::string& name, bool strict = false, bool u32 = false) {
  const std::string dir = testing::source_path("examples/models/" + name + "/");
  auto m = model::read_model_json_file(dir + "model.json");
  REQUIRE(m);
  if (u32) {
    m->input.encoding = model::FeatureEncoding::U32;
    for (double& v : m->input.min) v = std::max(v, 0.0);
  }
  auto calib = model::read_feature_csv(dir + "calib.csv", m->input.features);
  REQUIRE(calib);
  auto test = model::read_feature_csv(dir + "test.csv", m->input.features);
  REQUIRE(test);
  model::ModelCompileOptions o;
  o.match.strict_align = strict;
  auto compiled = model::compile_model(*m, &*calib, o);
  INFO((compiled ? "" : compiled.diagnostics().render()));
  REQUIRE(compiled);
  auto f = wire_format_from_contract(compiled->compiled.contract, name + ".o");
  INFO((f ? "" : f.diagnostics().render()));
  REQUIRE(f);
  auto net = network_from_contract(compiled->compiled.contract, *f, true);
  INFO((net ? "" : net.diagnostics().render()));
  REQUIRE(net);
  return {std::move(*test), std::move(compiled->compiled), *f, std::move(*net)};
}

// What a correct program answers for row w: the reference's tag and result written in place.
std::vector<uint8_t> answered(const NetworkExample& ex, const Series& s, const Expected& e,
                              size_t w) {
  auto frame = build_frame(ex.format, {}, s.window_bytes(w), w);
  frame[ex.format.tag_offset] = e.tags[w];
  if (!e.results.empty())
    store_le32(&frame[ex.format.result_offset], static_cast<uint32_t>(e.results[w]));
  return frame;
}

} // namespace

TEST_CASE("packetgen: network frames follow the contract byte by byte", "[packetgen][network]") {
  for (const char* name : {"classifier", "aurora"}) {
    INFO(name);
    const auto ex = network_example(name);
    const WireFormat& f = ex.format;
    const auto& l = ex.compiled.contract["layout"];
    const uint32_t n = ex.net.q.features;
    CHECK(f.model == ModelKind::Network);
    CHECK(f.encoding == Encoding::I32);
    CHECK(f.samples == n);
    CHECK(f.stride == 4);
    CHECK(f.magic_offset == 42);
    CHECK(f.tag_offset == 50);
    CHECK(f.result_offset == 58);
    CHECK(f.result_bytes == 4);
    CHECK(f.data_offset == 66);
    CHECK(f.argmax == (std::string(name) == "classifier"));
    // The sequence number directly follows the features.
    CHECK(f.seq_offset() == 66 + 4 * n);
    CHECK(f.seq_offset() == l["frame_bytes"].get<uint32_t>());
    CHECK(f.frame_size() == 66 + 4 * n + 8);

    const Series s = network_series(f, ex.net.q, ex.test);
    CHECK(s.rows());
    REQUIRE(s.windows() == ex.test.rows.size());
    const size_t row = 3;
    const auto wire = model::wire_values(ex.net.q, ex.test.rows[row]);
    CHECK(s.row_wire(row) == wire);
    Endpoints ep;
    const auto fr = build_frame(f, ep, s.window_bytes(row), row);
    REQUIRE(fr.size() == f.frame_size());
    CHECK(be16(fr, 12) == 0x0800);
    CHECK(be16(fr, 16) == fr.size() - 14);
    CHECK(be16(fr, 18) == row);
    CHECK(ipv4_checksum({fr.data() + 14, 20}) == 0);
    CHECK(be16(fr, 36) == 6666);
    CHECK(be16(fr, 38) == fr.size() - 34);
    CHECK(std::string(fr.begin() + 42, fr.begin() + 50) == "!zjxtql!");
    CHECK(load_le64(&fr[50]) == 0); // tag: please process
    CHECK(load_le64(&fr[58]) == 0); // result and its reserved half
    for (uint32_t i = 0; i < n; ++i) {
      INFO("feature " << i);
      CHECK(static_cast<int32_t>(le32(&fr[66 + 4 * i])) == wire[i]);
    }
    CHECK(load_le64(&fr[66 + 4 * n]) == row);

    // What a program writes parses back: tag, the signed result, the features untouched.
    auto out = fr;
    out[50] = 1;
    store_le32(&out[58], static_cast<uint32_t>(-123456));
    const auto p = parse_frame(f, out);
    REQUIRE(p);
    CHECK(p->complete);
    CHECK(p->tag == 1);
    CHECK(p->seq == row);
    CHECK(p->result_bytes.size() == 4);
    CHECK(std::equal(p->sample_bytes.begin(), p->sample_bytes.end(), fr.begin() + 66));
    const auto a = classify(s, *p);
    CHECK(a.intact);
    CHECK(a.result == -123456);
    // A feature changed in flight: not that row's frame any more.
    auto damaged = out;
    damaged[66 + 4 * (n - 1)] ^= 1;
    CHECK_FALSE(classify(s, *parse_frame(f, damaged)).intact);
    // Cut inside the features: ours, incomplete.
    const auto cut = parse_frame(f, std::span<const uint8_t>(out.data(), 66 + 2));
    REQUIRE(cut);
    CHECK_FALSE(cut->complete);
  }
}

TEST_CASE("packetgen: network rows on the wire, u32 features and random rows",
          "[packetgen][network]") {
  const auto ex = network_example("classifier", false, true);
  CHECK(ex.format.encoding == Encoding::U32);
  const Series s = network_series(ex.format, ex.net.q, ex.test);
  for (size_t r = 0; r < s.windows(); r += 17) {
    const auto wire = s.row_wire(r);
    CHECK(wire == model::wire_values(ex.net.q, ex.test.rows[r]));
    for (auto v : wire) CHECK(v >= 0);
  }
  // Words above 2^31 stay unsigned; in an i32 contract they are negative.
  WireFormat u = ex.format, i = ex.format;
  u.samples = i.samples = 1;
  i.encoding = Encoding::I32;
  CHECK(Series::from_rows(u, {0xfffffffeu, 7}, "x").row_wire(0) ==
        std::vector<int64_t>{4294967294});
  CHECK(Series::from_rows(i, {0xfffffffeu, 7}, "x").row_wire(0) == std::vector<int64_t>{-2});
  CHECK(Series::from_rows(i, {0xfffffffeu, 7}, "x").windows() == 2);

  const auto r1 = random_network_series(ex.format, ex.net.wire_min, ex.net.wire_max, 50);
  const auto r2 = random_network_series(ex.format, ex.net.wire_min, ex.net.wire_max, 50);
  REQUIRE(r1.windows() == 50);
  bool varied = false;
  for (size_t r = 0; r < 50; ++r) {
    CHECK(r1.row_wire(r) == r2.row_wire(r)); // seeded
    const auto w = r1.row_wire(r);
    for (size_t k = 0; k < w.size(); ++k) {
      CHECK(w[k] >= ex.net.wire_min[k]);
      CHECK(w[k] <= ex.net.wire_max[k]);
    }
    varied = varied || w != r1.row_wire(0);
  }
  CHECK(varied);
}

TEST_CASE("packetgen: network tags and results against the bit-exact reference",
          "[packetgen][network]") {
  for (const char* name : {"classifier", "aurora"}) {
    INFO(name);
    const auto ex = network_example(name);
    const bool regression = !ex.format.argmax;
    const Series s = network_series(ex.format, ex.net.q, ex.test);
    const Expected e = network_expected(s, ex.net.q);
    REQUIRE(e.tags.size() == s.windows());
    CHECK(e.results.size() == (regression ? s.windows() : 0u));
    CHECK(e.keep_judged);
    for (size_t w = 0; w < s.windows(); ++w) {
      const auto d = model::decide(ex.net.q, model::wire_values(ex.net.q, ex.test.rows[w]));
      REQUIRE(e.tags[w] == d.tag);
      if (regression) REQUIRE(e.results[w] == d.result);
    }

    // Every row answered as the reference says (row 5 twice, row 9 never, row 2 with the wrong
    // tag, row 4 with a result off by one, a damaged frame): the accounting and the figures.
    Tally tally(e, s.windows());
    for (size_t w = s.windows(); w-- > 0;) {
      if (w == 9) continue;
      auto frame = answered(ex, s, e, w);
      if (w == 2)
        frame[ex.format.tag_offset] = regression ? 0 : static_cast<uint8_t>(3 - e.tags[w]);
      if (w == 4 && regression)
        store_le32(&frame[ex.format.result_offset], static_cast<uint32_t>(e.results[w] + 1));
      tally.add(classify(s, *parse_frame(ex.format, frame)));
      if (w == 5) tally.add(classify(s, *parse_frame(ex.format, frame)));
    }
    auto damaged = answered(ex, s, e, 7);
    damaged[ex.format.data_offset] ^= 0x80;
    tally.add(classify(s, *parse_frame(ex.format, damaged)));
    const auto sum = tally.summary();
    CHECK(sum.results_judged == regression);
    CHECK(sum.windows == s.windows());
    CHECK(sum.lost == 1);
    CHECK(sum.first_lost == std::vector<uint64_t>{9});
    CHECK(sum.duplicated == 1);
    CHECK(sum.corrupted == 1);
    CHECK(sum.reordered == s.windows() - 2); // descending: every judged row after the first
    const uint64_t bad = regression ? 2 : 1;
    CHECK(sum.mismatched == bad);
    CHECK(sum.ok == s.windows() - 1 - bad);
    CHECK(sum.received == s.windows() - 1 + 2);
    REQUIRE(sum.first_mismatches.size() == bad);
    CHECK(sum.first_mismatches[0].window == 2);
    CHECK(sum.first_mismatches[0].expected == e.tags[2]);
    if (regression) {
      CHECK(sum.first_mismatches[0].got == 0);
      CHECK(sum.unprocessed == 1);
      CHECK(sum.first_mismatches[1].window == 4);
      CHECK(sum.first_mismatches[1].got == 1);
      CHECK(sum.first_mismatches[1].expected_result == e.results[4]);
      CHECK(sum.first_mismatches[1].got_result == e.results[4] + 1);
    }
    const auto& judged = tally.judged();
    REQUIRE(judged.size() == s.windows());
    CHECK_FALSE(judged[9].arrived);
    CHECK(judged[0].arrived);
    CHECK(judged[0].tag == e.tags[0]);
    if (regression) CHECK(judged[0].result == e.results[0]);
  }
}

TEST_CASE("packetgen: network fidelity is the compiler's on the reference's answers",
          "[packetgen][network]") {
  for (const char* name : {"classifier", "aurora"}) {
    INFO(name);
    const auto ex = network_example(name);
    const Series s = network_series(ex.format, ex.net.q, ex.test);
    const Expected e = network_expected(s, ex.net.q);
    std::vector<Judged> judged(s.windows());
    for (size_t w = 0; w < s.windows(); ++w)
      judged[w] = {true, e.tags[w], e.results.empty() ? 0 : e.results[w]};
    REQUIRE(ex.net.float_model);
    const auto want = model::measure_fidelity(*ex.net.float_model, ex.net.q, ex.test);
    const auto got = network_fidelity(ex.net, ex.test, judged);
    CHECK(got.float_model);
    CHECK(got.rows == ex.test.rows.size());
    CHECK(got.unanswered == 0);
    CHECK(got.labelled == ex.test.rows.size());
    const auto j = got.to_json();
    if (ex.format.argmax) {
      CHECK(got.agree == want.agree);
      CHECK(got.quantized_correct == want.quantized_correct);
      CHECK(got.float_correct == want.float_correct);
      // The example's float model: 161 of 171 right (examples/models/README.md).
      CHECK(got.float_correct == 161);
      CHECK(j.at("argmax_agreement").get<double>() == Approx(double(want.agree) / 171));
      CHECK(j.at("float_accuracy").get<double>() == Approx(161.0 / 171));
      CHECK(j.contains("quantized_accuracy"));
    } else {
      CHECK(got.mean_abs == Approx(want.mean_abs).epsilon(1e-12));
      CHECK(got.max_abs == want.max_abs);
      CHECK(got.max_abs < 0.02);
      CHECK(got.float_label_mean_abs < 0.01);
      CHECK(j.at("mean_abs_error").get<double>() == got.mean_abs);
      CHECK(j.contains("quantized_label_mean_abs_error"));
      CHECK(j.contains("float_label_mean_abs_error"));
    }
    // Unanswered frames (tag 0) and rows that never came are left out.
    judged[0] = {true, 0, 0};
    judged[1].arrived = false;
    const auto fewer = network_fidelity(ex.net, ex.test, judged);
    CHECK(fewer.rows == ex.test.rows.size() - 2);
    CHECK(fewer.unanswered == 1);
    CHECK(fewer.to_json().at("unanswered") == 1);
  }
}

TEST_CASE("packetgen: malformed network contracts are refused with the object's name",
          "[packetgen][network]") {
  const auto ex = network_example("classifier");
  const auto good = ex.compiled.contract;
  auto refused = [&](nlohmann::json c, const std::string& needle) {
    std::string text;
    if (auto f = wire_format_from_contract(c, "net.o"); !f)
      text = f.diagnostics().render();
    else if (auto n = network_from_contract(c, *f, true); !n)
      text = n.diagnostics().render();
    INFO(text);
    REQUIRE_FALSE(text.empty());
    CHECK(text.find("net.o") != std::string::npos);
    CHECK(text.find(needle) != std::string::npos);
  };
  auto c = good;
  c["layout"]["features"] = 7;
  c["layout"]["frame_bytes"] = 94;
  c["input"]["features"] = 7;
  c["input"]["wire_min"].push_back(0);
  c["input"]["wire_max"].push_back(0);
  refused(c, "quantized model takes 6 i32 features");
  c = good;
  c["output"]["classes"] = 3;
  refused(c, "disagrees with the contract's output");
  c = good;
  c.erase("quantized");
  refused(c, "no quantized model");
  c = good;
  c["quantized"]["features"] = "six";
  refused(c, "quantized:");
  c = good;
  c["float_model"]["layers"] = nlohmann::json::array();
  refused(c, "float");
  c = good;
  c["layout"]["tag_offset"] = 54;
  refused(c, "overlaps");
  // No float model: still checked bit-exactly, only the float figures are missing.
  c = good;
  c.erase("float_model");
  auto f = wire_format_from_contract(c, "net.o");
  REQUIRE(f);
  auto n = network_from_contract(c, *f, true);
  REQUIRE(n);
  CHECK_FALSE(n->float_model);
  CHECK(network_tag_name(*f, 0) == "unprocessed");
  CHECK(network_tag_name(*f, 1) == "class 0 (malignant)");
  CHECK(network_tag_name(*f, 2) == "class 1 (benign)");
  CHECK(network_tag_name(*f, 3) == "unknown");
}

TEST_CASE("packetgen: network test rows through the compiled programs get the reference's answers",
          "[packetgen][network][kernel]") {
  if (testing::no_kernel()) return;
  for (const char* name : {"classifier", "aurora"})
    for (bool strict : {false, true}) {
      INFO(name << (strict ? " --strict-align" : ""));
      const auto ex = network_example(name, strict);
      bpf::LoadOptions lo;
      lo.prog_flags = strict ? 1u : 0u; // BPF_F_STRICT_ALIGNMENT
      auto prog = bpf::load_program(ex.compiled.program.insns, lo);
      INFO((prog ? "" : prog.diagnostics().render()));
      REQUIRE(prog);
      const Series s = network_series(ex.format, ex.net.q, ex.test);
      Tally tally(network_expected(s, ex.net.q), s.windows());
      Endpoints ep;
      for (size_t w = 0; w < s.windows(); ++w) {
        const auto frame = build_frame(ex.format, ep, s.window_bytes(w), w);
        auto r = bpf::test_run(prog->fd.get(), frame);
        REQUIRE(r);
        REQUIRE(r->retval == 2); // XDP_PASS
        auto p = parse_frame(ex.format, r->data_out);
        REQUIRE(p);
        tally.add(classify(s, *p));
      }
      const auto sum = tally.summary();
      CHECK(sum.ok == s.windows());
      CHECK(sum.mismatched == 0);
      CHECK(sum.corrupted == 0);
      CHECK(sum.lost == 0);
      const auto fid = network_fidelity(ex.net, ex.test, tally.judged());
      CHECK(fid.rows == s.windows());
    }
}

// bench (measure/) builds its packets with this module; for regressions it also checks the
// result field of every timed run against the reference.
TEST_CASE("packetgen: bench judges a network's results on the frames built here",
          "[packetgen][network][kernel]") {
  if (testing::no_kernel()) return;
  const auto ex = network_example("aurora");
  auto prog = bpf::load_program(ex.compiled.program.insns, {});
  REQUIRE(prog);
  const Series s = network_series(ex.format, ex.net.q, ex.test);
  const Expected e = network_expected(s, ex.net.q);
  measure::BenchTarget t;
  t.name = "aurora";
  t.fds = {prog->fd.get()};
  for (size_t w = 0; w < 4; ++w) {
    t.packets.push_back(build_frame(ex.format, {}, s.window_bytes(w), w));
    t.windows.push_back(w);
    t.expected_tag.push_back(e.tags[w]);
    // Row 2's expected result is off by one: that run must be reported.
    t.expected_result.push_back(e.results[w] + (w == 2 ? 1 : 0));
  }
  measure::BenchOptions o;
  o.runs = 4;
  o.run_ms = 0.5;
  o.floor_loads = 1;
  o.tag_offset = ex.format.tag_offset;
  o.result_offset = ex.format.result_offset;
  auto r = measure::run_bench({t}, o);
  INFO((r ? "" : r.diagnostics().render()));
  REQUIRE(r);
  const auto& tr = r->targets[0];
  CHECK(tr.checked == 4);
  CHECK(tr.tags_ok == 3);
  REQUIRE(tr.mismatches.size() == 1);
  CHECK_THAT(tr.mismatches[0], Catch::Contains("window 2: result " + std::to_string(e.results[2]) +
                                               ", expected " + std::to_string(e.results[2] + 1)));
  CHECK_FALSE(r->tags_ok());
}
