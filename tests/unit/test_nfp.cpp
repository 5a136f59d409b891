// The NFP offload checker: the data-driven corpus tests/nfp/*.s (each file states the rules it
// must trigger, `# expect: R-XXX-N [@insn] message`, or `# expect: clean`), the kernel-style
// range domain, and the ANOVA compiler's --target nfp output.
#include "bpf/kernel.hpp"
#include "compiler/anova/compile.hpp"
#include "compiler/nfp/analysis.hpp"
#include "compiler/nfp/check.hpp"
#include "compiler/nfp/commands.hpp"
#include "compiler/nfp/program.hpp"
#include "compiler/nfp/scalar.hpp"
#include "test_support.hpp"

#include <CLI/CLI.hpp>
#include <bpf/btf.h>
#include <elf.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

using namespace xdpml;
using namespace xdpml::nfp;

namespace {

struct Expectation {
  std::string rule;
  std::optional<size_t> insn;
  std::string message; // substring
};

struct CorpusFile {
  std::string path;
  std::string source;
  bool clean = false;
  std::vector<Expectation> expect;
  std::vector<std::string> args;
};

CorpusFile read_corpus_file(const std::string& path) {
  CorpusFile f;
  f.path = path;
  for (const auto& line : testing::read_lines(path)) {
    f.source += line + "\n";
    if (line.rfind("# expect:", 0) == 0) {
      std::string rest = testing::trim(line.substr(9));
      if (rest == "clean") {
        f.clean = true;
        continue;
      }
      Expectation e;
      const auto sp = rest.find(' ');
      e.rule = rest.substr(0, sp);
      rest = sp == std::string::npos ? "" : testing::trim(rest.substr(sp));
      if (!rest.empty() && rest[0] == '@') {
        const auto sp2 = rest.find(' ');
        e.insn = std::stoul(rest.substr(1, sp2 - 1));
        rest = sp2 == std::string::npos ? "" : testing::trim(rest.substr(sp2));
      }
      e.message = rest;
      f.expect.push_back(e);
    } else if (line.rfind("# args:", 0) == 0) {
      std::istringstream in(line.substr(7));
      for (std::string a; in >> a;) f.args.push_back(a);
    }
  }
  return f;
}

// The corpus runs with a known FW stack and packet split point (so clean programs have no
// findings at all) unless the file sets them itself.
NfpProfile corpus_profile(const CorpusFile& f, std::optional<ProgType>* forced) {
  // Files with `# args:` get exactly those (plus a stack size); the others the defaults.
  std::vector<std::string> args = f.args;
  if (std::find(args.begin(), args.end(), "--nfp-stack") == args.end())
    args.insert(args.end(), {"--nfp-stack", "512"});
  if (f.args.empty()) args.insert(args.end(), {"--nfp-inl-mtu", "1024"});
  CLI::App app;
  ProfileArgs pa;
  add_profile_options(app, pa);
  std::reverse(args.begin(), args.end());
  app.parse(args);
  auto p = make_profile(pa);
  REQUIRE(p);
  *forced = forced_prog_type(pa);
  return *p;
}

std::string dump(const CheckReport& r) {
  std::string out;
  for (const auto& f : r.findings)
    out += f.rule + " " + severity_letter(f.severity) + " @" +
           (f.insn ? std::to_string(*f.insn) : "-") + " " + f.message + "\n";
  return out;
}

std::vector<std::string> corpus_files() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(testing::source_path("tests/nfp")))
    if (e.path().extension() == ".s") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

CheckReport check_source(const std::string& source, const NfpProfile& profile = {}) {
  auto obj = assembler::assemble(source, {"<test>"});
  INFO((obj ? "" : obj.diagnostics().render()));
  REQUIRE(obj);
  auto r = check_nfp(*obj, profile);
  INFO((r ? "" : r.diagnostics().render()));
  REQUIRE(r);
  return *r;
}

// ---- differential check against the running kernel's verifier ---------------------------

struct KernelBounds {
  bool scalar = false;
  uint64_t umin = 0, umax = UINT64_MAX;
  std::string id; // linked scalars share bounds (the kernel's sync_linked_regs)
};

uint64_t parse_num(const std::string& v) {
  return v[0] == '-' ? static_cast<uint64_t>(std::stoll(v, nullptr, 0))
                     : std::stoull(v, nullptr, 0);
}

// One register value of the verifier log: "5", "scalar(smin=0,umax=255,var_off=(0x0; 0xff))",
// "pkt(r=24)", "fp-8" ...
KernelBounds parse_kernel_value(const std::string& v) {
  KernelBounds k;
  if (!v.empty() && (std::isdigit(static_cast<unsigned char>(v[0])) || v[0] == '-')) {
    k.scalar = true;
    k.umin = k.umax = parse_num(v);
    return k;
  }
  if (v.rfind("scalar(", 0) != 0) return k;
  k.scalar = true;
  const std::string in = v.substr(7, v.size() - 8);
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  for (char c : in) {
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    if (c == ',' && !depth) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  for (const auto& part : parts) {
    const auto last = part.rfind('=');
    if (last == std::string::npos) continue;
    const std::string val = part.substr(last + 1);
    std::istringstream keys(part.substr(0, last));
    for (std::string key; std::getline(keys, key, '=');) {
      if (key == "id") k.id = val;
      if (key == "umin") k.umin = parse_num(val);
      if (key == "umax") k.umax = parse_num(val);
      if (key == "var_off") {
        unsigned long long value = 0, mask = 0;
        if (std::sscanf(val.c_str(), "(%llx; %llx)", &value, &mask) == 2) {
          k.umin = std::max<uint64_t>(k.umin, value);
          k.umax = std::min<uint64_t>(k.umax, value | mask);
        }
      }
    }
  }
  return k;
}

std::map<int, std::string> parse_kernel_regs(const std::string& s) {
  std::map<int, std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    const size_t start = i;
    int depth = 0;
    while (i < s.size() && (depth || s[i] != ' ')) {
      depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
      ++i;
    }
    const std::string tok = s.substr(start, i - start);
    if (tok.size() > 2 && tok[0] == 'R' && std::isdigit(static_cast<unsigned char>(tok[1]))) {
      const auto eq = tok.find('=');
      if (eq != std::string::npos) out[std::stoi(tok.substr(1))] = tok.substr(eq + 1);
    }
  }
  return out;
}

// Per instruction and register, the union of the kernel's scalar bounds over its visits,
// rebuilt from a log_level 2 verifier log. Registers that were a pointer on some visit are
// left out.
std::map<int, std::map<int, KernelBounds>> kernel_bounds(const std::string& log) {
  std::map<int, std::map<int, KernelBounds>> uni;
  std::map<int, std::set<int>> pointer;
  std::map<int, KernelBounds> cur;
  const std::regex from_re(R"(^from \d+ to \d+: (.*)$)"), full_re(R"(^\d+: (R\d.*)$)"),
      insn_re(R"(^(\d+): \([0-9a-f]{2}\)[^;]*(; (.*))?$)");
  auto set_all = [&](const std::string& regs) {
    cur.clear();
    for (const auto& [r, v] : parse_kernel_regs(regs)) cur[r] = parse_kernel_value(v);
  };
  std::istringstream in(log);
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_match(line, m, from_re)) {
      set_all(m[1]);
    } else if (std::regex_match(line, m, insn_re)) {
      const int idx = std::stoi(m[1]);
      for (const auto& [r, k] : cur) {
        if (!k.scalar) {
          pointer[idx].insert(r);
          continue;
        }
        auto [it, fresh] = uni[idx].emplace(r, k);
        if (!fresh) {
          it->second.umin = std::min(it->second.umin, k.umin);
          it->second.umax = std::max(it->second.umax, k.umax);
        }
      }
      if (m[3].matched)
        for (const auto& [r, v] : parse_kernel_regs(m[3])) {
          cur[r] = parse_kernel_value(v);
          // A refined register refines its linked copies too; the log shows only the former.
          if (!cur[r].id.empty() && cur[r].id.find('+') == std::string::npos)
            for (auto& [o, k] : cur)
              if (o != r && k.id == cur[r].id) k = cur[r];
        }
    } else if (std::regex_match(line, m, full_re)) {
      set_all(m[1]);
    }
  }
  for (const auto& [idx, regs] : pointer)
    for (int r : regs) uni[idx].erase(r);
  return uni;
}

// Loads the object's first program section into the kernel (no maps, no relocations) and
// compares: the checker must never claim tighter bounds than the verifier it models.
// Returns the number of register bounds compared (0 if the kernel refused the program).
size_t compare_with_kernel(const bpf::ObjectFile& obj, std::optional<ProgType> forced = {}) {
  auto model = build_model(obj, forced);
  REQUIRE(model);
  const Program& p = model->programs[0];
  if (p.funcs.size() > 1 || !obj.sections[static_cast<size_t>(p.section)].relocations.empty())
    return 0;
  bpf::LoadOptions lo;
  lo.log_level = 2;
  lo.prog_type = p.type == ProgType::Xdp ? 6 : 3;
  auto loaded = bpf::load_program(obj.sections[static_cast<size_t>(p.section)].data, lo);
  if (!loaded) return 0;
  const Analysis a = analyze(p, *model, obj);
  size_t compared = 0;
  for (const auto& [idx, regs] : kernel_bounds(loaded->verifier_log)) {
    if (static_cast<size_t>(idx) >= a.in.size() || !a.in[static_cast<size_t>(idx)]) continue;
    for (const auto& [r, k] : regs) {
      const Value& v = a.in[static_cast<size_t>(idx)]->regs[static_cast<size_t>(r)];
      if (v.kind != Kind::Scalar) continue;
      ++compared;
      INFO("insn " << idx << " r" << r << ": checker [" << v.s.umin << ", " << v.s.umax
                   << "], kernel [" << k.umin << ", " << k.umax << "]");
      CHECK(v.s.umax >= k.umax);
      CHECK(v.s.umin <= k.umin);
    }
  }
  return compared;
}

} // namespace

TEST_CASE("nfp corpus: every file triggers exactly the rules it expects", "[nfp]") {
  const auto files = corpus_files();
  REQUIRE(files.size() >= 40);
  std::set<std::string> rules_covered;
  size_t clean = 0;
  for (const auto& path : files) {
    const CorpusFile f = read_corpus_file(path);
    INFO(path);
    REQUIRE((f.clean || !f.expect.empty()));
    std::optional<ProgType> forced;
    const NfpProfile profile = corpus_profile(f, &forced);
    auto obj = assembler::assemble(f.source, {path});
    INFO((obj ? "" : obj.diagnostics().render()));
    REQUIRE(obj);
    auto report = check_nfp(*obj, profile, forced);
    INFO((report ? "" : report.diagnostics().render()));
    REQUIRE(report);
    INFO("findings:\n" << dump(*report));
    if (f.clean) {
      CHECK(report->findings.empty());
      CHECK(report->passed());
      ++clean;
      continue;
    }
    std::set<std::string> expected_rules, actual_rules;
    bool only_warnings = true;
    for (const auto& e : f.expect) expected_rules.insert(e.rule);
    for (const auto& fd : report->findings) {
      actual_rules.insert(fd.rule);
      if (fd.severity != FindingSeverity::W) only_warnings = false;
    }
    CHECK(actual_rules == expected_rules);
    CHECK(report->passed() == only_warnings);
    for (const auto& e : f.expect) {
      INFO("expected " << e.rule << (e.insn ? " @" + std::to_string(*e.insn) : "") << " "
                       << e.message);
      const bool found =
          std::any_of(report->findings.begin(), report->findings.end(), [&](const Finding& fd) {
            return fd.rule == e.rule && (!e.insn || fd.insn == e.insn) &&
                   fd.message.find(e.message) != std::string::npos;
          });
      CHECK(found);
      rules_covered.insert(e.rule);
    }
  }
  CHECK(clean >= 5);
  // Every rule of the spec's §7 has at least one rejecting program.
  for (const char* rule :
       {"R-TYPE-1", "R-FLAGS-1", "R-OP-1",    "R-OP-2",   "R-OP-3",   "R-OP-4",
        "R-REG-1",  "R-REG-2",   "R-LDIMM-1", "R-CALL-1", "R-CALL-2", "R-CALL-3",
        "R-CALL-4", "R-CALL-5",  "R-PTR-1",   "R-PTR-2",  "R-PTR-3",  "R-PTR-4",
        "R-PTR-5",  "R-CTX-1",   "R-STK-1",   "R-STK-2",  "R-STK-3",  "R-ALU-1",
        "R-ALU-2",  "R-ALU-6",   "R-EXIT-1",  "R-EXIT-2", "R-PKT-1",  "R-PKT-2",
        "R-MAP-1",  "R-MAP-2",   "R-SIZE-1",  "R-DEAD-1", "R-LOAD-1", "R-PERF-1"}) {
    INFO(rule);
    CHECK(rules_covered.count(rule));
  }
}

TEST_CASE("nfp: the JIT opcode whitelist has the spec's 115 entries", "[nfp]") {
  const auto& codes = nfp_jit_opcodes();
  CHECK(codes.size() == 115);
  for (uint8_t c : {0x97, 0x9f, 0x94, 0x9c, 0xd4, 0xd7, 0x06, 0x81, 0xe5, 0xd3, 0xcb})
    CHECK_FALSE(codes.count(c));
  for (uint8_t c : {0x07, 0x87, 0x84, 0xdc, 0x05, 0x85, 0x95, 0x16, 0xde, 0x18, 0x20, 0x50, 0x61,
                    0x7b, 0x62, 0xc3, 0xdb})
    CHECK(codes.count(c));
}

TEST_CASE("nfp scalar domain follows the kernel verifier", "[nfp]") {
  SECTION("tnum arithmetic") {
    const Tnum a = Tnum::range(0, 0xff);
    CHECK(a == Tnum{0, 0xff});
    CHECK(tnum_add(Tnum::constant(3), Tnum::constant(4)) == Tnum::constant(7));
    CHECK(tnum_and(a, Tnum::constant(0x0f)) == Tnum{0, 0x0f});
    CHECK(tnum_mul(Tnum::constant(6), Tnum::constant(7)) == Tnum::constant(42));
    CHECK(tnum_union(Tnum::constant(2), Tnum::constant(3)) == Tnum{2, 1});
  }
  SECTION("u32 load times a constant stays bounded; a register multiply does not") {
    const Scalar w = Scalar::sized(4);
    CHECK(w.umax == 0xffffffffULL);
    const Scalar by_k = scalar_alu(kOpMul, false, w, Scalar::known(3));
    CHECK(by_k.umax == 3 * 0xffffffffULL);
    // Linux 6.1 gives up on MUL with a non-constant operand, without zero-extension.
    const Scalar by_reg = scalar_alu(kOpMul, true, Scalar::sized(2), Scalar::sized(2));
    CHECK(by_reg.umax == UINT64_MAX);
    // ADD and AND are tracked with non-constant operands.
    const Scalar sum = scalar_alu(kOpAdd, false, Scalar::sized(2), Scalar::sized(2));
    CHECK(sum.umax == 2 * 0xffffULL);
  }
  SECTION("alu32 results are zero-extended") {
    Scalar neg = Scalar::known(static_cast<uint64_t>(-5));
    const Scalar w = scalar_alu(kOpAdd, true, neg, Scalar::known(1));
    CHECK(w.is_const());
    CHECK(w.var.value == 0xfffffffcULL);
  }
  SECTION("branches refine both edges, jmp32 too") {
    Scalar t = Scalar::sized(4), f = Scalar::sized(4);
    set_min_max(t, f, 1000, 1000, kJgt, false);
    CHECK(t.umin == 1001);
    CHECK(f.umax == 1000);
    Scalar t32 = Scalar::sized(4), f32 = Scalar::sized(4);
    set_min_max(t32, f32, 100, 100, kJlt, true);
    CHECK(t32.umax == 99); // upper half known zero: the 32-bit bound is the 64-bit one
    CHECK(f32.umin == 100);
    CHECK(branch_taken(Scalar::sized(1), 300, kJgt, false) == 0);
    CHECK(branch_taken(Scalar::known(5), 5, kJeq, false) == 1);
  }
  SECTION("per-path constants survive joins") {
    const Scalar j = scalar_join(Scalar::known(2), Scalar::known(4));
    CHECK(j.per_path_const());
    CHECK_FALSE(j.is_const());
    CHECK(j.umin == 2);
    CHECK(j.umax == 4);
    const Scalar shifted = scalar_alu(kOpAdd, false, j, Scalar::known(8));
    CHECK(shifted.path_values() == std::vector<uint64_t>{10, 12});
  }
}

TEST_CASE("nfp: findings carry section, index, asm text, and JSON", "[nfp]") {
  NfpProfile prof;
  prof.fw_stack_bytes = 512;
  const auto r = check_source("\t.section xdp,\"ax\",@progbits\n\t.globl p\np:\n\tr1 = 7\n"
                              "\tr1 %= 3\n\tw0 = 2\n\texit\n",
                              prof);
  REQUIRE(r.findings.size() == 1);
  const auto& f = r.findings[0];
  CHECK(f.rule == "R-OP-3");
  CHECK(f.section == "xdp");
  CHECK(f.insn == 1u);
  CHECK(f.asm_text == "r1 %= 3");
  CHECK_FALSE(r.passed());
  const auto j = render_json(r, "x.o", prof);
  CHECK(j["ok"] == false);
  CHECK(j["findings"][0]["rule"] == "R-OP-3");
  CHECK(j["findings"][0]["severity"] == "E");
  CHECK(j["findings"][0]["insn"] == 1);
  CHECK(j["programs"][0]["budget"] == 2800);
  const std::string text = render_text(r, "x.o");
  CHECK(text.find("x.o: section 'xdp' insn 1: error R-OP-3: instruction 0x97 not supported") !=
        std::string::npos);
  CHECK(text.find("FAILED") != std::string::npos);
}

TEST_CASE("nfp: the default profile warns once about the unknown FW stack", "[nfp]") {
  const auto r = check_source("\t.section xdp,\"ax\",@progbits\n\t.globl p\np:\n\tw0 = 2\n"
                              "\texit\n");
  REQUIRE(r.findings.size() == 1);
  CHECK(r.findings[0].rule == "R-STK-3");
  CHECK(r.findings[0].severity == FindingSeverity::W);
  CHECK(r.passed());
  REQUIRE(r.programs.size() == 1);
  CHECK(r.programs[0].estimated_nfp_insns == 23 + 2 + 1);
}

TEST_CASE("nfp: the ANOVA compiler's --target nfp output", "[nfp][anova]") {
  NfpProfile prof;
  prof.fw_stack_bytes = 512;
  prof.fw_inl_mtu = 1024;
  for (auto input : {anova::InputFormat::U32, anova::InputFormat::F64}) {
    for (auto match : {anova::MatchMode::Magic, anova::MatchMode::Full}) {
      anova::AnovaSpec spec;
      spec.input = input;
      spec.match = match;
      compiler::CompileOptions opts;
      opts.target = compiler::Target::Nfp;
      auto m = anova::compile_anova(spec, opts);
      INFO((m ? "" : m.diagnostics().render()));
      REQUIRE(m);
      auto r = check_nfp(m->object, prof);
      REQUIRE(r);
      INFO("input " << (input == anova::InputFormat::U32 ? "u32" : "f64") << " match "
                    << (match == anova::MatchMode::Magic ? "magic" : "full") << "\n"
                    << dump(*r));
      REQUIRE(r->programs.size() == 1);
      CHECK(r->programs[0].estimated_nfp_insns < prof.max_nfp_insns);
      if (input == anova::InputFormat::U32) {
        // The u32 program multiplies values the verifier bounds below 2^32: it offloads.
        CHECK(r->passed());
        CHECK(r->findings.empty());
      } else {
        // The f64 program squares mantissas after a shift by a register, which the verifier
        // cannot bound (R-ALU-1); findings carry the model node. Nothing else may fire.
        for (const auto& f : r->findings) {
          CHECK(f.rule == "R-ALU-1");
          CHECK_FALSE(f.node.empty());
        }
        if (!r->findings.empty())
          WARN("ANOVA f64 --target nfp: " << r->findings.size() << " R-ALU-1 findings");
      }
    }
  }
}

TEST_CASE("nfp: the checker's bounds never beat the kernel verifier's", "[nfp][kernel]") {
  if (testing::no_kernel()) return;
  size_t compared = 0, programs = 0;
  for (const auto& path : corpus_files()) {
    const CorpusFile f = read_corpus_file(path);
    auto obj = assembler::assemble(f.source, {path});
    REQUIRE(obj);
    INFO(path);
    const size_t n = compare_with_kernel(*obj);
    compared += n;
    programs += n > 0;
  }
  for (auto input : {anova::InputFormat::U32, anova::InputFormat::F64}) {
    anova::AnovaSpec spec;
    spec.input = input;
    compiler::CompileOptions opts;
    opts.target = compiler::Target::Nfp;
    auto m = anova::compile_anova(spec, opts);
    REQUIRE(m);
    const size_t n = compare_with_kernel(m->object);
    compared += n;
    programs += n > 0;
  }
  if (compared == 0)
    WARN("the verifier log format was not understood: nothing compared");
  else
    CHECK(programs >= 10);
}

TEST_CASE("nfp: a global subprogram (BTF linkage) is R-CALL-5", "[nfp]") {
  const char* src = "\t.section xdp,\"ax\",@progbits\n\t.globl prog\nprog:\n\tw1 = 1\n\tcall sub\n"
                    "\tw0 = 2\n\texit\n\t.text\n\t.globl sub\n\t.type sub,@function\nsub:\n"
                    "\tw0 = w1\n\texit\n";
  auto obj = assembler::assemble(src, {"<test>"});
  REQUIRE(obj);
  NfpProfile prof;
  prof.fw_stack_bytes = 512;
  // Without BTF the kernel treats every subprogram as static.
  auto plain = check_nfp(*obj, prof);
  REQUIRE(plain);
  INFO(dump(*plain));
  CHECK(plain->findings.empty());
  REQUIRE(plain->programs.size() == 1);
  CHECK(plain->programs[0].functions == 2);
  CHECK(plain->programs[0].stack_bytes == 64); // the callee's 4-byte return address, rounded

  struct btf* b = btf__new_empty();
  REQUIRE(b);
  const int int_id = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
  const int proto = btf__add_func_proto(b, int_id);
  REQUIRE(btf__add_func_param(b, "x", int_id) == 0);
  REQUIRE(btf__add_func(b, "sub", BTF_FUNC_GLOBAL, proto) > 0);
  uint32_t size = 0;
  const auto* raw = static_cast<const uint8_t*>(btf__raw_data(b, &size));
  auto& sec = obj->add_section(".BTF", 1, 0, 4);
  sec.data.assign(raw, raw + size);
  btf__free(b);
  auto global = check_nfp(*obj, prof);
  REQUIRE(global);
  INFO(dump(*global));
  REQUIRE(global->findings.size() == 1);
  CHECK(global->findings[0].rule == "R-CALL-5");
  CHECK(global->findings[0].insn == 1u);
  CHECK(global->findings[0].message.find("subprogram 'sub' is global") != std::string::npos);
}

TEST_CASE("a function symbol outside its section is an error and no crash", "[nfp]") {
  // Found by bit-flipping compiled objects: the checker indexed past the section (issue 12).
  auto m = anova::compile_anova({}, {});
  REQUIRE(m);
  bpf::ObjectFile obj = m->object;
  for (auto& s : obj.symbols)
    if (s.type == STT_FUNC) s.value = uint64_t{1} << 40;
  auto r = nfp::check_nfp(obj, {});
  REQUIRE_FALSE(r);
  CHECK(r.diagnostics().items()[0].message ==
        "function symbol 'xdpml_anova' (offset 1099511627776, size 776) does not lie inside "
        "section 'xdp' (776 bytes)");
}
