// The send path's pieces that need no device: frames written in place equal build_frame's, the
// pacing batch size, the foreign traffic (deterministic frames, recognised by their source MAC,
// never mistaken for ours, the mixing schedule, the receiver's accounting) and, where BPF
// programs can be loaded, every kind of foreign frame through the compiled segmenters
// (BPF_PROG_TEST_RUN): passed, and not a byte changed. The senders themselves need a veth pair:
// tests/packetgen/senders.sh.
#include "bpf/kernel.hpp"
#include "compiler/anova/compile.hpp"
#include "packetgen/foreign.hpp"
#include "packetgen/sender.hpp"
#include "packetgen/traffic.hpp"
#include "packetgen/wire.hpp"
#include "test_support.hpp"

#include <cstring>
#include <set>

using namespace xdpml;
using namespace xdpml::packetgen;

namespace {

anova::AnovaSpec spec_of(anova::InputFormat input, anova::MatchMode match, bool strict) {
  anova::AnovaSpec spec;
  spec.input = input;
  spec.match = match;
  spec.strict_align = strict;
  return spec;
}

WireFormat format_of(const anova::AnovaSpec& spec) {
  auto m = anova::compile_anova(spec, {});
  REQUIRE(m);
  auto f = wire_format_from_contract(m->contract, "test.o");
  REQUIRE(f);
  return *f;
}

} // namespace

TEST_CASE("senders: frames written in place equal build_frame's", "[packetgen][sender]") {
  for (auto input : {anova::InputFormat::U32, anova::InputFormat::F64}) {
    const WireFormat f = format_of(spec_of(input, anova::MatchMode::Magic, false));
    Endpoints ep;
    ep.src_mac = {0x02, 1, 2, 3, 4, 5};
    std::vector<uint8_t> samples(f.data_bytes());
    for (size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<uint8_t>(i * 7 + 1);
    for (uint64_t seq : {0ull, 1ull, 65535ull, 65536ull, 1ull << 40}) {
      std::vector<uint8_t> buf(2048, 0xee);
      const size_t n = build_frame_into(f, ep, samples, seq, buf.data());
      const auto want = build_frame(f, ep, samples, seq);
      REQUIRE(n == want.size());
      CHECK(std::equal(want.begin(), want.end(), buf.begin()));
      CHECK(buf[n] == 0xee); // nothing written past the frame
    }
  }
}

TEST_CASE("senders: a paced batch carries what leaves in 50 us", "[packetgen][sender]") {
  CHECK(pacing_burst(0, 64) == 64);     // unpaced: full batches
  CHECK(pacing_burst(10000, 64) == 1);  // 0.5 frames in 50 us: one at a time
  CHECK(pacing_burst(20000, 64) == 1);  // exactly 1
  CHECK(pacing_burst(100000, 64) == 5); // 5
  CHECK(pacing_burst(1000000, 64) == 50);
  CHECK(pacing_burst(1e8, 64) == 64); // capped by --batch
  CHECK(pacing_burst(1e8, 0) == 1);   // a batch of 0 means 1
  CHECK(parse_sender_kind("auto") == SenderKind::Auto);
  CHECK(parse_sender_kind("af_xdp") == SenderKind::AfXdp);
  CHECK(parse_sender_kind("af_packet") == SenderKind::AfPacket);
  CHECK_FALSE(parse_sender_kind("xdp"));
}

TEST_CASE("senders: foreign frames are deterministic, marked and never ours",
          "[packetgen][foreign]") {
  const WireFormat f = format_of(spec_of(anova::InputFormat::U32, anova::MatchMode::Magic, false));
  Endpoints ep;
  std::set<size_t> lengths[kForeignKinds];
  for (uint64_t k = 0; k < 5000; ++k) {
    INFO("foreign frame " << k << " (" << foreign_kind_name(k % kForeignKinds) << ")");
    const auto a = build_foreign_frame(f, ep, k);
    const auto b = build_foreign_frame(f, ep, k);
    REQUIRE(a == b);
    CHECK(a.size() >= 60);
    CHECK(a.size() <= kForeignMaxBytes);
    lengths[k % kForeignKinds].insert(a.size());
    CHECK(foreign_index(a) == k);
    CHECK_FALSE(parse_frame(f, a)); // the receiver never counts it as ours
    std::vector<uint8_t> buf(kForeignMaxBytes);
    CHECK(build_foreign_frame(f, ep, k, buf.data()) == a.size());
  }
  CHECK(lengths[0] == std::set<size_t>{f.frame_size()}); // near miss: our length
  CHECK(lengths[1].size() > 100);                        // other UDP: varied
  CHECK(lengths[2] == std::set<size_t>{60});             // short
  CHECK(lengths[4].size() > 50);                         // other EtherType: varied
  // Our own frames are not foreign, whatever their source MAC.
  std::vector<uint8_t> samples(f.data_bytes(), 1);
  CHECK_FALSE(foreign_index(build_frame(f, ep, samples, 3)));
  CHECK(std::string(foreign_kind_name(3)) == "ipv6");
}

TEST_CASE("senders: foreign frames are mixed in at the ratio asked", "[packetgen][foreign]") {
  CHECK(foreign_count(4985, 0.5) == 2492);
  CHECK(foreign_count(10, 0) == 0);
  CHECK(foreign_count(10, 2) == 20);
  CHECK(foreign_count(4, 0.25) == 1);
  CHECK(foreign_count(3, 0.25) == 0);
  // The sender's schedule: after our i-th frame, foreign ones until floor((i + 1) * R).
  for (double r : {0.25, 0.5, 1.0, 1.5, 3.0}) {
    uint64_t ours = 0, foreign = 0;
    std::string pattern;
    const uint64_t count = 8;
    while (ours < count || foreign < foreign_count(count, r)) {
      if (foreign < foreign_count(ours, r) || ours == count) {
        ++foreign;
        pattern += 'f';
      } else {
        ++ours;
        pattern += 'o';
      }
    }
    INFO("ratio " << r << ": " << pattern);
    CHECK(foreign == foreign_count(count, r));
    if (r == 0.25) CHECK(pattern == "oooofoooof");
  }
}

TEST_CASE("senders: the receiver's accounting of foreign frames", "[packetgen][foreign]") {
  const WireFormat f = format_of(spec_of(anova::InputFormat::U32, anova::MatchMode::Magic, false));
  Endpoints sent;
  sent.dst_mac = {0x02, 9, 9, 9, 9, 9}; // the sender's choice: not compared
  ForeignTally t(f, Endpoints{}, 10);
  for (uint64_t k = 0; k < 10; ++k) {
    if (k == 3) continue; // lost
    auto fr = build_foreign_frame(f, sent, k);
    if (k == 5) fr[fr.size() - 1] ^= 1; // modified (and so not intact: 5 is lost too)
    t.add(k, fr);
  }
  t.add(7, build_foreign_frame(f, sent, 7));   // duplicated
  t.add(12, build_foreign_frame(f, sent, 12)); // beyond the expected indices
  auto trunc = build_foreign_frame(f, sent, 8);
  trunc.pop_back();
  t.add(8, trunc); // a shorter copy of 8 counts as modified
  const auto s = t.summary();
  CHECK(s.expected == 10);
  CHECK(s.received == 12);
  CHECK(s.intact == 8);
  CHECK(s.modified == 2);
  CHECK(s.first_modified == 5);
  CHECK(s.duplicated == 1);
  CHECK(s.unexpected == 1);
  CHECK(s.lost == 2);
  CHECK_FALSE(s.passed());
  uint64_t by_kind = 0;
  for (auto n : s.per_kind_received) by_kind += n;
  CHECK(by_kind == s.received);
}

TEST_CASE("senders: every kind of foreign frame passes the compiled programs untouched",
          "[packetgen][foreign][kernel]") {
  if (testing::no_kernel()) return;
  for (auto input : {anova::InputFormat::U32, anova::InputFormat::F64})
    for (auto match : {anova::MatchMode::Magic, anova::MatchMode::Full})
      for (bool strict : {false, true}) {
        const auto spec = spec_of(input, match, strict);
        INFO((input == anova::InputFormat::U32 ? "u32" : "f64")
             << (match == anova::MatchMode::Full ? " full match" : " magic match")
             << (strict ? " strict-align" : ""));
        auto m = anova::compile_anova(spec, {});
        REQUIRE(m);
        bpf::LoadOptions lo;
        lo.prog_flags = strict ? 1u : 0u; // BPF_F_STRICT_ALIGNMENT
        auto prog = bpf::load_program(m->program.insns, lo);
        INFO((prog ? "" : prog.diagnostics().render()));
        REQUIRE(prog);
        const WireFormat f = format_of(spec);
        Endpoints ep;
        for (uint64_t k = 0; k < 200; ++k) {
          INFO("foreign frame " << k << " (" << foreign_kind_name(k % kForeignKinds) << ")");
          const auto frame = build_foreign_frame(f, ep, k);
          auto r = bpf::test_run(prog->fd.get(), frame);
          REQUIRE(r);
          CHECK(r->retval == 2); // XDP_PASS
          CHECK(r->data_out == frame);
        }
      }
}
