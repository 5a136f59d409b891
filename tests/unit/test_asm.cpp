#include "asm/assembler.hpp"
#include "asm/disassembler.hpp"
#include "test_support.hpp"

#include <elf.h>

using namespace xdpml;
using namespace xdpml::testing;

namespace {
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 'n' || s[i + 1] == 't')) {
      out += s[i + 1] == 'n' ? '\n' : '\t';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}
} // namespace

TEST_CASE("asm-errors.txt: bad input is reported at file:line:col with a hint", "[asm][data]") {
  const auto lines = read_lines(source_path("tests/data/asm-errors.txt"));
  int cases = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string l = lines[i];
    if (trim(l).empty() || trim(l)[0] == '#') continue;
    auto f = split_fields(l);
    REQUIRE(f.size() >= 3);
    ++cases;
    INFO("asm-errors.txt:" << i + 1 << ": " << f[0]);
    auto obj = assembler::assemble(unescape(f[0]), {"case.s"});
    REQUIRE_FALSE(obj);
    const auto& d = obj.diagnostics().items().front();
    const std::string where =
        std::to_string(d.location.line) + ":" + std::to_string(d.location.column);
    INFO(obj.diagnostics().render());
    CHECK(d.location.file == "case.s");
    CHECK(where == f[1]);
    CHECK_THAT(d.message, Catch::Contains(f[2]));
    if (f.size() > 3) CHECK_THAT(d.hint, Catch::Contains(f[3]));
    // The rendering shows the source line and a caret under the column.
    const std::string rendered = d.render();
    CHECK_THAT(rendered, Catch::StartsWith("case.s:" + where + ": error: "));
    if (d.location.column > 0 && !d.source_line.empty()) CHECK_THAT(rendered, Catch::Contains("^"));
  }
  CHECK(cases >= 30);
}

TEST_CASE("programs without .type get an STT_FUNC symbol with a size", "[asm][elf]") {
  auto obj =
      assembler::assemble(".section xdp,\"ax\",@progbits\n.globl prog\nprog:\n w0 = 2\n exit\n"
                          ".section license,\"aw\",@progbits\n.asciz \"GPL\"\n");
  REQUIRE(obj);
  const int s = obj->find_symbol("prog");
  REQUIRE(s >= 0);
  CHECK(obj->symbols[s].type == STT_FUNC);
  CHECK(obj->symbols[s].bind == STB_GLOBAL);
  CHECK(obj->symbols[s].size == 16);
}

TEST_CASE("a code section with no symbol at all gets one named after the section", "[asm][elf]") {
  auto obj = assembler::assemble(".section xdp/fast,\"ax\",@progbits\n r0 = 2\n exit\n");
  REQUIRE(obj);
  const int s = obj->find_symbol("xdp_fast");
  REQUIRE(s >= 0);
  CHECK(obj->symbols[s].type == STT_FUNC);
  CHECK(obj->symbols[s].size == 16);
  CHECK(obj->sections[obj->symbols[s].section].name == "xdp/fast");
}

TEST_CASE("jumps, calls and map references resolve like llvm-mc", "[asm]") {
  auto obj = assembler::assemble(R"(
	.bpf_map counters, array, 4, 8, 4
	.text
sub:
	w0 = 1
	exit
	.section xdp,"ax",@progbits
	.globl prog
prog:
	r1 = counters ll
	call sub
	if r0 == 0 goto .Lout
	call local
.Lout:
	exit
local:
	exit
)");
  INFO((obj ? "" : obj.diagnostics().render()));
  REQUIRE(obj);
  const auto& xdp = obj->sections[obj->find_section("xdp")];
  REQUIRE(xdp.relocations.size() == 2);
  CHECK(xdp.relocations[0].offset == 0);
  CHECK(xdp.relocations[0].type == bpf::kReloc64_64);
  CHECK(obj->symbols[xdp.relocations[0].symbol].name == "counters");
  CHECK(xdp.relocations[1].offset == 16);
  CHECK(xdp.relocations[1].type == bpf::kReloc64_32);
  CHECK(obj->symbols[xdp.relocations[1].symbol].type == STT_SECTION);
  // call sub: sub is insn 0 of .text -> imm = 0 - 1 (libbpf adds one).
  CHECK(xdp.data[16] == 0x85);
  CHECK(xdp.data[17] == 0x10);
  CHECK(xdp.data[20] == 0xff);
  // if r0 == 0 goto .Lout: skips one call -> +1
  CHECK(xdp.data[26] == 1);
  // call local in the same section: resolved, pseudo call imm = +1
  CHECK(xdp.data[33] == 0x10);
  CHECK(xdp.data[36] == 1);
  // The map became BTF-described .maps data.
  REQUIRE(obj->find_section(".maps") >= 0);
  REQUIRE(obj->find_section(".BTF") >= 0);
  CHECK(obj->sections[obj->find_section(".maps")].data.size() == 32);
}

TEST_CASE("data directives with symbol differences and relocations", "[asm]") {
  auto obj = assembler::assemble(R"(
	.text
.Lstart:
	r0 = 0
.Lend:
	exit
	.section .BTF.ext,"",@progbits
	.long .Lend-.Lstart
	.long .Lend
	.quad .Lend + 8
	.uleb128 .Lend-.Lstart+300
	.short -1
	.byte 255
	.asciz "a\tb"
)");
  INFO((obj ? "" : obj.diagnostics().render()));
  REQUIRE(obj);
  const auto& ext = obj->sections[obj->find_section(".BTF.ext")];
  const std::vector<uint8_t> want = {8, 0, 0, 0,    8,    0,    0,    0,    16,  0,    0,   0, 0,
                                     0, 0, 0, 0xb4, 0x02, 0xff, 0xff, 0xff, 'a', '\t', 'b', 0};
  CHECK(hex(ext.data) == hex(want));
  REQUIRE(ext.relocations.size() == 2);
  CHECK(ext.relocations[0].type == bpf::kRelocNoDyld32);
  CHECK(ext.relocations[1].type == bpf::kRelocAbs64);
}

TEST_CASE("disassembly reassembles to the same bytes", "[asm][disasm]") {
  const char* src = R"(
	.bpf_map m, hash, 8, 16, 128
	.text
	.section xdp,"ax",@progbits
	.globl prog
prog:
	r6 = r1
	r1 = m ll
	r2 = r10
	r2 += -8
	*(u64 *)(r10 - 8) = r6
	call 1
	if r0 == 0 goto .Lout
	w1 = atomic_fetch_add((u32 *)(r0 + 0), w1)
	r2 = xchg_64(r0 + 8, r2)
	r0 = cmpxchg_64(r0 + 8, r0, r3)
	r1 = be16 r1
	r1 = -81985529216486895 ll
	call helper
.Lout:
	w0 = 2
	exit
helper:
	if w1 s< -5 goto -1
	exit
	.section license,"aw",@progbits
	.asciz "Dual BSD/GPL"
)";
  auto a = assembler::assemble(src);
  INFO((a ? "" : a.diagnostics().render()));
  REQUIRE(a);
  auto listing = assembler::disassemble(*a);
  REQUIRE(listing);
  INFO(*listing);
  auto b = assembler::assemble(*listing);
  INFO((b ? "" : b.diagnostics().render()));
  REQUIRE(b);
  for (const auto& sec : a->sections) {
    const int j = b->find_section(sec.name);
    REQUIRE(j >= 0);
    CHECK(hex(b->sections[j].data) == hex(sec.data));
    CHECK(b->sections[j].relocations.size() == sec.relocations.size());
  }
}

TEST_CASE("instructions the assembler would refuse disassemble as data and still reassemble",
          "[asm][disasm]") {
  // r12 = 1, a write to r10, and an unknown opcode, placed in code with .byte (found by fuzz_asm).
  auto a = assembler::assemble(
      ".text\n.byte 0xb7, 0x0c, 0, 0, 1, 0, 0, 0\n.byte 0xb7, 0x0a, 0, 0, 1, 0, 0, 0\n"
      ".byte 0xff, 0, 0, 0, 0, 0, 0, 0\nexit\n");
  REQUIRE(a);
  auto listing = assembler::disassemble(*a);
  REQUIRE(listing);
  CHECK_THAT(*listing, Catch::Contains("invalid: r12 = 1"));
  auto b = assembler::assemble(*listing);
  INFO(*listing);
  REQUIRE(b);
  CHECK(b->sections[b->find_section(".text")].data == a->sections[a->find_section(".text")].data);
}
