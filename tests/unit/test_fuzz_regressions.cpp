// Inputs the fuzzers (scripts/fuzz.sh) once crashed on, or whose disassembly did not
// reassemble, kept as regression tests. Each must give either a clean diagnostic or an object
// whose listing reassembles to the same bytes.
#include "asm/assembler.hpp"
#include "asm/disassembler.hpp"
#include "bpf/elf.hpp"
#include "compiler/anova/frontend.hpp"
#include "packetgen/wire.hpp"
#include "test_support.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace xdpml;
using namespace xdpml::testing;

TEST_CASE("fuzzer-found assembler inputs: diagnostics or stable round trips", "[asm][fuzz]") {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(source_path("tests/data/fuzz"))) {
    if (entry.path().extension() != ".s") continue;
    ++files;
    INFO(entry.path().filename().string());
    std::ifstream in(entry.path());
    const std::string src((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto a = assembler::assemble(src, {entry.path().string()});
    if (!a) {
      CHECK_FALSE(a.diagnostics().items().front().message.empty());
      continue;
    }
    auto listing = assembler::disassemble(*a);
    REQUIRE(listing);
    auto b = assembler::assemble(*listing);
    INFO(*listing);
    REQUIRE(b);
    for (const auto& sec : a->sections) {
      const int j = b->find_section(sec.name);
      REQUIRE(j >= 0);
      CHECK(b->sections[static_cast<size_t>(j)].data == sec.data);
      CHECK(b->sections[static_cast<size_t>(j)].relocations.size() == sec.relocations.size());
    }
  }
  CHECK(files >= 6);
}

TEST_CASE("fuzzer-found ELF inputs are rejected with a diagnostic", "[elf][fuzz]") {
  for (const char* name : {"elf-huge-align.o", "elf-section-symbol-undef.o"}) {
    INFO(name);
    auto r = bpf::read_elf_file(source_path(std::string("tests/data/fuzz/") + name));
    REQUIRE_FALSE(r);
    CHECK_FALSE(r.diagnostics().items().front().message.empty());
  }
}

// fuzz_contract's seeds (tests/data/fuzz/contract/seeds): send/recv must refuse a malformed
// contract with a diagnostic or read a layout that fits behind the 42 header bytes of a
// 1514-byte frame. The reproducers next to the seeds are open bugs, replayed with
// build-fuzz/fuzz/fuzz_contract FILE (see tests/data/fuzz/contract/README.txt).
TEST_CASE("fuzz_contract seeds: contracts are refused or fit a frame", "[packetgen][fuzz]") {
  int files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(source_path("tests/data/fuzz/contract/seeds"))) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    const std::string name = entry.path().filename().string();
    INFO(name);
    std::ifstream in(entry.path());
    const auto contract = nlohmann::json::parse(in, nullptr, false);
    auto w = packetgen::wire_format_from_contract(contract, name);
    if (name.starts_with("valid-")) REQUIRE(w);
    if (!w) {
      CHECK_FALSE(w.diagnostics().items().front().message.empty());
      continue;
    }
    for (const uint64_t begin : {w->magic_offset, w->tag_offset, w->data_offset}) {
      CHECK(begin >= packetgen::kHeaderBytes);
      CHECK(begin < 1514 - packetgen::kSeqBytes);
    }
    CHECK(uint64_t{w->data_offset} + w->data_bytes() <= 1514 - packetgen::kSeqBytes);
    CHECK(w->frame_size() <= 1514);
    const std::vector<uint8_t> samples(w->data_bytes(), 0x5a);
    const auto frame = packetgen::build_frame(*w, {}, samples, 7);
    const auto parsed = packetgen::parse_frame(*w, frame);
    REQUIRE(parsed);
    CHECK(parsed->complete);
    CHECK(parsed->seq == 7);
    CHECK(std::vector<uint8_t>(parsed->sample_bytes.begin(), parsed->sample_bytes.end()) ==
          samples);
  }
  CHECK(files >= 20);
}

// The reproducers fuzz_contract found (tests/data/fuzz/contract/README.txt): offsets that made
// the field checks wrap around 2^32 (build_frame then wrote far outside its buffer), a double
// where an integer belongs (undefined behaviour in the conversion), and an integer that only
// fits after truncation. Each must now be refused, naming the field.
TEST_CASE("fuzzer-found contracts are refused, naming the field", "[packetgen][fuzz]") {
  const std::pair<const char*, const char*> cases[] = {
      {"contract-magic-offset-wraps.json", "magic_offset"},
      {"contract-data-offset-wraps.json", "data_offset"},
      {"contract-offset-not-uint32.json", "magic_offset"},
  };
  for (const auto& [file, field] : cases) {
    INFO(file);
    std::ifstream in(source_path(std::string("tests/data/fuzz/contract/") + file));
    REQUIRE(in.good());
    const auto contract = nlohmann::json::parse(in, nullptr, false);
    REQUIRE_FALSE(contract.is_discarded());
    auto w = packetgen::wire_format_from_contract(contract, file);
    REQUIRE_FALSE(w);
    CHECK_THAT(w.diagnostics().render(), Catch::Contains(field));
  }
  // 2^32 + 42 used to be read as 42.
  std::ifstream in(source_path("tests/data/fuzz/contract/seeds/valid-u32-w8.json"));
  auto contract = nlohmann::json::parse(in, nullptr, false);
  REQUIRE_FALSE(contract.is_discarded());
  REQUIRE(packetgen::wire_format_from_contract(contract, "valid"));
  contract["layout"]["magic_offset"] = (uint64_t{1} << 32) + 42;
  auto w = packetgen::wire_format_from_contract(contract, "truncated");
  REQUIRE_FALSE(w);
  CHECK_THAT(w.diagnostics().render(), Catch::Contains("magic_offset = 4294967338"));
  contract["layout"]["magic_offset"] = -8;
  CHECK_FALSE(packetgen::wire_format_from_contract(contract, "negative"));
  contract["layout"]["magic_offset"] = 42;
  contract["layout"]["magic"] = "-1";
  CHECK_FALSE(packetgen::wire_format_from_contract(contract, "signed magic"));
}

// anova-epsilon-int128-overflow.bin: epsilon 10^18 (the largest Rational::parse takes) at scale
// 16384 overflowed the 128-bit product N*p^2*scale^2 before the "too large" check; the CLI case
// was --epsilon 0.999999999999999999 --scale 4200000000. Both must be refused as too large.
TEST_CASE("fuzzer-found ANOVA parameters are refused without overflow", "[anova][fuzz]") {
  const std::pair<const char*, uint32_t> cases[] = {{"1000000000000000000", 16384},
                                                    {"0.999999999999999999", 4200000000u},
                                                    {"1000000000000000000", 1},
                                                    {"0.000000000000000001", 4294967295u},
                                                    {"0.1", 16384}};
  for (const auto& [eps, scale] : cases) {
    INFO(eps << " x" << scale);
    anova::AnovaSpec spec;
    auto e = anova::Rational::parse(eps);
    REQUIRE(e);
    spec.epsilon = *e;
    spec.epsilon_text = eps;
    spec.scale = scale;
    for (uint32_t window : {2u, 8u, 64u}) {
      spec.window = window;
      auto k = anova::anova_constants(spec);
      if (std::string(eps) == "0.1") { // the report's parameters, for contrast
        REQUIRE(k);
        CHECK(k->threshold == (window * 16384 + 9) / 10);
        continue;
      }
      REQUIRE_FALSE(k);
      CHECK_THAT(k.diagnostics().render(), Catch::Contains("too large"));
    }
  }
}
