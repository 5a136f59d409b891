// Inputs the fuzzers (scripts/fuzz.sh) once crashed on, or whose disassembly did not
// reassemble, kept as regression tests. Each must give either a clean diagnostic or an object
// whose listing reassembles to the same bytes.
#include "asm/assembler.hpp"
#include "asm/disassembler.hpp"
#include "bpf/elf.hpp"
#include "test_support.hpp"

#include <filesystem>
#include <fstream>

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
