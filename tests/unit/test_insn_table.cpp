// Data-driven: tests/data/insns.txt pairs every opcode form with its bytes and canonical
// text (checked against LLVM 14 by check-insns-llvm.sh). Here our encoder, decoder, printer
// and parser must agree with it, and every table entry must be covered.
#include "bpf/isa.hpp"
#include "test_support.hpp"

#include <set>

using namespace xdpml;
using namespace xdpml::testing;

namespace {
struct Case {
  int line;
  std::vector<uint8_t> bytes;
  std::string text;
};
struct Alt {
  int line;
  std::string text, canonical;
};

void load(std::vector<Case>& cases, std::vector<Alt>& alts) {
  const auto lines = read_lines(source_path("tests/data/insns.txt"));
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string l = trim(lines[i]);
    if (l.empty() || l[0] == '#') continue;
    const int n = static_cast<int>(i + 1);
    if (l.rfind("alt:", 0) == 0) {
      auto f = split_fields(l.substr(4));
      REQUIRE(f.size() == 2);
      alts.push_back({n, f[0], f[1]});
      continue;
    }
    auto f = split_fields(l);
    REQUIRE(f.size() >= 2);
    cases.push_back({n, parse_hex(f[0]), f[1]});
  }
}
} // namespace

TEST_CASE("insns.txt: text assembles to the listed bytes", "[isa][data]") {
  std::vector<Case> cases;
  std::vector<Alt> alts;
  load(cases, alts);
  REQUIRE(cases.size() > 150);
  for (const auto& c : cases) {
    INFO("insns.txt:" << c.line << ": " << c.text);
    std::string err;
    const auto bytes = assemble_text_section(c.text, &err);
    INFO(err);
    CHECK(hex(bytes) == hex(c.bytes));
  }
}

TEST_CASE("insns.txt: bytes decode and print as the canonical text", "[isa][data]") {
  std::vector<Case> cases;
  std::vector<Alt> alts;
  load(cases, alts);
  for (const auto& c : cases) {
    INFO("insns.txt:" << c.line << ": " << c.text);
    bpf::DecodeError e;
    auto insn = bpf::decode(c.bytes, 0, &e);
    INFO(e.message);
    REQUIRE(insn);
    CHECK(static_cast<size_t>(insn->slots() * 8) == c.bytes.size());
    CHECK(bpf::format(*insn) == c.text);
    CHECK(bpf::validate(*insn).empty());
    std::vector<uint8_t> re;
    bpf::append_bytes(*insn, re);
    CHECK(hex(re) == hex(c.bytes));
  }
}

TEST_CASE("insns.txt: alternative spellings assemble like the canonical text", "[isa][data]") {
  std::vector<Case> cases;
  std::vector<Alt> alts;
  load(cases, alts);
  REQUIRE(!alts.empty());
  for (const auto& a : alts) {
    INFO("insns.txt:" << a.line << ": " << a.text);
    std::string err1, err2;
    const auto got = assemble_text_section(a.text, &err1);
    const auto want = assemble_text_section(a.canonical, &err2);
    INFO(err1 << err2);
    REQUIRE(!want.empty());
    CHECK(hex(got) == hex(want));
  }
}

TEST_CASE("insns.txt covers every printable opcode table entry", "[isa][data]") {
  std::vector<Case> cases;
  std::vector<Alt> alts;
  load(cases, alts);
  std::set<std::string_view> seen;
  for (const auto& c : cases) {
    bpf::DecodeError e;
    if (auto insn = bpf::decode(c.bytes, 0, &e)) seen.insert(insn->op->name);
  }
  for (const auto& op : bpf::opcode_table()) {
    if (op.parse_only) continue;
    INFO("table entry " << op.name << " (" << op.text << ") has no line in insns.txt");
    CHECK(seen.count(op.name) == 1);
  }
}
