#include "asm/assembler.hpp"

#include "asm/lexer.hpp"
#include "bpf/isa.hpp"

#include <elf.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace xdpml::assembler {

namespace {

// Limits that keep a typo from asking for gigabytes: BPF objects are kilobytes.
constexpr uint64_t kMaxDataBytes = uint64_t{1} << 26;
constexpr uint64_t kMaxAlignment = uint64_t{1} << 16;

using bpf::Form;
using bpf::Insn;
using bpf::OpcodeInfo;
using bpf::RegKind;

struct SrcRef {
  int line = 0, column = 0, length = 1;
};

SrcRef ref_of(const Token& t) {
  return {t.line, t.column, t.length};
}

// sym_plus - sym_minus + constant; symbols are names, resolved after layout.
struct Expr {
  int64_t constant = 0;
  std::string plus, minus;
  SrcRef ref;
  bool is_constant() const { return plus.empty() && minus.empty(); }
};

enum class StmtKind { Insn, Data, Leb, Bytes, Align };

struct Stmt {
  StmtKind kind = StmtKind::Bytes;
  SrcRef ref;
  // Insn
  Insn insn;
  std::optional<std::string> target_label; // jump / local call target
  SrcRef target_ref;
  std::optional<Expr> imm_expr; // ld_imm64 of a symbol
  // Data / Leb
  int width = 0;
  bool leb_signed = false;
  Expr expr;
  // Bytes
  std::vector<uint8_t> bytes;
  // Align
  uint64_t align = 1;
  uint8_t fill = 0;
  bool code_fill = false;
  // Layout
  uint64_t offset = 0;
  uint64_t size = 0;
};

struct SectionState {
  std::vector<Stmt> stmts;
  uint64_t end_offset = 0;
};

struct Label {
  int section;
  size_t stmt; // label sits before this statement (stmts.size() = section end)
  SrcRef ref;
};

struct PendingReloc {
  int section;
  uint64_t offset;
  uint32_t type;
  std::string symbol; // global/undefined symbol name, or "" for the section symbol below
  int section_symbol_of = -1;
};

struct CompiledTemplate {
  const OpcodeInfo* op;
  std::vector<Token> tokens;
};

const std::vector<CompiledTemplate>& templates() {
  static const std::vector<CompiledTemplate> all = [] {
    std::vector<CompiledTemplate> v;
    for (const auto& op : bpf::opcode_table()) {
      auto lexed = lex(op.text, true);
      auto toks = std::move(lexed.tokens);
      if (!toks.empty() && toks.back().kind == TokenKind::EndOfStatement) toks.pop_back();
      v.push_back({&op, std::move(toks)});
    }
    return v;
  }();
  return all;
}

// A signed value with 65 bits of range: magnitude plus sign, so "-9223372036854775808" and
// "18446744073709551615" are both representable for range checks.
struct Number {
  uint64_t magnitude = 0;
  bool negative = false;
  SrcRef ref;
  bool fits(__int128 lo, __int128 hi) const {
    const __int128 v =
        negative ? -static_cast<__int128>(magnitude) : static_cast<__int128>(magnitude);
    return v >= lo && v <= hi;
  }
  int64_t as_i64() const {
    return negative ? static_cast<int64_t>(-magnitude) : static_cast<int64_t>(magnitude);
  }
  std::string text() const { return (negative ? "-" : "") + std::to_string(magnitude); }
};

struct RegOperand {
  int number = -1;
  SrcRef ref;
};

struct MatchState {
  size_t pos = 0; // tokens consumed
  RegOperand dst, src;
  std::optional<Number> imm, imm2, off;
  std::optional<Number> target_rel;
  std::optional<std::string> target_label;
  SrcRef target_ref;
  std::optional<Expr> imm64_expr;
  std::optional<Number> imm64;
};

std::optional<int> parse_register(const Token& t, char prefix_wanted_or_any) {
  if (t.kind != TokenKind::Identifier || t.text.size() < 2) return std::nullopt;
  const char p = t.text[0];
  if (p != 'r' && p != 'w') return std::nullopt;
  if (prefix_wanted_or_any != '*' && p != prefix_wanted_or_any) return std::nullopt;
  int n = 0;
  for (size_t i = 1; i < t.text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(t.text[i]))) return std::nullopt;
    n = n * 10 + (t.text[i] - '0');
    if (n > 99) return n;
  }
  return n;
}

bool is_register_like(const Token& t) {
  return parse_register(t, '*').has_value();
}

class Assembler {
public:
  Assembler(std::string_view source, const AssembleOptions& options)
      : options_(options), lexed_(lex(source, false)) {}

  Result<bpf::ObjectFile> run();

private:
  const AssembleOptions& options_;
  LexResult lexed_;
  Diagnostics diags_;
  bpf::ObjectFile object_;
  std::vector<SectionState> states_;
  int current_ = -1;
  std::vector<int> section_stack_;
  int previous_ = -1;
  std::map<std::string, Label> labels_;
  std::set<std::string> globals_, weaks_, locals_;
  std::map<std::string, uint8_t> types_;
  std::map<std::string, Expr> sizes_;
  std::map<std::string, std::pair<uint64_t, uint64_t>> commons_; // name -> (size, align)
  std::vector<PendingReloc> relocs_;
  std::map<std::string, Label> section_labels_; // section names used as symbols
  bool quiet_ = false;

  // A label, or a section name used as a symbol (".long .debug_abbrev").
  const Label* find_label(const std::string& name) {
    if (auto it = labels_.find(name); it != labels_.end()) return &it->second;
    const int sec = object_.find_section(name);
    if (sec < 0) return nullptr;
    auto [it, inserted] = section_labels_.emplace(name, Label{sec, 0, {}});
    return &it->second;
  }
  bool is_local_label(const std::string& name) {
    return !globals_.count(name) && !weaks_.count(name) && find_label(name);
  }

  // ---- diagnostics
  void error(const SrcRef& r, std::string message, std::string hint = {}) {
    if (quiet_) return;
    Diagnostic d;
    d.message = std::move(message);
    d.location = {options_.file_name, r.line, r.column, r.length, {}};
    if (r.line > 0 && r.line <= static_cast<int>(lexed_.lines.size()))
      d.source_line = lexed_.lines[r.line - 1];
    d.hint = std::move(hint);
    diags_.add(std::move(d));
  }
  void error(const Token& t, std::string message, std::string hint = {}) {
    error(ref_of(t), std::move(message), std::move(hint));
  }

  // ---- sections
  int switch_section(const std::string& name, uint32_t type, uint64_t flags, uint64_t entsize) {
    int idx = object_.find_section(name);
    if (idx < 0) {
      auto& s = object_.add_section(name, type, flags, 1);
      s.entsize = entsize;
      states_.emplace_back();
      idx = static_cast<int>(object_.sections.size() - 1);
    }
    previous_ = current_;
    current_ = idx;
    return idx;
  }
  SectionState& cur() {
    if (current_ < 0) switch_section(".text", SHT_PROGBITS, bpf::kShfAlloc | bpf::kShfExec, 0);
    return states_[current_];
  }
  void add_stmt(Stmt s) { cur().stmts.push_back(std::move(s)); }

  // ---- statements
  void parse_statement(const std::vector<Token>& t);
  void parse_directive(const std::vector<Token>& t, size_t i);
  void parse_instruction(const std::vector<Token>& t, size_t i);
  bool match(const CompiledTemplate& tpl, const std::vector<Token>& t, size_t start, MatchState& m);
  bool check_operands(const OpcodeInfo& op, const MatchState& m, Insn& insn);
  std::optional<Expr> parse_expr(const std::vector<Token>& t, size_t& i);
  std::optional<Number> parse_number(const std::vector<Token>& t, size_t& i);
  std::optional<std::string> parse_symbol_name(const std::vector<Token>& t, size_t& i);

  // ---- layout and emission
  bool layout();
  std::optional<uint64_t> label_offset(const Label& l) const;
  struct Value {
    int64_t constant = 0;
    std::string symbol; // relocatable against this
  };
  std::optional<Value> evaluate(const Expr& e, bool allow_symbol);
  void emit();
  void build_symbols();
  int symbol_index(const std::string& name);
};

std::optional<Number> Assembler::parse_number(const std::vector<Token>& t, size_t& i) {
  Number n;
  size_t j = i;
  if (j < t.size() && (t[j].is_punct("-") || t[j].is_punct("+"))) {
    n.negative = t[j].is_punct("-");
    n.ref = ref_of(t[j]);
    ++j;
  }
  if (j >= t.size() || t[j].kind != TokenKind::Number) return std::nullopt;
  if (n.ref.line == 0)
    n.ref = ref_of(t[j]);
  else
    n.ref.length = t[j].column + t[j].length - n.ref.column;
  n.magnitude = t[j].value;
  if (n.magnitude == 0) n.negative = false;
  i = j + 1;
  return n;
}

std::optional<std::string> Assembler::parse_symbol_name(const std::vector<Token>& t, size_t& i) {
  if (i < t.size() && t[i].kind == TokenKind::Identifier) return t[i++].text;
  if (i < t.size() && t[i].kind == TokenKind::String) return t[i++].text;
  return std::nullopt;
}

std::optional<Expr> Assembler::parse_expr(const std::vector<Token>& t, size_t& i) {
  Expr e;
  if (i >= t.size() || t[i].kind == TokenKind::EndOfStatement) return std::nullopt;
  e.ref = ref_of(t[i]);
  bool negate = false;
  bool first = true;
  while (i < t.size()) {
    if (!first) {
      if (t[i].is_punct("+"))
        negate = false;
      else if (t[i].is_punct("-"))
        negate = true;
      else
        break;
      ++i;
    } else if (t[i].is_punct("-") && i + 1 < t.size() &&
               (t[i + 1].kind == TokenKind::Identifier || t[i + 1].kind == TokenKind::String)) {
      negate = true;
      ++i;
    }
    first = false;
    if (i >= t.size()) return std::nullopt;
    if (t[i].kind == TokenKind::Number || t[i].is_punct("-") || t[i].is_punct("+")) {
      auto n = parse_number(t, i);
      if (!n) return std::nullopt;
      const int64_t v = n->as_i64();
      // Two's-complement wrap, as llvm-mc does: "0 - 9223372036854775808" is not UB here.
      const uint64_t term =
          negate ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
      e.constant = static_cast<int64_t>(static_cast<uint64_t>(e.constant) + term);
    } else if (t[i].kind == TokenKind::Identifier || t[i].kind == TokenKind::String) {
      // A quoted name is a symbol too ("fentry/foo"), as LLVM writes names that need quotes.
      std::string& slot = negate ? e.minus : e.plus;
      if (!slot.empty()) {
        error(t[i],
              "expression has more than one " + std::string(negate ? "subtracted" : "added") +
                  " symbol",
              "supported forms are: constant, sym + constant, sym - sym + constant");
        return std::nullopt;
      }
      slot = t[i].text;
      ++i;
    } else {
      return std::nullopt;
    }
    e.ref.length = t[i - 1].column + t[i - 1].length - e.ref.column;
  }
  return e;
}

// ---- instruction parsing -------------------------------------------------------------------

bool Assembler::match(const CompiledTemplate& tpl, const std::vector<Token>& t, size_t start,
                      MatchState& m) {
  size_t i = start;
  const OpcodeInfo& op = *tpl.op;
  auto reg_prefix = [](RegKind k) {
    return k == RegKind::R64 ? 'r' : (k == RegKind::W32 ? 'w' : '*');
  };
  for (const Token& tt : tpl.tokens) {
    m.pos = std::max(m.pos, i);
    if (i >= t.size()) return false;
    const Token& cur = t[i];
    if (tt.kind != TokenKind::Placeholder) {
      if (cur.kind != tt.kind || cur.text != tt.text) return false;
      ++i;
      continue;
    }
    const std::string& p = tt.text;
    if (p == "dst" || p == "src") {
      const RegKind kind = p == "dst" ? op.dst_kind : op.src_kind;
      auto r = parse_register(cur, reg_prefix(kind));
      if (!r) return false;
      RegOperand& slot = p == "dst" ? m.dst : m.src;
      if (slot.number >= 0 && slot.number != *r) return false; // tied operand
      if (slot.number < 0) slot = {*r, ref_of(cur)};
      ++i;
    } else if (p == "imm" || p == "imm2") {
      auto n = parse_number(t, i);
      if (!n) return false;
      (p == "imm" ? m.imm : m.imm2) = n;
    } else if (p == "off") {
      if (!(cur.is_punct("+") || cur.is_punct("-"))) return false;
      const bool minus = cur.is_punct("-");
      ++i;
      auto n = parse_number(t, i); // "+ -8" is accepted too
      if (!n) return false;
      if (minus) n->negative = !n->negative && n->magnitude != 0;
      n->ref = ref_of(cur);
      n->ref.length = t[i - 1].column + t[i - 1].length - cur.column;
      m.off = n;
    } else if (p == "target") {
      if (cur.is(TokenKind::Identifier, "pc") && i + 1 < t.size() &&
          (t[i + 1].is_punct("+") || t[i + 1].is_punct("-"))) {
        ++i; // "pc+3": relative, as the verifier log prints calls
        auto n = parse_number(t, i);
        if (!n) return false;
        m.target_rel = n;
        m.target_ref = n->ref;
      } else if ((cur.kind == TokenKind::Identifier && !is_register_like(cur)) ||
                 cur.kind == TokenKind::String) {
        m.target_label = cur.text;
        m.target_ref = ref_of(cur);
        ++i;
      } else {
        auto n = parse_number(t, i);
        if (!n) return false;
        m.target_rel = n;
        m.target_ref = n->ref;
      }
    } else if (p == "imm64") {
      if ((cur.kind == TokenKind::Identifier && !is_register_like(cur)) ||
          cur.kind == TokenKind::String) {
        auto e = parse_expr(t, i);
        if (!e) return false;
        m.imm64_expr = e;
      } else {
        auto n = parse_number(t, i);
        if (!n) return false;
        m.imm64 = n;
      }
    } else {
      return false;
    }
  }
  m.pos = std::max(m.pos, i);
  return i < t.size() && t[i].kind == TokenKind::EndOfStatement;
}

bool Assembler::check_operands(const OpcodeInfo& op, const MatchState& m, Insn& insn) {
  bool ok = true;
  auto reg = [&](const RegOperand& r, uint8_t& field) {
    if (r.number < 0) return;
    if (r.number >= bpf::kNumRegs) {
      error(r.ref, "register r" + std::to_string(r.number) + " does not exist",
            "eBPF has r0-r10 (w0-w10 for their low 32 bits)");
      ok = false;
      return;
    }
    field = static_cast<uint8_t>(r.number);
  };
  reg(m.dst, insn.dst);
  reg(m.src, insn.src);
  if (op.src_key >= 0) insn.src = static_cast<uint8_t>(op.src_key);
  if (!ok) return false;

  constexpr __int128 kI32Min = INT32_MIN, kI32Max = INT32_MAX, kU32Max = UINT32_MAX;
  if (m.off) {
    if (!m.off->fits(INT16_MIN, INT16_MAX)) {
      error(m.off->ref, "offset " + m.off->text() + " does not fit in 16 bits (-32768..32767)",
            "llvm-mc 14 silently truncates this; compute the address into a register first");
      return false;
    }
    insn.off = static_cast<int16_t>(m.off->as_i64());
  }
  if (m.imm) {
    __int128 lo = kI32Min, hi = kI32Max;
    std::string what = "32-bit signed immediate";
    const bool narrow32 = op.insn_class() == bpf::kClassAlu ||
                          op.insn_class() == bpf::kClassJmp32 ||
                          (op.form == Form::StoreImm && op.access_bytes() < 8);
    if (narrow32) {
      hi = kU32Max;
      what = "32-bit immediate";
    }
    if (!m.imm->fits(lo, hi)) {
      std::string hint;
      if (op.form == Form::Alu && op.is_alu64() && (op.code & 0xf0) == 0xb0)
        hint = "64-bit constants need the two-slot form: " +
               bpf::register_name(insn.dst, RegKind::R64) + " = " + m.imm->text() + " ll";
      else if (op.is_alu64() || op.insn_class() == bpf::kClassJmp)
        hint = "64-bit operations sign-extend a 32-bit immediate; load the constant with `rN = " +
               m.imm->text() + " ll` and use the register form";
      else
        hint = "llvm-mc 14 silently truncates this value";
      error(m.imm->ref, "immediate " + m.imm->text() + " does not fit in a " + what, hint);
      return false;
    }
    insn.imm = static_cast<int32_t>(static_cast<uint32_t>(m.imm->as_i64()));
  }
  if (op.form == Form::LdImm64) {
    if (m.imm64) {
      if (!m.imm64->fits(INT64_MIN, static_cast<__int128>(UINT64_MAX))) {
        error(m.imm64->ref, "immediate " + m.imm64->text() + " does not fit in 64 bits");
        return false;
      }
      insn.imm = m.imm64->as_i64();
    } else if (m.imm) {
      uint64_t lo = static_cast<uint32_t>(insn.imm);
      uint64_t hi = 0;
      if (m.imm2) {
        if (!m.imm2->fits(kI32Min, kU32Max)) {
          error(m.imm2->ref, "offset " + m.imm2->text() + " does not fit in 32 bits");
          return false;
        }
        hi = static_cast<uint32_t>(m.imm2->as_i64());
      }
      insn.imm = static_cast<int64_t>(lo | (hi << 32));
    }
  }
  if (m.target_rel) {
    const bool call = op.form == Form::CallLocal;
    if (!m.target_rel->fits(call ? kI32Min : INT16_MIN, call ? kI32Max : INT16_MAX)) {
      error(m.target_rel->ref,
            "jump offset " + m.target_rel->text() + " does not fit in " + (call ? "32" : "16") +
                " bits",
            "llvm-mc 14 silently truncates this; split the jump");
      return false;
    }
    if (call)
      insn.imm = m.target_rel->as_i64();
    else
      insn.off = static_cast<int16_t>(m.target_rel->as_i64());
  }
  return true;
}

void Assembler::parse_instruction(const std::vector<Token>& t, size_t start) {
  MatchState best;
  std::vector<const OpcodeInfo*> nearest;
  for (const auto& tpl : templates()) {
    MatchState m;
    if (match(tpl, t, start, m)) {
      Insn insn;
      insn.op = tpl.op;
      // Endian width and atomic operation live in imm: the table entry fixes them.
      if (tpl.op->imm_key != bpf::kNoKey) insn.imm = tpl.op->imm_key;
      if (!check_operands(*tpl.op, m, insn)) return;
      if (tpl.op->parse_only) insn.op = bpf::find_opcode("MOV_rr_32"); // r1 = w2 is w1 = w2
      if (auto msg = bpf::validate(insn); !msg.empty()) {
        error(t[start], msg);
        return;
      }
      Stmt s;
      s.kind = StmtKind::Insn;
      s.ref = ref_of(t[start]);
      s.ref.length = t[t.size() - 2].column + t[t.size() - 2].length - t[start].column;
      s.insn = insn;
      s.size = static_cast<uint64_t>(insn.slots()) * bpf::kInsnBytes;
      if (m.target_label) {
        s.target_label = m.target_label;
        s.target_ref = m.target_ref;
      }
      if (m.imm64_expr) s.imm_expr = m.imm64_expr;
      add_stmt(std::move(s));
      return;
    }
    if (m.pos > best.pos) {
      best = m;
      nearest.clear();
    }
    if (m.pos == best.pos && nearest.size() < 4 && !tpl.op->parse_only) nearest.push_back(tpl.op);
  }
  // No template matched: point at the furthest token any form accepted.
  const size_t at = std::min(best.pos, t.size() - 1);
  const Token& bad = t[at];
  if (at == start) {
    error(bad, "unknown instruction '" + bad.text + "'",
          "instructions are written in LLVM syntax, e.g. `r1 += 1`, `if r1 > r2 goto L`, `call 1`, "
          "`exit`");
    return;
  }
  std::string hint = "expected a form like: ";
  for (size_t k = 0; k < nearest.size(); ++k)
    hint += (k ? " | " : "") + std::string(nearest[k]->text);
  if (is_register_like(bad)) {
    auto n = parse_register(bad, '*');
    if (n && *n >= bpf::kNumRegs) {
      error(bad, "register " + bad.text + " does not exist",
            "eBPF has r0-r10 (w0-w10 for their low 32 bits)");
      return;
    }
    error(bad, "invalid register '" + bad.text + "' here",
          "32-bit operations use w registers, 64-bit ones r registers; " + hint);
    return;
  }
  if (bad.kind == TokenKind::EndOfStatement)
    error(bad, "incomplete instruction", hint);
  else
    error(bad, "unexpected '" + bad.text + "' in instruction", hint);
}

// ---- directives ----------------------------------------------------------------------------

void Assembler::parse_directive(const std::vector<Token>& t, size_t i) {
  const Token& d = t[i];
  const std::string name = d.text;
  ++i;
  auto at_end = [&]() { return i >= t.size() || t[i].kind == TokenKind::EndOfStatement; };
  auto expect_comma = [&]() -> bool {
    if (i < t.size() && t[i].is_punct(",")) {
      ++i;
      return true;
    }
    error(i < t.size() ? t[i] : d, "expected ',' in " + name);
    return false;
  };
  auto expect_end = [&]() {
    if (!at_end()) error(t[i], "unexpected '" + t[i].text + "' after " + name);
  };
  auto number_arg = [&](uint64_t& out) -> bool {
    auto n = parse_number(t, i);
    if (!n || n->negative) {
      error(i < t.size() ? t[i] : d, name + " expects a non-negative number");
      return false;
    }
    out = n->magnitude;
    return true;
  };
  auto symbol_list = [&](auto&& fn) {
    while (!at_end()) {
      auto s = parse_symbol_name(t, i);
      if (!s) {
        error(t[i], name + " expects symbol names");
        return;
      }
      fn(*s);
      if (!at_end() && !expect_comma()) return;
    }
  };

  // A comma-separated list of expressions, one Data (or LEB128) statement each; LEB128 sizes
  // start at one byte and grow during layout.
  auto expression_list = [&](StmtKind kind, int width, bool leb_signed) {
    while (!at_end()) {
      auto e = parse_expr(t, i);
      if (!e) {
        error(t[i], "expected an expression in " + name);
        return;
      }
      Stmt s;
      s.kind = kind;
      s.ref = e->ref;
      s.width = kind == StmtKind::Data ? width : 0;
      s.leb_signed = leb_signed;
      s.expr = *e;
      s.size = static_cast<uint64_t>(width);
      add_stmt(std::move(s));
      if (!at_end() && !expect_comma()) return;
    }
  };

  // Directives that only matter to DWARF line tables, unwinding or the linker's address
  // significance table: accepted and ignored (we do not generate .debug_line/.debug_frame).
  static const std::set<std::string> kIgnored = {
      ".loc",           ".addrsig",        ".addrsig_sym",
      ".ident",         ".cfi_sections",   ".cfi_startproc",
      ".cfi_endproc",   ".cfi_def_cfa",    ".cfi_def_cfa_offset",
      ".cfi_offset",    ".cfi_restore",    ".cfi_adjust_cfa_offset",
      ".hidden",        ".protected",      ".internal",
      ".build_version", ".loc_mark_labels"};
  if (kIgnored.count(name) || name.rfind(".cfi_", 0) == 0) return;

  if (name == ".text") {
    switch_section(".text", SHT_PROGBITS, bpf::kShfAlloc | bpf::kShfExec, 0);
  } else if (name == ".data") {
    switch_section(".data", SHT_PROGBITS, bpf::kShfAlloc | bpf::kShfWrite, 0);
  } else if (name == ".bss") {
    switch_section(".bss", SHT_NOBITS, bpf::kShfAlloc | bpf::kShfWrite, 0);
  } else if (name == ".rodata") {
    switch_section(".rodata", SHT_PROGBITS, bpf::kShfAlloc, 0);
  } else if (name == ".section" || name == ".pushsection") {
    std::string sec;
    if (!at_end() && t[i].kind == TokenKind::String) {
      sec = t[i++].text;
    } else {
      // Section names such as kprobe/sys_write lex as several tokens; glue them back together.
      int end_col = -1;
      while (!at_end() && !t[i].is_punct(",") && (end_col < 0 || t[i].column == end_col)) {
        sec += t[i].text;
        end_col = t[i].column + t[i].length;
        ++i;
      }
    }
    if (sec.empty()) {
      error(d, ".section needs a name");
      return;
    }
    uint64_t flags = 0, entsize = 0;
    uint32_t type = SHT_PROGBITS;
    bool flags_given = false;
    if (!at_end() && t[i].is_punct(",")) {
      ++i;
      if (at_end() || t[i].kind != TokenKind::String) {
        error(at_end() ? d : t[i], "expected a quoted flags string such as \"ax\"");
        return;
      }
      flags_given = true;
      for (char c : t[i].text) {
        bool known = false;
        for (const auto& f : bpf::kSectionFlagLetters)
          if (f.letter == c) {
            flags |= f.flag;
            known = true;
          }
        // Group, TLS, OS-specific and retain flags mean nothing to BPF loaders: accepted.
        if (!known && c != 'G' && c != 'T' && c != 'o' && c != 'R')
          error(t[i], std::string("unknown section flag '") + c + "'", "flags are a w x M S e");
      }
      ++i;
      if (!at_end() && t[i].is_punct(",")) {
        ++i;
        if (!at_end() && (t[i].is_punct("@") || t[i].is_punct("%"))) ++i;
        if (!at_end() && t[i].kind == TokenKind::Number) {
          if (t[i].value > UINT32_MAX || t[i].value == SHT_NULL) {
            error(t[i], "section type " + std::to_string(t[i].value) + " is not valid",
                  "a numeric type is an SHT_ value from 1 to 0xffffffff");
            return;
          }
          type = static_cast<uint32_t>(t[i++].value);
        } else if (at_end() || t[i].kind != TokenKind::Identifier) {
          error(at_end() ? d : t[i], "expected a section type such as @progbits");
          return;
        } else {
          const std::string ty = t[i++].text;
          const auto* named =
              std::find_if(std::begin(bpf::kSectionTypeNames), std::end(bpf::kSectionTypeNames),
                           [&](const bpf::SectionTypeName& n) { return ty == n.name; });
          if (named != std::end(bpf::kSectionTypeNames))
            type = named->type;
          else
            error(t[i - 1], "unknown section type '" + ty + "'",
                  "use @progbits, @nobits, @note, @init_array, @fini_array or a number");
        }
        if (!at_end() && t[i].is_punct(",")) {
          ++i;
          if (!number_arg(entsize)) return;
        }
      }
    }
    if (!flags_given) {
      // Default flags as LLVM's ELF parser infers them from well-known names.
      if (sec == ".text" || sec.rfind(".text.", 0) == 0)
        flags = bpf::kShfAlloc | bpf::kShfExec;
      else if (sec == ".data" || sec.rfind(".data.", 0) == 0 || sec == ".bss")
        flags = bpf::kShfAlloc | bpf::kShfWrite;
      else if (sec.rfind(".rodata", 0) == 0)
        flags = bpf::kShfAlloc;
      if (sec == ".bss") type = SHT_NOBITS;
    }
    if (name == ".pushsection") section_stack_.push_back(current_);
    const int existing = object_.find_section(sec);
    switch_section(sec, type, flags, entsize);
    if (existing >= 0 && flags_given && object_.sections[existing].flags != flags)
      error(d, "section '" + sec + "' was declared earlier with different flags");
  } else if (name == ".popsection") {
    if (section_stack_.empty()) {
      error(d, ".popsection without .pushsection");
      return;
    }
    current_ = section_stack_.back();
    section_stack_.pop_back();
  } else if (name == ".previous") {
    if (previous_ >= 0) std::swap(current_, previous_);
  } else if (name == ".globl" || name == ".global") {
    symbol_list([&](const std::string& s) { globals_.insert(s); });
  } else if (name == ".weak") {
    symbol_list([&](const std::string& s) { weaks_.insert(s); });
  } else if (name == ".local") {
    symbol_list([&](const std::string& s) {
      globals_.erase(s);
      locals_.insert(s);
    });
  } else if (name == ".type") {
    auto s = parse_symbol_name(t, i);
    if (!s || !expect_comma()) {
      if (!s) error(d, ".type needs a symbol");
      return;
    }
    if (!at_end() && (t[i].is_punct("@") || t[i].is_punct("%"))) ++i;
    if (at_end() || t[i].kind != TokenKind::Identifier) {
      error(at_end() ? d : t[i], "expected a symbol type such as @function");
      return;
    }
    const std::string ty = t[i++].text;
    if (ty == "function" || ty == "STT_FUNC")
      types_[*s] = STT_FUNC;
    else if (ty == "object" || ty == "STT_OBJECT")
      types_[*s] = STT_OBJECT;
    else if (ty == "notype" || ty == "STT_NOTYPE")
      types_[*s] = STT_NOTYPE;
    else
      error(t[i - 1], "unknown symbol type '" + ty + "'", "use @function, @object or @notype");
    expect_end();
  } else if (name == ".size") {
    auto s = parse_symbol_name(t, i);
    if (!s || !expect_comma()) {
      if (!s) error(d, ".size needs a symbol");
      return;
    }
    auto e = parse_expr(t, i);
    if (!e) {
      error(i < t.size() ? t[i] : d, ".size needs an expression");
      return;
    }
    sizes_[*s] = *e;
    expect_end();
  } else if (name == ".file") {
    if (!at_end() && t[i].kind == TokenKind::String) {
      object_.source_file = t[i].text;
    }
    // `.file N "dir" "name"` entries describe DWARF line-table files: ignored.
  } else if (name == ".p2align" || name == ".align" || name == ".balign" || name == ".p2alignw" ||
             name == ".p2alignl") {
    uint64_t v = 0;
    if (!number_arg(v)) return;
    uint64_t fill = 0;
    bool fill_given = false;
    if (!at_end() && t[i].is_punct(",")) {
      ++i;
      if (!at_end() && !t[i].is_punct(",")) {
        if (!number_arg(fill)) return;
        fill_given = true;
      }
      if (!at_end() && t[i].is_punct(",")) {
        ++i;
        uint64_t ignored_max = 0;
        if (!number_arg(ignored_max)) return;
      }
    }
    const bool power = name.rfind(".p2align", 0) == 0;
    if (power && v > 16) {
      error(d, "alignment 2^" + std::to_string(v) + " is too large");
      return;
    }
    const uint64_t align = power ? (uint64_t{1} << v) : v;
    if (align == 0 || (align & (align - 1))) {
      error(d, "alignment " + std::to_string(align) + " is not a power of two");
      return;
    }
    if (align > kMaxAlignment) {
      error(d, "alignment " + std::to_string(align) + " is too large (at most " +
                   std::to_string(kMaxAlignment) + ")");
      return;
    }
    Stmt s;
    s.kind = StmtKind::Align;
    s.ref = ref_of(d);
    s.align = align;
    s.fill = static_cast<uint8_t>(fill);
    s.code_fill = !fill_given;
    add_stmt(std::move(s));
    auto& sec = object_.sections[current_];
    sec.align = std::max(sec.align, align);
  } else if (name == ".byte" || name == ".short" || name == ".hword" || name == ".2byte" ||
             name == ".value" || name == ".long" || name == ".int" || name == ".4byte" ||
             name == ".quad" || name == ".8byte") {
    const int width = (name == ".byte")                                         ? 1
                      : (name == ".quad" || name == ".8byte")                   ? 8
                      : (name == ".long" || name == ".int" || name == ".4byte") ? 4
                                                                                : 2;
    expression_list(StmtKind::Data, width, false);
  } else if (name == ".uleb128" || name == ".sleb128") {
    expression_list(StmtKind::Leb, 1, name == ".sleb128");
  } else if (name == ".ascii" || name == ".asciz" || name == ".string") {
    while (!at_end()) {
      if (t[i].kind != TokenKind::String) {
        error(t[i], name + " expects quoted strings");
        return;
      }
      Stmt s;
      s.kind = StmtKind::Bytes;
      s.ref = ref_of(t[i]);
      s.bytes.assign(t[i].text.begin(), t[i].text.end());
      if (name != ".ascii") s.bytes.push_back(0);
      s.size = s.bytes.size();
      add_stmt(std::move(s));
      ++i;
      if (!at_end() && !expect_comma()) return;
    }
  } else if (name == ".zero" || name == ".space" || name == ".skip") {
    uint64_t count = 0, fill = 0;
    if (!number_arg(count)) return;
    if (!at_end() && t[i].is_punct(",")) {
      ++i;
      if (!number_arg(fill)) return;
    }
    if (count > kMaxDataBytes) {
      error(d, name + " of " + std::to_string(count) + " bytes is unreasonably large");
      return;
    }
    Stmt s;
    s.kind = StmtKind::Bytes;
    s.ref = ref_of(d);
    s.bytes.assign(count, static_cast<uint8_t>(fill));
    s.size = count;
    add_stmt(std::move(s));
  } else if (name == ".comm" || name == ".lcomm") {
    // Tentative definitions: .comm becomes an SHN_COMMON symbol (value = alignment) as in
    // llvm-mc; .lcomm reserves local space in .bss.
    auto s = parse_symbol_name(t, i);
    uint64_t size = 0, align = 1;
    if (!s) {
      error(d, name + " needs a symbol");
      return;
    }
    if (!expect_comma() || !number_arg(size)) return;
    if (!at_end()) {
      if (!expect_comma() || !number_arg(align)) return;
    }
    if (size > kMaxDataBytes || align > kMaxAlignment || (align & (align - 1))) {
      error(d,
            name + " of " + std::to_string(size) + " bytes aligned to " + std::to_string(align) +
                " is out of range",
            "sizes up to 2^26 bytes, alignments a power of two up to 2^16");
      return;
    }
    // ".local x" + ".comm x" is a local common: llvm-mc allocates it in .bss like .lcomm.
    if (name == ".comm" && !locals_.count(*s)) {
      commons_[*s] = {size, align};
    } else {
      const int saved = current_;
      switch_section(".bss", SHT_NOBITS, bpf::kShfAlloc | bpf::kShfWrite, 0);
      Stmt a;
      a.kind = StmtKind::Align;
      a.ref = ref_of(d);
      a.align = align ? align : 1;
      add_stmt(std::move(a));
      labels_.emplace(*s, Label{current_, states_[current_].stmts.size(), ref_of(d)});
      Stmt z;
      z.kind = StmtKind::Bytes;
      z.ref = ref_of(d);
      z.bytes.assign(size, 0);
      z.size = size;
      add_stmt(std::move(z));
      current_ = saved;
    }
    expect_end();
  } else if (name == ".bpf_map") {
    // xdpml extension: .bpf_map NAME, TYPE, KEY_SIZE, VALUE_SIZE, MAX_ENTRIES[, FLAGS]
    bpf::MapDef m;
    auto s = parse_symbol_name(t, i);
    if (!s) {
      error(d, ".bpf_map needs a map name",
            "usage: .bpf_map NAME, array|hash|..., KEY_SIZE, VALUE_SIZE, MAX_ENTRIES[, FLAGS]");
      return;
    }
    m.name = *s;
    if (!expect_comma()) return;
    if (at_end() || t[i].kind != TokenKind::Identifier) {
      error(at_end() ? d : t[i], "expected a map type such as array or hash");
      return;
    }
    auto type = bpf::map_type_from_name(t[i].text);
    if (!type) {
      error(t[i], "unknown map type '" + t[i].text + "'",
            "known: hash, array, percpu_array, lru_hash, ringbuf, ...");
      return;
    }
    m.type = *type;
    ++i;
    uint64_t fields[4] = {0, 0, 0, 0};
    for (int k = 0; k < 3; ++k) {
      if (!expect_comma() || !number_arg(fields[k])) return;
    }
    if (!at_end()) {
      if (!expect_comma() || !number_arg(fields[3])) return;
    }
    for (auto f : fields)
      if (f > UINT32_MAX) {
        error(d, "map parameter " + std::to_string(f) + " does not fit in 32 bits");
        return;
      }
    m.key_size = static_cast<uint32_t>(fields[0]);
    m.value_size = static_cast<uint32_t>(fields[1]);
    m.max_entries = static_cast<uint32_t>(fields[2]);
    m.map_flags = static_cast<uint32_t>(fields[3]);
    if (labels_.count(m.name)) {
      error(d, "map name '" + m.name + "' is already a label");
      return;
    }
    for (const auto& other : object_.maps)
      if (other.name == m.name) {
        error(d, "map '" + m.name + "' is declared twice");
        return;
      }
    object_.maps.push_back(m);
    expect_end();
  } else {
    error(d, "unknown directive '" + name + "'",
          "supported: .text .section .globl .type .size .p2align .byte .short .long .quad .ascii "
          ".asciz .zero .uleb128 .bpf_map ...");
  }
}

void Assembler::parse_statement(const std::vector<Token>& t) {
  size_t i = 0;
  // Labels: "name:" possibly followed by more on the same line.
  while (i + 1 < t.size() &&
         (t[i].kind == TokenKind::Identifier || t[i].kind == TokenKind::Number ||
          t[i].kind == TokenKind::String) &&
         t[i + 1].is_punct(":")) {
    if (t[i].kind == TokenKind::Number) {
      error(t[i], "numeric local labels are not supported", "use a named label such as .Ltmp1");
      return;
    }
    const std::string& name = t[i].text;
    if (is_register_like(t[i]) && parse_register(t[i], '*').value_or(99) <= 10) {
      error(t[i], "'" + name + "' is a register name and cannot be a label");
      return;
    }
    cur();
    auto [it, inserted] =
        labels_.emplace(name, Label{current_, states_[current_].stmts.size(), ref_of(t[i])});
    if (!inserted) {
      const auto& prev = it->second;
      error(t[i], "label '" + name + "' is defined twice",
            "first defined on line " + std::to_string(prev.ref.line));
    }
    i += 2;
  }
  if (i >= t.size() || t[i].kind == TokenKind::EndOfStatement) return;
  // DWARF-only directives may carry 128-bit md5 numbers: skip them before the token check.
  const bool is_directive = t[i].kind == TokenKind::Identifier && t[i].text[0] == '.' &&
                            !(i + 1 < t.size() && t[i + 1].is_punct("="));
  if (is_directive && (t[i].text == ".file" || t[i].text == ".loc") &&
      !(i + 1 < t.size() && t[i + 1].kind == TokenKind::String))
    return;
  for (const auto& tok : t)
    if (tok.kind == TokenKind::Error) {
      error(tok, tok.text);
      return;
    }
  if (is_directive) {
    parse_directive(t, i);
    return;
  }
  cur();
  parse_instruction(t, i);
}

// ---- layout --------------------------------------------------------------------------------

namespace {
size_t leb_size(int64_t v, bool is_signed) {
  size_t n = 0;
  if (!is_signed) {
    auto u = static_cast<uint64_t>(v);
    do {
      u >>= 7;
      ++n;
    } while (u);
    return n;
  }
  bool more = true;
  while (more) {
    const uint8_t byte = v & 0x7f;
    v >>= 7;
    more = !((v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40)));
    ++n;
  }
  return n;
}

void leb_encode(int64_t v, bool is_signed, size_t size, std::vector<uint8_t>& out) {
  // Padded to `size` bytes so the layout computed earlier stays valid.
  for (size_t k = 0; k < size; ++k) {
    uint8_t byte = v & 0x7f;
    v = is_signed ? (v >> 7) : static_cast<int64_t>(static_cast<uint64_t>(v) >> 7);
    if (k + 1 < size) byte |= 0x80;
    out.push_back(byte);
  }
}
} // namespace

std::optional<uint64_t> Assembler::label_offset(const Label& l) const {
  const auto& st = states_[l.section];
  if (l.stmt >= st.stmts.size()) return st.end_offset;
  return st.stmts[l.stmt].offset;
}

std::optional<Assembler::Value> Assembler::evaluate(const Expr& e, bool allow_symbol) {
  Value v;
  v.constant = e.constant;
  auto lookup = [&](const std::string& s) -> const Label* { return find_label(s); };
  if (!e.minus.empty()) {
    const Label* minus = lookup(e.minus);
    const Label* plus = e.plus.empty() ? nullptr : lookup(e.plus);
    if (!minus || (!e.plus.empty() && !plus)) {
      error(e.ref, "symbol difference '" + e.plus + "-" + e.minus + "' uses an undefined label");
      return std::nullopt;
    }
    if (!plus || plus->section != minus->section) {
      error(e.ref, "cannot subtract labels of different sections",
            "a difference must be between labels of one section");
      return std::nullopt;
    }
    v.constant +=
        static_cast<int64_t>(*label_offset(*plus)) - static_cast<int64_t>(*label_offset(*minus));
    return v;
  }
  if (e.plus.empty()) return v;
  if (!allow_symbol) {
    error(e.ref, "expression must be a constant here");
    return std::nullopt;
  }
  v.symbol = e.plus;
  return v;
}

bool Assembler::layout() {
  // LEB128 sizes depend on label distances, which depend on LEB128 sizes: iterate until the
  // layout is stable. Sizes only grow, so this terminates.
  for (int iteration = 0; iteration < 64; ++iteration) {
    for (auto& st : states_) {
      uint64_t off = 0;
      for (auto& s : st.stmts) {
        if (s.kind == StmtKind::Align) {
          s.offset = off;
          s.size = (s.align - off % s.align) % s.align;
        } else {
          s.offset = off;
        }
        off += s.size;
      }
      st.end_offset = off;
    }
    bool changed = false;
    for (auto& st : states_)
      for (auto& s : st.stmts) {
        if (s.kind != StmtKind::Leb) continue;
        // Errors are reported once, by the emission pass.
        quiet_ = true;
        auto v = evaluate(s.expr, false);
        quiet_ = false;
        if (!v) continue;
        const auto need = std::max<uint64_t>(s.size, leb_size(v->constant, s.leb_signed));
        if (need != s.size) {
          s.size = need;
          changed = true;
        }
      }
    if (!changed) return true;
  }
  error(SrcRef{}, "LEB128 layout did not converge");
  return false;
}

// ---- emission ------------------------------------------------------------------------------

void Assembler::emit() {
  for (size_t si = 0; si < states_.size(); ++si) {
    auto& sec = object_.sections[si];
    auto& st = states_[si];
    std::vector<uint8_t> out;
    out.reserve(st.end_offset);
    const bool nobits = sec.type == SHT_NOBITS;
    for (auto& s : st.stmts) {
      switch (s.kind) {
      case StmtKind::Align:
        if (sec.is_code() && s.code_fill) {
          // Code is padded with zero bytes like llvm-mc; an odd pad inside code is an error.
          if (s.size % bpf::kInsnBytes) error(s.ref, "alignment would split an instruction");
        }
        out.insert(out.end(), s.size, s.fill);
        break;
      case StmtKind::Bytes:
        out.insert(out.end(), s.bytes.begin(), s.bytes.end());
        break;
      case StmtKind::Leb: {
        auto v = evaluate(s.expr, false);
        leb_encode(v ? v->constant : 0, s.leb_signed, s.size, out);
        break;
      }
      case StmtKind::Data: {
        auto v = evaluate(s.expr, s.width >= 4);
        int64_t value = v ? v->constant : 0;
        if (v && !v->symbol.empty()) {
          PendingReloc r{static_cast<int>(si), s.offset,
                         s.width == 8 ? bpf::kRelocAbs64 : bpf::kRelocAbs32, v->symbol};
          if (const Label* found = find_label(v->symbol)) {
            const Label& l = *found;
            if (s.width == 4 && object_.sections[l.section].is_code()) r.type = bpf::kRelocNoDyld32;
            if (is_local_label(v->symbol)) {
              // Local labels relocate against their section; the offset goes in place (REL).
              r.symbol.clear();
              r.section_symbol_of = l.section;
              value += static_cast<int64_t>(*label_offset(l));
            }
          }
          relocs_.push_back(r);
        } else if (v) {
          const __int128 lo =
              s.width == 8 ? INT64_MIN : -(static_cast<__int128>(1) << (8 * s.width - 1));
          const __int128 hi = s.width == 8 ? static_cast<__int128>(UINT64_MAX)
                                           : (static_cast<__int128>(1) << (8 * s.width)) - 1;
          if (value < lo || value > hi)
            error(s.expr.ref, "value " + std::to_string(value) + " does not fit in " +
                                  std::to_string(s.width) + " byte(s)");
        }
        const auto u = static_cast<uint64_t>(value);
        for (int k = 0; k < s.width; ++k) out.push_back(static_cast<uint8_t>(u >> (8 * k)));
        break;
      }
      case StmtKind::Insn: {
        Insn insn = s.insn;
        if (!sec.is_code())
          error(s.ref, "instruction in non-code section '" + sec.name + "'",
                "put code in a section declared with \"ax\"");
        if (s.target_label) {
          const Label* found = find_label(*s.target_label);
          const bool is_call = insn.op->form == Form::CallLocal;
          if (!found) {
            if (is_call) {
              // Extern function (kfunc or a function in another object): relocation only.
              insn.imm = -1;
              relocs_.push_back(
                  {static_cast<int>(si), s.offset, bpf::kReloc64_32, *s.target_label});
            } else {
              error(s.target_ref, "undefined label '" + *s.target_label + "'");
            }
          } else {
            const Label& l = *found;
            const auto target = static_cast<int64_t>(*label_offset(l));
            if (l.section == static_cast<int>(si) &&
                !(is_call && globals_.count(*s.target_label))) {
              const int64_t delta = target - static_cast<int64_t>(s.offset + bpf::kInsnBytes);
              if (delta % bpf::kInsnBytes) {
                error(s.target_ref,
                      "label '" + *s.target_label + "' is not on an instruction boundary");
              } else {
                const int64_t rel = delta / bpf::kInsnBytes;
                if (!is_call && (rel < INT16_MIN || rel > INT16_MAX))
                  error(s.target_ref,
                        "jump to '" + *s.target_label + "' spans " + std::to_string(rel) +
                            " instructions; eBPF jumps reach -32768..32767",
                        "llvm-mc 14 silently truncates this offset; restructure the code or use a "
                        "trampoline");
                if (is_call)
                  insn.imm = rel;
                else
                  insn.off = static_cast<int16_t>(rel);
              }
            } else if (!is_call) {
              error(s.target_ref, "jump to '" + *s.target_label + "' in another section",
                    "jumps stay inside one section; use call for functions");
            } else if (globals_.count(*s.target_label)) {
              insn.imm = -1;
              relocs_.push_back(
                  {static_cast<int>(si), s.offset, bpf::kReloc64_32, *s.target_label});
            } else {
              insn.imm = target / bpf::kInsnBytes - 1;
              PendingReloc r{static_cast<int>(si), s.offset, bpf::kReloc64_32, ""};
              r.section_symbol_of = l.section;
              relocs_.push_back(r);
            }
          }
        }
        if (s.imm_expr) {
          auto v = evaluate(*s.imm_expr, true);
          if (v && v->symbol.empty()) {
            insn.imm = v->constant;
          } else if (v) {
            PendingReloc r{static_cast<int>(si), s.offset, bpf::kReloc64_64, v->symbol};
            int64_t addend = v->constant;
            if (is_local_label(v->symbol)) {
              const Label* l = find_label(v->symbol);
              r.symbol.clear();
              r.section_symbol_of = l->section;
              addend += static_cast<int64_t>(*label_offset(*l));
            }
            insn.imm = addend;
            relocs_.push_back(r);
          }
        }
        bpf::append_bytes(insn, out);
        break;
      }
      }
    }
    if (nobits) {
      for (uint8_t b : out)
        if (b) {
          error(SrcRef{}, "section '" + sec.name + "' is @nobits but has non-zero data");
          break;
        }
      sec.nobits_size = out.size();
    } else {
      sec.data = std::move(out);
    }
  }
}

int Assembler::symbol_index(const std::string& name) {
  int idx = object_.find_symbol(name);
  if (idx >= 0) return idx;
  bpf::Symbol s;
  s.name = name;
  s.section = -1;
  s.bind = weaks_.count(name) ? STB_WEAK : STB_GLOBAL;
  s.type = types_.count(name) ? types_[name] : STT_NOTYPE;
  object_.symbols.push_back(s);
  return static_cast<int>(object_.symbols.size() - 1);
}

void Assembler::build_symbols() {
  // LLVM keeps every label except the assembler-temporary ".L" ones as a symbol.
  std::vector<std::pair<const std::string*, const Label*>> ordered;
  for (const auto& [name, label] : labels_) ordered.push_back({&name, &label});
  std::sort(ordered.begin(), ordered.end(), [](auto a, auto b) {
    return std::tie(a.second->ref.line, a.second->ref.column) <
           std::tie(b.second->ref.line, b.second->ref.column);
  });
  for (const auto& [name_ptr, label] : ordered) {
    const std::string& name = *name_ptr;
    const bool global = globals_.count(name) || weaks_.count(name);
    if (name.rfind(".L", 0) == 0 && !global && !types_.count(name)) continue;
    bpf::Symbol s;
    s.name = name;
    s.section = label->section;
    s.value = *label_offset(*label);
    s.bind = weaks_.count(name) ? STB_WEAK : (global ? STB_GLOBAL : STB_LOCAL);
    s.type = types_.count(name) ? types_[name] : STT_NOTYPE;
    if (auto it = sizes_.find(name); it != sizes_.end()) {
      if (auto v = evaluate(it->second, false); v) {
        if (v->constant < 0)
          error(it->second.ref, "negative size for '" + name + "'");
        else
          s.size = static_cast<uint64_t>(v->constant);
      }
    }
    object_.symbols.push_back(s);
  }
  for (const auto& [name, common] : commons_) {
    if (labels_.count(name)) {
      error(SrcRef{}, "'" + name + "' is both .comm and defined");
      continue;
    }
    bpf::Symbol s;
    s.name = name;
    s.section = bpf::kSectionCommon;
    s.value = common.second;
    s.size = common.first;
    s.bind = STB_GLOBAL;
    s.type = STT_OBJECT;
    object_.symbols.push_back(s);
  }
  for (const auto& name : globals_)
    if (!labels_.count(name) && object_.find_symbol(name) < 0) symbol_index(name);
  for (const auto& [name, e] : sizes_)
    if (!labels_.count(name)) error(e.ref, ".size for '" + name + "', which is not defined here");
}

Result<bpf::ObjectFile> Assembler::run() {
  // Split the token stream into statements.
  std::vector<Token> statement;
  for (auto& tok : lexed_.tokens) {
    statement.push_back(tok);
    if (tok.kind == TokenKind::EndOfStatement) {
      parse_statement(statement);
      statement.clear();
    }
  }
  if (!statement.empty()) {
    statement.push_back(
        {TokenKind::EndOfStatement, "", 0, statement.back().line, statement.back().column + 1, 1});
    parse_statement(statement);
  }
  if (object_.find_section(".text") < 0)
    switch_section(".text", SHT_PROGBITS, bpf::kShfAlloc | bpf::kShfExec, 0);
  if (diags_.has_errors()) return fail(diags_);
  if (!layout()) return fail(diags_);
  emit();
  if (diags_.has_errors()) return fail(diags_);

  if (auto st = bpf::materialize_maps(object_); !st) return st.failure();
  build_symbols();
  if (diags_.has_errors()) return fail(diags_);
  for (const auto& r : relocs_) {
    const int sym = r.section_symbol_of >= 0 ? object_.section_symbol(r.section_symbol_of)
                                             : symbol_index(r.symbol);
    object_.sections[r.section].relocations.push_back({r.offset, r.type, sym});
  }
  for (auto& sec : object_.sections)
    std::sort(sec.relocations.begin(), sec.relocations.end(),
              [](const auto& a, const auto& b) { return a.offset < b.offset; });
  bpf::ensure_function_symbols(object_);
  return std::move(object_);
}

} // namespace

Result<bpf::ObjectFile> assemble(std::string_view source, const AssembleOptions& options) {
  Assembler a(source, options);
  return a.run();
}

} // namespace xdpml::assembler
