#include "asm/assembler.hpp"
#include "bpf/elf.hpp"
#include "test_support.hpp"

#include <elf.h>

#include <random>

using namespace xdpml;
using namespace xdpml::testing;

namespace {
std::vector<uint8_t> sample_image() {
  auto obj = assembler::assemble(".bpf_map m, array, 4, 8, 2\n.section "
                                 "xdp,\"ax\",@progbits\n.globl p\np:\n r1 = m ll\n w0 = 2\n exit\n"
                                 ".section license,\"aw\",@progbits\n.asciz \"GPL\"\n");
  REQUIRE(obj);
  auto image = bpf::write_elf(*obj);
  REQUIRE(image);
  return *image;
}
} // namespace

TEST_CASE("ELF write then read preserves sections, symbols and relocations", "[elf]") {
  const auto image = sample_image();
  auto back = bpf::read_elf(image, "<mem>");
  INFO((back ? "" : back.diagnostics().render()));
  REQUIRE(back);
  const int xdp = back->find_section("xdp");
  REQUIRE(xdp >= 0);
  CHECK(back->sections[xdp].data.size() == 32);
  REQUIRE(back->sections[xdp].relocations.size() == 1);
  CHECK(back->symbols[back->sections[xdp].relocations[0].symbol].name == "m");
  const int p = back->find_symbol("p");
  REQUIRE(p >= 0);
  CHECK(back->symbols[p].type == STT_FUNC);
  CHECK(back->symbols[p].size == 32);
  CHECK(back->find_section(".BTF") >= 0);
  CHECK(back->find_section("license") >= 0);
  auto again = bpf::write_elf(*back);
  REQUIRE(again);
  CHECK(*again == image);
}

TEST_CASE("truncated or corrupted ELF is an error naming the problem, never a crash", "[elf]") {
  const auto image = sample_image();
  SECTION("every truncation") {
    for (size_t n = 0; n < image.size(); n += 7) {
      std::vector<uint8_t> cut(image.begin(), image.begin() + static_cast<long>(n));
      auto r = bpf::read_elf(cut, "cut.o");
      if (!r) {
        CHECK(r.diagnostics().items().front().location.file == "cut.o");
        CHECK_FALSE(r.diagnostics().items().front().message.empty());
      }
    }
  }
  SECTION("random byte flips") {
    std::mt19937 rng(42);
    for (int iter = 0; iter < 3000; ++iter) {
      auto bad = image;
      for (int k = 0; k < 4; ++k)
        bad[rng() % bad.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      auto r = bpf::read_elf(bad, "flip.o");
      (void)r; // must return, either way
    }
    SUCCEED();
  }
  SECTION("garbage") {
    std::vector<uint8_t> junk(100, 0x41);
    auto r = bpf::read_elf(junk, "junk.o");
    REQUIRE_FALSE(r);
    CHECK_THAT(r.diagnostics().items().front().message, Catch::Contains("not an ELF file"));
    CHECK_THAT(r.diagnostics().items().front().hint, Catch::Contains("relocatable BPF object"));
  }
  SECTION("wrong machine") {
    auto bad = image;
    bad[18] = 62; // EM_X86_64
    bad[19] = 0;
    auto r = bpf::read_elf(bad, "x86.o");
    REQUIRE_FALSE(r);
    CHECK_THAT(r.diagnostics().items().front().message, Catch::Contains("not BPF"));
  }
}
