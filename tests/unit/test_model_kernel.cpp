// Compiled networks against the bit-exact reference through the kernel (BPF_PROG_TEST_RUN with
// a fresh packet per run): the example models in their i32 / u32 / strict-alignment /
// full-match variants, on their test rows, random rows inside and outside the declared ranges
// (the clamps) and arbitrary 32-bit patterns. Every frame must come back with the reference's
// tag and result and every other byte unchanged; frames that are not ours must pass untouched.
#include "bpf/kernel.hpp"
#include "compiler/interpret.hpp"
#include "compiler/model/compile.hpp"
#include "compiler/model/json_import.hpp"
#include "compiler/model/lower.hpp"
#include "test_support.hpp"

#include <cstring>
#include <iostream>
#include <random>

using namespace xdpml;
using namespace xdpml::model;

namespace {

struct Example {
  Model model;
  FeatureTable calib, test;
};

Example load_example(const std::string& name) {
  const std::string dir = testing::source_path("examples/models/" + name + "/");
  auto m = read_model_json_file(dir + "model.json");
  INFO((m ? "" : m.diagnostics().render()));
  REQUIRE(m);
  auto c = read_feature_csv(dir + "calib.csv", m->input.features);
  REQUIRE(c);
  auto t = read_feature_csv(dir + "test.csv", m->input.features);
  REQUIRE(t);
  return {std::move(*m), std::move(*c), std::move(*t)};
}

// The last sequence byte is set: the program must leave it untouched.
std::vector<uint8_t> frame(uint32_t features, const std::vector<int64_t>& wire) {
  return model_frame(features, wire, uint64_t{0x5a} << 56);
}

struct Loaded {
  CompiledNetwork net;
  bpf::LoadedProgram prog;
};

Loaded compile_and_load(const Example& ex, const compiler::MatchSpec& match, bool u32 = false) {
  Model m = ex.model;
  if (u32) {
    m.input.encoding = FeatureEncoding::U32;
    for (double& v : m.input.min) v = std::max(v, 0.0);
  }
  ModelCompileOptions o;
  o.match = match;
  auto net = compile_model(m, &ex.calib, o);
  INFO((net ? "" : net.diagnostics().render()));
  REQUIRE(net);
  bpf::LoadOptions lo;
  lo.prog_flags = match.strict_align ? 1u : 0u; // BPF_F_STRICT_ALIGNMENT
  auto p = bpf::load_program(net->compiled.program.insns, lo);
  INFO((p ? "" : p.diagnostics().render()));
  REQUIRE(p);
  return {std::move(*net), std::move(*p)};
}

// Runs one frame; checks verdict, untouched bytes, and returns what the program wrote.
Decision run(const Loaded& l, const std::vector<uint8_t>& pkt) {
  auto r = bpf::test_run(l.prog.fd.get(), pkt);
  REQUIRE(r);
  REQUIRE(r->retval == 2);
  auto expect_same = pkt;
  std::memcpy(&expect_same[compiler::kTagOffset], &r->data_out[compiler::kTagOffset], 8);
  std::memcpy(&expect_same[kResultOffset], &r->data_out[kResultOffset], 4);
  REQUIRE(r->data_out == expect_same);
  Decision d;
  uint64_t tag = 0;
  std::memcpy(&tag, &r->data_out[compiler::kTagOffset], 8);
  d.tag = static_cast<uint8_t>(tag);
  REQUIRE(tag < 256);
  int32_t result = 0;
  std::memcpy(&result, &r->data_out[kResultOffset], 4);
  d.result = result;
  return d;
}

size_t check_all(const Loaded& l, const std::vector<std::vector<int64_t>>& rows) {
  const QModel& q = l.net.quantized.q;
  size_t mismatches = 0;
  for (const auto& w : rows) {
    const Decision want = decide(q, w);
    const auto pkt = frame(q.features, w);
    const Decision got = run(l, pkt);
    // The IR's own meaning: tells a lowering error from a code generation error.
    const auto ir = compiler::interpret(l.net.compiled.ir, pkt);
    int32_t ir_result = 0;
    std::memcpy(&ir_result, &ir.packet[kResultOffset], 4);
    const Decision via_ir{ir.packet[compiler::kTagOffset], ir_result};
    if (got.tag != want.tag || got.result != want.result) {
      if (++mismatches <= 3) {
        std::string row;
        for (auto v : w) row += std::to_string(v) + " ";
        std::cerr << "mismatch: kernel tag " << int(got.tag) << " result " << got.result
                  << ", IR tag " << int(via_ir.tag) << " result " << via_ir.result
                  << ", reference tag " << int(want.tag) << " result " << want.result
                  << " for wire " << row << "\n";
        UNSCOPED_INFO("mismatch: kernel tag " << int(got.tag) << " result " << got.result
                                              << ", reference tag " << int(want.tag) << " result "
                                              << want.result << " for wire " << row);
      }
    }
  }
  return mismatches;
}

} // namespace

TEST_CASE("compiled networks equal the bit-exact reference in the kernel", "[model][kernel]") {
  if (testing::no_kernel()) return;
  struct Variant {
    const char* name;
    compiler::MatchSpec match;
    bool u32;
    size_t random_rows;
  };
  const Variant variants[] = {
      {"i32 magic", {compiler::MatchMode::Magic, false}, false, 60000},
      {"i32 strict alignment", {compiler::MatchMode::Magic, true}, false, 20000},
      {"i32 full match", {compiler::MatchMode::Full, false}, false, 10000},
      {"u32", {compiler::MatchMode::Magic, false}, true, 20000},
  };
  for (const char* name : {"aurora", "classifier"}) {
    const Example ex = load_example(name);
    size_t total = 0;
    for (const auto& v : variants) {
      INFO(name << ", " << v.name);
      const Loaded l = compile_and_load(ex, v.match, v.u32);
      // The test rows, then random rows inside, around and far outside the clamp ranges.
      const auto rows =
          check_inputs(l.net.quantized.q, &ex.test, ex.test.rows.size() + v.random_rows, 42);
      CHECK(check_all(l, rows) == 0);
      total += rows.size();
    }
    CHECK(total >= 100000);
  }
}

TEST_CASE("compiled networks pass frames that are not theirs untouched", "[model][kernel]") {
  if (testing::no_kernel()) return;
  const Example ex = load_example("classifier");
  const Loaded l = compile_and_load(ex, {compiler::MatchMode::Full, false});
  const QModel& q = l.net.quantized.q;
  const auto good = frame(q.features, wire_values(q, ex.test.rows[0]));
  auto expect_pass = [&](std::vector<uint8_t> pkt, const char* what) {
    INFO(what);
    auto r = bpf::test_run(l.prog.fd.get(), pkt);
    REQUIRE(r);
    CHECK(r->retval == 2);
    CHECK(r->data_out == pkt);
  };
  auto bad_magic = good;
  bad_magic[compiler::kMagicOffset] ^= 1;
  expect_pass(bad_magic, "wrong magic");
  auto tagged = good;
  tagged[compiler::kTagOffset + 3] = 1;
  expect_pass(tagged, "tag already set");
  auto port = good;
  port[37] ^= 1;
  expect_pass(port, "other UDP port");
  for (size_t n = 14; n < model_frame_bytes(q.features); n += 7)
    expect_pass(std::vector<uint8_t>(good.begin(), good.begin() + static_cast<long>(n)),
                "truncated frame");
}
