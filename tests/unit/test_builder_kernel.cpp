#include "asm/assembler.hpp"
#include "asm/disassembler.hpp"
#include "bpf/builder.hpp"
#include "bpf/elf.hpp"
#include "bpf/kernel.hpp"
#include "test_support.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

using namespace xdpml;
using namespace xdpml::bpf;
using namespace xdpml::testing;

namespace {
std::vector<uint8_t> udp_frame(uint16_t port, size_t payload) {
  std::vector<uint8_t> f(42 + payload, 0);
  f[12] = 0x08; // IPv4
  f[14] = 0x45;
  f[23] = 17; // UDP
  f[36] = static_cast<uint8_t>(port >> 8);
  f[37] = static_cast<uint8_t>(port);
  return f;
}
} // namespace

TEST_CASE("builder reads like the assembly and resolves labels", "[builder]") {
  Builder b;
  auto out = b.new_label();
  b.load(MemSize::W, r2, r1, 0);
  b.load(MemSize::W, r3, r1, 4);
  b.mov(w0, 2);
  b.mov(r4, r2);
  b.add(r4, 42);
  b.jgt(r4, r3, out);
  b.ld_imm64(r5, 0x123456789LL);
  b.store(MemSize::B, r2, 41, w0);
  b.bind(out);
  b.exit();
  auto res = b.finish();
  REQUIRE(res);
  std::vector<std::string> text;
  int64_t slot = 0;
  for (const auto& i : res->insns) {
    text.push_back(format(i, slot));
    slot += i.slots();
  }
  const std::vector<std::string> want = {"w2 = *(u32 *)(r1 + 0)",
                                         "w3 = *(u32 *)(r1 + 4)",
                                         "w0 = 2",
                                         "r4 = r2",
                                         "r4 += 42",
                                         "if r4 > r3 goto +3",
                                         "r5 = 4886718345 ll",
                                         "*(u8 *)(r2 + 41) = w0",
                                         "exit"};
  CHECK(text == want);
}

TEST_CASE("builder reports bad programs as errors, not asserts", "[builder]") {
  SECTION("unbound label") {
    Builder b;
    auto l = b.new_label();
    b.ja(l);
    b.exit();
    auto r = b.finish();
    REQUIRE_FALSE(r);
    CHECK_THAT(r.diagnostics().render(), Catch::Contains("never bound"));
  }
  SECTION("write to r10") {
    Builder b;
    b.mov(r10, 1);
    auto r = b.finish();
    REQUIRE_FALSE(r);
    CHECK_THAT(r.diagnostics().render(), Catch::Contains("read-only frame pointer"));
  }
  SECTION("jump too far") {
    Builder b;
    auto l = b.new_label();
    b.ja(l);
    for (int i = 0; i < 40000; ++i) b.mov(r0, 0);
    b.bind(l);
    b.exit();
    auto r = b.finish();
    REQUIRE_FALSE(r);
    CHECK_THAT(r.diagnostics().render(), Catch::Contains("-32768..32767"));
  }
}

TEST_CASE(
    "kernel: an assembled program loads and BPF_PROG_TEST_RUN gives the expected verdict and bytes",
    "[kernel]") {
  if (testing::no_kernel()) return;
  // Rewrites byte 42 (first payload byte) to 0x5a and returns XDP_TX for UDP port 6666,
  // passes everything else untouched.
  auto obj = assembler::assemble(R"(
	.section xdp,"ax",@progbits
prog:
	w2 = *(u32 *)(r1 + 0)
	w3 = *(u32 *)(r1 + 4)
	w0 = 2
	r4 = r2
	r4 += 43
	if r4 > r3 goto .Lpass
	w4 = *(u16 *)(r2 + 36)
	if w4 != 2586 goto .Lpass
	w5 = 90
	*(u8 *)(r2 + 42) = w5
	w0 = 3
.Lpass:
	exit
)");
  INFO((obj ? "" : obj.diagnostics().render()));
  REQUIRE(obj);
  const auto& code = obj->sections[obj->find_section("xdp")].data;
  auto prog = load_program(code);
  INFO((prog ? "" : prog.diagnostics().render()));
  REQUIRE(prog);
  CHECK(prog->xlated_insns == code.size() / 8);

  auto hit = test_run(prog->fd.get(), udp_frame(6666, 8));
  REQUIRE(hit);
  CHECK(hit->retval == 3);
  REQUIRE(hit->data_out.size() == 50);
  CHECK(hit->data_out[42] == 0x5a);

  const auto other = udp_frame(6667, 8);
  auto miss = test_run(prog->fd.get(), other);
  REQUIRE(miss);
  CHECK(miss->retval == 2);
  CHECK(miss->data_out == other);

  const auto shortf = udp_frame(6666, 0);
  auto too_short = test_run(prog->fd.get(), shortf);
  REQUIRE(too_short);
  CHECK(too_short->retval == 2);
  CHECK(too_short->data_out == shortf);
}

TEST_CASE("kernel: the verifier's refusal names the instruction and quotes the log", "[kernel]") {
  if (testing::no_kernel()) return;
  auto obj = assembler::assemble(".text\n w2 = *(u32 *)(r1 + 0)\n w0 = *(u16 *)(r2 + 12)\n exit\n");
  REQUIRE(obj);
  auto prog = load_program(obj->sections[obj->find_section(".text")].data);
  REQUIRE_FALSE(prog);
  const auto& d = prog.diagnostics().items().front();
  CHECK_THAT(d.message, Catch::Contains("at instruction 1"));
  CHECK_THAT(d.message, Catch::Contains("invalid access to packet"));
  CHECK_THAT(d.hint, Catch::Contains("verifier log excerpt"));
}

TEST_CASE("kernel: builder output is accepted and behaves like its assembly", "[kernel][builder]") {
  if (testing::no_kernel()) return;
  Builder b;
  auto pass = b.new_label();
  b.load(MemSize::W, r2, r1, 0);
  b.load(MemSize::W, r3, r1, 4);
  b.mov(w0, 2);
  b.mov(r4, r2);
  b.add(r4, 16);
  b.jgt(r4, r3, pass);
  b.load(MemSize::W, w5, r2, 0);
  b.bswap(r5, 32);
  b.mul(w5, 3);
  b.store(MemSize::W, r2, 12, w5);
  b.mov(w0, 1);
  b.bind(pass);
  b.exit();
  auto out = b.finish();
  REQUIRE(out);
  auto prog = load_program(out->insns);
  INFO((prog ? "" : prog.diagnostics().render()));
  REQUIRE(prog);
  std::vector<uint8_t> pkt(20, 0);
  pkt[0] = 0x00;
  pkt[1] = 0x00;
  pkt[2] = 0x01;
  pkt[3] = 0x02; // big-endian 0x0102 = 258
  auto r = test_run(prog->fd.get(), pkt);
  REQUIRE(r);
  CHECK(r->retval == 1);
  const uint32_t v = r->data_out[12] | (r->data_out[13] << 8) | (r->data_out[14] << 16) |
                     (static_cast<uint32_t>(r->data_out[15]) << 24);
  CHECK(v == 258u * 3u);
}

TEST_CASE("kernel: an object with a .bpf_map loads through libbpf and updates its map",
          "[kernel][elf]") {
  if (testing::no_kernel()) return;
  auto obj = assembler::assemble(R"(
	.bpf_map hits, array, 4, 8, 2
	.section xdp,"ax",@progbits
	.globl count
count:
	w1 = 1
	*(u32 *)(r10 - 4) = w1
	r2 = r10
	r2 += -4
	r1 = hits ll
	call 1
	if r0 == 0 goto .Lout
	r1 = 7
	lock *(u64 *)(r0 + 0) += r1
.Lout:
	w0 = 2
	exit
	.section license,"aw",@progbits
	.asciz "GPL"
)");
  INFO((obj ? "" : obj.diagnostics().render()));
  REQUIRE(obj);
  auto image = write_elf(*obj);
  REQUIRE(image);
  libbpf_set_print(nullptr);
  bpf_object* o = bpf_object__open_mem(image->data(), image->size(), nullptr);
  REQUIRE(o != nullptr);
  REQUIRE(bpf_object__load(o) == 0);
  bpf_program* p = bpf_object__find_program_by_name(o, "count");
  REQUIRE(p != nullptr);
  bpf_map* m = bpf_object__find_map_by_name(o, "hits");
  REQUIRE(m != nullptr);
  CHECK(bpf_map__key_size(m) == 4);
  CHECK(bpf_map__value_size(m) == 8);
  CHECK(bpf_map__max_entries(m) == 2);
  auto r = test_run(bpf_program__fd(p), udp_frame(1, 0), 3);
  REQUIRE(r);
  CHECK(r->retval == 2);
  uint32_t key = 1;
  uint64_t value = 0;
  REQUIRE(bpf_map_lookup_elem(bpf_map__fd(m), &key, &value) == 0);
  CHECK(value == 21);
  bpf_object__close(o);
}
