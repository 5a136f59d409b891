// The compiler core on small hand-built IR: passes, range analysis, and the register
// allocator (including spills), checked through the kernel where behaviour matters.
#include "bpf/kernel.hpp"
#include "compiler/codegen.hpp"
#include "compiler/passes.hpp"
#include "test_support.hpp"

#include <array>
#include <cstring>
#include <numeric>
#include <random>

using namespace xdpml;
using namespace xdpml::compiler;

namespace {

struct Fn {
  Function f;
  int pass, out;
  Fn() {
    f.exits = {{"pass", std::nullopt, 2}, {"done", std::nullopt, 2}};
    f.fallthrough_exit = 1;
    pass = 0;
    out = 1;
  }
  int node(Opcode op, std::initializer_list<int> args, Int imm0 = 0, Int imm1 = 0) {
    Node n;
    n.op = op;
    int k = 0;
    for (int a : args) n.args[k++] = a;
    n.imm0 = imm0;
    n.imm1 = imm1;
    n.origin = f.origin("node" + std::to_string(f.nodes.size()));
    return f.add(n);
  }
  void require(Int len) {
    const int n = node(Opcode::RequireLength, {}, len);
    f.nodes[n].exit = pass;
  }
  int load(int off, int bytes) { return node(Opcode::PacketLoad, {}, off, bytes); }
  void store(int off, int bytes, int v) { node(Opcode::PacketStore, {v}, off, bytes); }
};

Status run_pipeline(Function& f) {
  return standard_pipeline().run(f);
}

uint64_t kernel_result(const MachineProgram& p, std::vector<uint8_t> pkt, int off) {
  auto prog = bpf::load_program(p.insns);
  INFO((prog ? "" : prog.diagnostics().render()));
  REQUIRE(prog);
  auto r = bpf::test_run(prog->fd.get(), pkt);
  REQUIRE(r);
  uint64_t v = 0;
  std::memcpy(&v, &r->data_out[static_cast<size_t>(off)], 8);
  return v;
}

} // namespace

TEST_CASE("fold-constants folds, simplifies and strength-reduces", "[compiler]") {
  Fn fn;
  fn.require(16);
  const int x = fn.load(0, 4);
  const int five = fn.node(Opcode::Add, {fn.f.constant(2), fn.f.constant(3)});
  const int y = fn.node(Opcode::Mul, {x, fn.f.constant(8)});
  const int z = fn.node(Opcode::Add, {y, fn.f.constant(0)});
  fn.store(8, 8, fn.node(Opcode::Add, {z, five}));
  REQUIRE(run_pipeline(fn.f));
  CHECK(fn.f.nodes[five].op == Opcode::Const);
  CHECK(fn.f.nodes[five].imm0 == 5);
  CHECK(fn.f.nodes[y].op == Opcode::Shl);
  CHECK(fn.f.nodes[z].dead);
}

TEST_CASE("range analysis picks alu32 only where the value provably fits", "[compiler]") {
  Fn fn;
  fn.require(16);
  const int a = fn.load(0, 4), b = fn.load(4, 4);
  const int small = fn.node(Opcode::And, {a, fn.f.constant(0xffff)});
  const int sum32 = fn.node(Opcode::Add, {small, fn.f.constant(7)});
  const int sum64 = fn.node(Opcode::Add, {a, b});
  fn.store(8, 8, fn.node(Opcode::Add, {sum32, sum64}));
  REQUIRE(run_pipeline(fn.f));
  CHECK(fn.f.info[static_cast<size_t>(sum32)].alu32);
  CHECK_FALSE(fn.f.info[static_cast<size_t>(sum64)].alu32);
  CHECK(fn.f.info[static_cast<size_t>(sum64)].hi == (Int{1} << 33) - 2);
}

TEST_CASE("range analysis refuses values that may overflow 64 bits, naming the model node",
          "[compiler]") {
  Fn fn;
  fn.require(16);
  const int a = fn.load(0, 8);
  const int sq = fn.node(Opcode::Mul, {a, a});
  fn.store(8, 8, sq);
  auto st = run_pipeline(fn.f);
  REQUIRE_FALSE(st);
  const auto& d = st.diagnostics().items().front();
  CHECK_THAT(d.message, Catch::Contains("may not fit in 64 bits"));
  CHECK_THAT(d.location.context, Catch::Contains("model node 'node" + std::to_string(sq)));
}

TEST_CASE("a side exit refines the range of what follows it", "[compiler]") {
  Fn fn;
  fn.require(16);
  const int a = fn.load(0, 8);
  const int e = fn.node(Opcode::ExitIf, {a, fn.f.constant(1000)});
  fn.f.nodes[static_cast<size_t>(e)].cmp = Cmp::Gt;
  fn.f.nodes[static_cast<size_t>(e)].exit = fn.pass;
  const int sq = fn.node(Opcode::Mul, {a, a}); // a <= 1000 here, so the square is 32-bit
  fn.store(8, 8, sq);
  REQUIRE(run_pipeline(fn.f));
  CHECK(fn.f.info[static_cast<size_t>(sq)].alu32);
}

TEST_CASE("bounds checks are merged into one at the top", "[compiler]") {
  Fn fn;
  fn.require(8);
  const int a = fn.load(0, 4);
  fn.require(40);
  fn.store(32, 8, fn.node(Opcode::Add, {a, fn.load(20, 2)}));
  REQUIRE(run_pipeline(fn.f));
  int checks = 0;
  for (const auto& n : fn.f.nodes)
    if (!n.dead && n.op == Opcode::RequireLength) {
      ++checks;
      CHECK(n.imm0 == 40);
    }
  CHECK(checks == 1);
}

TEST_CASE("the register allocator spills under pressure and the program stays correct",
          "[compiler][kernel]") {
  // Sixteen values live at once: load them all, then combine them from the last to the first.
  Fn fn;
  fn.require(16 * 4 + 8);
  std::vector<int> v;
  for (int i = 0; i < 16; ++i) v.push_back(fn.load(i * 4, 4));
  int acc = v.back();
  for (int i = 14; i >= 0; --i)
    acc = fn.node(i % 2 ? Opcode::Add : Opcode::Xor,
                  {acc, fn.node(Opcode::Mul, {v[static_cast<size_t>(i)], fn.f.constant(i + 3)})});
  fn.store(64, 8, acc);
  REQUIRE(run_pipeline(fn.f));

  std::vector<uint8_t> pkt(72, 0);
  uint64_t want = 0;
  std::vector<uint32_t> vals(16);
  for (uint32_t i = 0; i < 16; ++i) {
    vals[i] = 0x1234567u * (i + 1) ^ (i << 20);
    std::memcpy(&pkt[i * 4], &vals[i], 4);
  }
  want = vals[15];
  for (int i = 14; i >= 0; --i) {
    const uint64_t term =
        static_cast<uint64_t>(vals[static_cast<size_t>(i)]) * static_cast<uint64_t>(i + 3);
    want = i % 2 ? want + term : want ^ term;
  }
  for (int regs : {8, 5, 3}) {
    CodegenOptions opt;
    opt.max_registers = regs;
    auto p = generate(fn.f, opt);
    INFO("registers " << regs);
    INFO((p ? "" : p.diagnostics().render()));
    REQUIRE(p);
    CHECK(p->spilled_values > 0);
    // Slots are reused once a value dies, and 32-bit values take 4 bytes.
    CHECK(p->stack_bytes > 0);
    CHECK(p->stack_bytes <= 8 * p->spilled_values);
    CHECK(p->stack_bytes % 8 == 0);
    if (testing::no_kernel()) return;
    CHECK(kernel_result(*p, pkt, 64) == want);
  }
}

TEST_CASE("allocation fails with a message, not an assert, when nothing can work", "[compiler]") {
  Fn fn;
  fn.require(72);
  std::vector<int> v;
  for (int i = 0; i < 16; ++i) v.push_back(fn.load(i * 4, 4));
  int acc = v.back();
  for (int i = 14; i >= 0; --i) acc = fn.node(Opcode::Add, {acc, v[static_cast<size_t>(i)]});
  fn.store(64, 8, acc);
  REQUIRE(run_pipeline(fn.f));
  CodegenOptions opt;
  opt.max_registers = 0;
  auto p = generate(fn.f, opt);
  REQUIRE_FALSE(p);
  CHECK_THAT(p.diagnostics().render(), Catch::Contains("register allocation"));
}

TEST_CASE("CondAddOutside: one unsigned compare of x - c, exact where x - c is negative",
          "[compiler][kernel]") {
  // acc + (x < c || x >= c + width ? inc : 0) with x any u32, c possibly negative and width >= 0:
  // the lowering subtracts in 64 bits and compares unsigned, so a negative x - c must read as
  // "outside" and a huge x - c (c negative, x near 2^32) must not wrap into the window.
  Fn fn;
  fn.require(24);
  const int x = fn.load(0, 4);
  const int c = fn.node(Opcode::Sub, {fn.load(4, 4), fn.f.constant(Int{1} << 31)});
  const int width = fn.load(8, 4);
  const int acc = fn.load(12, 2);
  const int r = fn.node(Opcode::CondAddOutside, {acc, x, c, width, fn.f.constant(1000)});
  fn.store(16, 8, r);
  REQUIRE(run_pipeline(fn.f));
  CHECK_FALSE(fn.f.info[static_cast<size_t>(r)].cmp.is_signed);
  CHECK_FALSE(fn.f.info[static_cast<size_t>(r)].cmp.is32); // x - c may be negative
  auto p = generate(fn.f, {});
  INFO((p ? "" : p.diagnostics().render()));
  REQUIRE(p);
  int jumps = 0;
  for (const auto& insn : p->insns) {
    const uint8_t code = insn.op->code;
    const bool jmp_class = (code & 0x07) == 0x05 || (code & 0x07) == 0x06;
    if (jmp_class && (code & 0xf0) != 0x00 && (code & 0xf0) != 0x80 && (code & 0xf0) != 0x90)
      ++jumps; // conditional: not ja, call or exit
  }
  CHECK(jumps == 2); // the frame-length check and the node's one compare
  if (testing::no_kernel()) return;
  std::vector<std::array<int64_t, 3>> cases = {
      {0, 0, 0},
      {5, 5, 1},
      {5, 5, 0},
      {4, 5, 3},
      {7, 5, 3},
      {8, 5, 3},
      {0, -3, 2},
      {0, -3, 3},
      {0, -3, 4},
      {0xffffffff, -3, 5},
      {0xffffffff, -2147483648, 0xffffffff},
      {100, 2147483647, 10},
      {0x80000000, 0, 0x80000001},
      {0x7fffffff, 0x7fffffff, 0},
  };
  std::mt19937_64 rng(3);
  for (int i = 0; i < 3000; ++i)
    cases.push_back({static_cast<int64_t>(rng() % 0x100000000ull),
                     static_cast<int64_t>(rng() % 0x100000000ull) - (int64_t{1} << 31),
                     static_cast<int64_t>(rng() % (i % 2 ? 0x100000000ull : 64))});
  for (const auto& [xv, cv, wv] : cases) {
    std::vector<uint8_t> pkt(24, 0);
    const uint32_t xs = static_cast<uint32_t>(xv),
                   cs = static_cast<uint32_t>(cv + (int64_t{1} << 31)),
                   ws = static_cast<uint32_t>(wv);
    const uint16_t a = 7;
    std::memcpy(&pkt[0], &xs, 4);
    std::memcpy(&pkt[4], &cs, 4);
    std::memcpy(&pkt[8], &ws, 4);
    std::memcpy(&pkt[12], &a, 2);
    const bool outside = xv < cv || xv >= cv + wv;
    INFO("x " << xv << " c " << cv << " width " << wv);
    REQUIRE(kernel_result(*p, pkt, 16) == (outside ? 1007u : 7u));
  }
}

TEST_CASE("CondAddOutside is refused when its unsigned compare would not be exact", "[compiler]") {
  Fn fn;
  fn.require(24);
  const int x = fn.load(0, 4);
  const int width = fn.node(Opcode::Sub, {fn.load(8, 2), fn.f.constant(5)}); // may be negative
  const int r = fn.node(Opcode::CondAddOutside,
                        {fn.f.constant(0), x, fn.load(4, 4), width, fn.f.constant(1)});
  fn.store(16, 8, r);
  auto st = run_pipeline(fn.f);
  REQUIRE_FALSE(st);
  CHECK_THAT(st.diagnostics().render(), Catch::Contains("is not exact"));
  CHECK_THAT(st.diagnostics().render(), Catch::Contains("width in [-5, 65530]"));
}
