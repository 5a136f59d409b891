#include "bpf/isa.hpp"

#include <cctype>
#include <cstdio>
#include <deque>
#include <unordered_map>

namespace xdpml::bpf {

std::array<uint8_t, kInsnBytes> RawInsn::bytes() const {
  std::array<uint8_t, kInsnBytes> b{};
  b[0] = code;
  b[1] = static_cast<uint8_t>((dst & 0x0f) | ((src & 0x0f) << 4));
  const auto uoff = static_cast<uint16_t>(off);
  b[2] = uoff & 0xff;
  b[3] = uoff >> 8;
  const auto uimm = static_cast<uint32_t>(imm);
  for (int i = 0; i < 4; ++i) b[4 + i] = (uimm >> (8 * i)) & 0xff;
  return b;
}

RawInsn RawInsn::from_bytes(std::span<const uint8_t, kInsnBytes> b) {
  RawInsn r;
  r.code = b[0];
  r.dst = b[1] & 0x0f;
  r.src = b[1] >> 4;
  r.off = static_cast<int16_t>(static_cast<uint16_t>(b[2] | (b[3] << 8)));
  uint32_t uimm = 0;
  for (int i = 0; i < 4; ++i) uimm |= static_cast<uint32_t>(b[4 + i]) << (8 * i);
  r.imm = static_cast<int32_t>(uimm);
  return r;
}

// ---- Table construction --------------------------------------------------------------------
// Written like TableGen multiclasses: each helper adds the family of records that share an
// operation, so the encoding rules live in one place per family.

namespace {

struct TableBuilder {
  std::vector<OpcodeInfo> entries;
  std::vector<OpcodeInfo> aliases;
  std::deque<std::string> names; // owns generated record names; deque keeps views stable

  std::string_view intern(std::string s) {
    names.push_back(std::move(s));
    return names.back();
  }

  void add(OpcodeInfo info) { (info.parse_only ? aliases : entries).push_back(info); }
};

struct AluOp {
  const char* name;
  uint8_t op;
  const char* sym;
};

constexpr AluOp kAluOps[] = {
    {"ADD", 0x00, "+="}, {"SUB", 0x10, "-="}, {"MUL", 0x20, "*="},  {"DIV", 0x30, "/="},
    {"OR", 0x40, "|="},  {"AND", 0x50, "&="}, {"SLL", 0x60, "<<="}, {"SRL", 0x70, ">>="},
    {"MOD", 0x90, "%="}, {"XOR", 0xa0, "^="}, {"MOV", 0xb0, "="},   {"SRA", 0xc0, "s>>="},
};

struct JmpOp {
  const char* name;
  uint8_t op;
  const char* sym;
  bool llvm14;
};

constexpr JmpOp kJmpOps[] = {
    {"JEQ", 0x10, "==", true},   {"JUGT", 0x20, ">", true},   {"JUGE", 0x30, ">=", true},
    {"JSET", 0x40, "&", false},  {"JNE", 0x50, "!=", true},   {"JSGT", 0x60, "s>", true},
    {"JSGE", 0x70, "s>=", true}, {"JULT", 0xa0, "<", true},   {"JULE", 0xb0, "<=", true},
    {"JSLT", 0xc0, "s<", true},  {"JSLE", 0xd0, "s<=", true},
};

struct SizeInfo {
  const char* suffix; // LLVM record suffix: W H B D
  uint8_t bits;
  const char* ctype;
  int bytes;
};

constexpr SizeInfo kSizes[] = {
    {"W", 0x00, "u32", 4},
    {"H", 0x08, "u16", 2},
    {"B", 0x10, "u8", 1},
    {"D", 0x18, "u64", 8},
};

constexpr uint8_t kModeImm = 0x00, kModeAbs = 0x20, kModeInd = 0x40, kModeMem = 0x60,
                  kModeAtomic = 0xc0;
constexpr uint8_t kSrcX = 0x08;

void add_alu(TableBuilder& t) {
  for (bool is64 : {true, false}) {
    const uint8_t cls = is64 ? kClassAlu64 : kClassAlu;
    const RegKind kind = is64 ? RegKind::R64 : RegKind::W32;
    const std::string suffix = is64 ? "" : "_32";
    for (const auto& op : kAluOps) {
      const std::string sym = op.sym;
      t.add({t.intern(std::string(op.name) + "_rr" + suffix),
             static_cast<uint8_t>(cls | op.op | kSrcX), Form::Alu, kFieldDst | kFieldSrc, kind,
             kind, kNoKey, -1, t.intern("$dst " + sym + " $src"), true, false});
      t.add({t.intern(std::string(op.name) + "_ri" + suffix), static_cast<uint8_t>(cls | op.op),
             Form::Alu, kFieldDst | kFieldImm, kind, RegKind::None, kNoKey, -1,
             t.intern("$dst " + sym + " $imm"), true, false});
    }
    t.add({is64 ? "NEG_64" : "NEG_32", static_cast<uint8_t>(cls | 0x80), Form::Neg, kFieldDst, kind,
           RegKind::None, kNoKey, -1, "$dst = -$dst", true, false});
  }
  // Newer LLVM's spelling of the zero-extending 32-bit move (MOV_32_64): same encoding as w = w.
  t.add({"MOV_32_64", static_cast<uint8_t>(kClassAlu | 0xb0 | kSrcX), Form::Alu,
         kFieldDst | kFieldSrc, RegKind::R64, RegKind::W32, kNoKey, -1, "$dst = $src", false,
         true});

  for (int width : {16, 32, 64}) {
    const auto w = std::to_string(width);
    t.add({t.intern("BE" + w), static_cast<uint8_t>(kClassAlu | 0xd0 | kSrcX), Form::Endian,
           kFieldDst, RegKind::R64, RegKind::None, width, -1, t.intern("$dst = be" + w + " $dst"),
           true, false});
    t.add({t.intern("LE" + w), static_cast<uint8_t>(kClassAlu | 0xd0), Form::Endian, kFieldDst,
           RegKind::R64, RegKind::None, width, -1, t.intern("$dst = le" + w + " $dst"), true,
           false});
  }
}

void add_jumps(TableBuilder& t) {
  t.add({"JMP", static_cast<uint8_t>(kClassJmp | 0x00), Form::Ja, kFieldOff, RegKind::None,
         RegKind::None, kNoKey, -1, "goto $target", true, false});
  for (bool is64 : {true, false}) {
    const uint8_t cls = is64 ? kClassJmp : kClassJmp32;
    const RegKind kind = is64 ? RegKind::R64 : RegKind::W32;
    const std::string suffix = is64 ? "" : "_32";
    for (const auto& op : kJmpOps) {
      const std::string sym = op.sym;
      t.add({t.intern(std::string(op.name) + "_rr" + suffix),
             static_cast<uint8_t>(cls | op.op | kSrcX), Form::Jump,
             kFieldDst | kFieldSrc | kFieldOff, kind, kind, kNoKey, -1,
             t.intern("if $dst " + sym + " $src goto $target"), op.llvm14, false});
      t.add({t.intern(std::string(op.name) + "_ri" + suffix), static_cast<uint8_t>(cls | op.op),
             Form::Jump, kFieldDst | kFieldImm | kFieldOff, kind, RegKind::None, kNoKey, -1,
             t.intern("if $dst " + sym + " $imm goto $target"), op.llvm14, false});
    }
  }
  t.add({"JAL", static_cast<uint8_t>(kClassJmp | 0x80), Form::Call, kFieldImm, RegKind::None,
         RegKind::None, kNoKey, kPseudoNone, "call $imm", true, false});
  t.add({"CALL_LOCAL", static_cast<uint8_t>(kClassJmp | 0x80), Form::CallLocal, kFieldImm,
         RegKind::None, RegKind::None, kNoKey, kPseudoCall, "call $target", true, false});
  t.add({"RET", static_cast<uint8_t>(kClassJmp | 0x90), Form::Exit, 0, RegKind::None, RegKind::None,
         kNoKey, -1, "exit", true, false});
}

void add_loads_stores(TableBuilder& t) {
  const uint8_t lddw = kClassLd | kModeImm | 0x18;
  t.add({"LD_imm64", lddw, Form::LdImm64, kFieldDst | kFieldImm, RegKind::R64, RegKind::None,
         kNoKey, kPseudoNone, "$dst = $imm64 ll", true, false});
  t.add({"LD_pseudo_map_fd", lddw, Form::LdImm64, kFieldDst | kFieldImm, RegKind::R64,
         RegKind::None, kNoKey, kPseudoMapFd, "$dst = map_fd($imm) ll", false, false});
  t.add({"LD_pseudo_map_value", lddw, Form::LdImm64, kFieldDst | kFieldImm, RegKind::R64,
         RegKind::None, kNoKey, kPseudoMapValue, "$dst = map_value($imm) + $imm2 ll", false,
         false});
  t.add({"LD_pseudo_btf_id", lddw, Form::LdImm64, kFieldDst | kFieldImm, RegKind::R64,
         RegKind::None, kNoKey, kPseudoBtfId, "$dst = btf_id($imm) ll", false, false});
  t.add({"LD_pseudo_func", lddw, Form::LdImm64, kFieldDst | kFieldImm, RegKind::R64, RegKind::None,
         kNoKey, kPseudoFunc, "$dst = func($imm) ll", false, false});
  t.add({"LD_pseudo_map_idx", lddw, Form::LdImm64, kFieldDst | kFieldImm, RegKind::R64,
         RegKind::None, kNoKey, kPseudoMapIdx, "$dst = map_idx($imm) ll", false, false});
  t.add({"LD_pseudo_map_idx_value", lddw, Form::LdImm64, kFieldDst | kFieldImm, RegKind::R64,
         RegKind::None, kNoKey, kPseudoMapIdxValue, "$dst = map_idx_value($imm) + $imm2 ll", false,
         false});

  for (const auto& size : kSizes) {
    if (size.bytes == 8) continue; // no 64-bit legacy packet loads
    const std::string ct = size.ctype;
    t.add({t.intern(std::string("LD_ABS_") + size.suffix),
           static_cast<uint8_t>(kClassLd | kModeAbs | size.bits), Form::LdAbs, kFieldImm,
           RegKind::None, RegKind::None, kNoKey, -1, t.intern("r0 = *(" + ct + " *)skb[$imm]"),
           true, false});
    t.add({t.intern(std::string("LD_IND_") + size.suffix),
           static_cast<uint8_t>(kClassLd | kModeInd | size.bits), Form::LdInd, kFieldSrc,
           RegKind::None, RegKind::R64, kNoKey, -1, t.intern("r0 = *(" + ct + " *)skb[$src]"), true,
           false});
  }

  for (const auto& size : kSizes) {
    const std::string ct = size.ctype;
    const RegKind value_kind = size.bytes == 8 ? RegKind::R64 : RegKind::Narrow;
    const std::string sfx = size.suffix;
    t.add({t.intern("LD" + sfx + (size.bytes == 8 ? "W" : "")),
           static_cast<uint8_t>(kClassLdx | kModeMem | size.bits), Form::Load,
           kFieldDst | kFieldSrc | kFieldOff, value_kind, RegKind::R64, kNoKey, -1,
           t.intern("$dst = *(" + ct + " *)($src $off)"), true, false});
    t.add({t.intern("ST" + sfx + (size.bytes == 8 ? "W" : "")),
           static_cast<uint8_t>(kClassStx | kModeMem | size.bits), Form::Store,
           kFieldDst | kFieldSrc | kFieldOff, RegKind::R64, value_kind, kNoKey, -1,
           t.intern("*(" + ct + " *)($dst $off) = $src"), true, false});
    t.add({t.intern("ST" + sfx + (size.bytes == 8 ? "W" : "") + "_imm"),
           static_cast<uint8_t>(kClassSt | kModeMem | size.bits), Form::StoreImm,
           kFieldDst | kFieldOff | kFieldImm, RegKind::R64, RegKind::None, kNoKey, -1,
           t.intern("*(" + ct + " *)($dst $off) = $imm"), false, false});
  }
}

void add_atomics(TableBuilder& t) {
  struct AtomicOp {
    const char* name;
    int32_t imm;
    const char* sym;
    const char* fetch_name;
  };
  constexpr AtomicOp kOps[] = {
      {"ADD", 0x00, "+=", "add"},
      {"OR", 0x40, "|=", "or"},
      {"AND", 0x50, "&=", "and"},
      {"XOR", 0xa0, "^=", "xor"},
  };
  constexpr int32_t kFetch = 0x01, kXchg = 0xe1, kCmpxchg = 0xf1;
  for (const auto& size : kSizes) {
    if (size.bytes < 4) continue;
    const bool is64 = size.bytes == 8;
    const auto code = static_cast<uint8_t>(kClassStx | kModeAtomic | size.bits);
    const std::string ct = size.ctype;
    const RegKind kind = is64 ? RegKind::R64 : RegKind::Narrow;
    const std::string sfx = is64 ? "D" : "W32";
    const uint8_t fields = kFieldDst | kFieldSrc | kFieldOff;
    for (const auto& op : kOps) {
      const std::string name = op.name;
      t.add({t.intern("X" + name + sfx), code, Form::Atomic, fields, RegKind::R64, kind, op.imm, -1,
             t.intern("lock *(" + ct + " *)($dst $off) " + op.sym + " $src"), true, false});
      t.add({t.intern("XF" + name + sfx), code, Form::AtomicFetch, fields, RegKind::R64, kind,
             op.imm | kFetch, -1,
             t.intern("$src = atomic_fetch_" + std::string(op.fetch_name) + "((" + ct +
                      " *)($dst $off), $src)"),
             false, false});
    }
    t.add({t.intern("XCHG" + sfx), code, Form::Xchg, fields, RegKind::R64, kind, kXchg, -1,
           t.intern(is64 ? "$src = xchg_64($dst $off, $src)" : "$src = xchg32_32($dst $off, $src)"),
           false, false});
    t.add({t.intern("CMPXCHG" + sfx), code, Form::Cmpxchg, fields, RegKind::R64, kind, kCmpxchg, -1,
           t.intern(is64 ? "r0 = cmpxchg_64($dst $off, r0, $src)"
                         : "w0 = cmpxchg32_32($dst $off, w0, $src)"),
           false, false});
  }
}

struct Table {
  TableBuilder builder;
  std::vector<OpcodeInfo> all;
  std::unordered_map<std::string_view, const OpcodeInfo*> by_name;
  std::array<std::vector<const OpcodeInfo*>, 256> by_code;

  Table() {
    add_alu(builder);
    add_jumps(builder);
    add_loads_stores(builder);
    add_atomics(builder);
    all = builder.entries;
    all.insert(all.end(), builder.aliases.begin(), builder.aliases.end());
    for (const auto& e : all) {
      by_name.emplace(e.name, &e);
      if (!e.parse_only) by_code[e.code].push_back(&e);
    }
  }
};

const Table& table() {
  static const Table t;
  return t;
}

} // namespace

std::span<const OpcodeInfo> opcode_table() {
  return table().all;
}

const OpcodeInfo* find_opcode(std::string_view name) {
  const auto& m = table().by_name;
  auto it = m.find(name);
  return it == m.end() ? nullptr : it->second;
}

int OpcodeInfo::access_bytes() const {
  switch (form) {
  case Form::LdAbs:
  case Form::LdInd:
  case Form::Load:
  case Form::Store:
  case Form::StoreImm:
  case Form::Atomic:
  case Form::AtomicFetch:
  case Form::Xchg:
  case Form::Cmpxchg:
    switch (code & 0x18) {
    case 0x00:
      return 4;
    case 0x08:
      return 2;
    case 0x10:
      return 1;
    default:
      return 8;
    }
  default:
    return 0;
  }
}

bool OpcodeInfo::writes_dst() const {
  switch (form) {
  case Form::Alu:
  case Form::Neg:
  case Form::Endian:
  case Form::LdImm64:
  case Form::Load:
    return true;
  default:
    return false;
  }
}

// ---- Encode / decode -----------------------------------------------------------------------

std::vector<RawInsn> encode(const Insn& insn) {
  RawInsn first;
  first.code = insn.op->code;
  first.dst = insn.dst;
  first.src = insn.src;
  first.off = insn.off;
  if (insn.op->form == Form::LdImm64) {
    const auto u = static_cast<uint64_t>(insn.imm);
    first.imm = static_cast<int32_t>(static_cast<uint32_t>(u));
    RawInsn second;
    second.imm = static_cast<int32_t>(static_cast<uint32_t>(u >> 32));
    return {first, second};
  }
  first.imm = static_cast<int32_t>(insn.imm);
  return {first};
}

void append_bytes(const Insn& insn, std::vector<uint8_t>& out) {
  for (const auto& raw : encode(insn)) {
    const auto b = raw.bytes();
    out.insert(out.end(), b.begin(), b.end());
  }
}

std::optional<Insn> decode(std::span<const uint8_t> bytes, size_t byte_offset, DecodeError* error) {
  auto failure = [&](std::string message) -> std::optional<Insn> {
    if (error) *error = {byte_offset, std::move(message)};
    return std::nullopt;
  };
  if (byte_offset + kInsnBytes > bytes.size())
    return failure("truncated instruction: " + std::to_string(bytes.size() - byte_offset) +
                   " bytes left, need 8");
  const auto raw = RawInsn::from_bytes(bytes.subspan(byte_offset).first<kInsnBytes>());
  const auto& candidates = table().by_code[raw.code];
  if (candidates.empty()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "unknown opcode 0x%02x", raw.code);
    return failure(buf);
  }
  const OpcodeInfo* match = nullptr;
  for (const auto* c : candidates) {
    if (c->imm_key != kNoKey && c->imm_key != raw.imm) continue;
    if (c->src_key >= 0 && c->src_key != raw.src) continue;
    match = c;
    break;
  }
  if (!match) {
    char buf[96];
    if (candidates.front()->imm_key != kNoKey)
      std::snprintf(buf, sizeof buf, "opcode 0x%02x with unknown operation selector imm=0x%x",
                    raw.code, static_cast<unsigned>(raw.imm));
    else
      std::snprintf(buf, sizeof buf, "opcode 0x%02x with unknown pseudo source src_reg=%u",
                    raw.code, raw.src);
    return failure(buf);
  }
  Insn insn{match, raw.dst, raw.src, raw.off, raw.imm};
  if (match->form == Form::LdImm64) {
    if (byte_offset + 2 * kInsnBytes > bytes.size())
      return failure("ld_imm64 is missing its second 8-byte slot");
    const auto hi = RawInsn::from_bytes(bytes.subspan(byte_offset + 8).first<kInsnBytes>());
    if (hi.code != 0 || hi.dst != 0 || hi.src != 0 || hi.off != 0)
      return failure("second slot of ld_imm64 has non-zero code/register/offset fields");
    insn.imm = static_cast<int64_t>((static_cast<uint64_t>(static_cast<uint32_t>(hi.imm)) << 32) |
                                    static_cast<uint32_t>(raw.imm));
  }
  return insn;
}

// ---- Validation ----------------------------------------------------------------------------

std::string validate(const Insn& insn) {
  const OpcodeInfo& op = *insn.op;
  if (insn.dst >= kNumRegs)
    return "destination register r" + std::to_string(insn.dst) + " does not exist (r0-r10)";
  if (insn.src >= kNumRegs && op.src_key < 0)
    return "source register r" + std::to_string(insn.src) + " does not exist (r0-r10)";
  if (!(op.fields & kFieldDst) && insn.dst != 0) return "reserved dst_reg field must be 0";
  if (!(op.fields & kFieldSrc) && op.src_key < 0 && insn.src != 0)
    return "reserved src_reg field must be 0";
  if (!(op.fields & kFieldOff) && insn.off != 0) return "reserved offset field must be 0";
  if (!(op.fields & kFieldImm) && op.imm_key == kNoKey && insn.imm != 0)
    return "reserved immediate field must be 0";
  if (op.writes_dst() && insn.dst == kFramePointer)
    return "r10 is the read-only frame pointer and cannot be written";
  if (op.form == Form::Cmpxchg && insn.src == 0)
    return "cmpxchg cannot use r0 as the new value: r0 holds the expected value";

  const uint8_t alu_op = op.code & 0xf0;
  if (op.form == Form::Alu && (op.code & 0x08) == 0) {
    const int bits = op.is_alu64() ? 64 : 32;
    if ((alu_op == 0x60 || alu_op == 0x70 || alu_op == 0xc0) && (insn.imm < 0 || insn.imm >= bits))
      return "shift amount " + std::to_string(insn.imm) + " is out of range for a " +
             std::to_string(bits) + "-bit shift (0-" + std::to_string(bits - 1) + ")";
    if ((alu_op == 0x30 || alu_op == 0x90) && insn.imm == 0) return "division by constant zero";
  }
  return {};
}

// ---- Printing ------------------------------------------------------------------------------

std::string register_name(uint8_t reg, RegKind kind) {
  const char prefix = (kind == RegKind::W32 || kind == RegKind::Narrow) ? 'w' : 'r';
  return prefix + std::to_string(reg);
}

namespace {
std::string signed_offset(int64_t v) {
  return v < 0 ? "- " + std::to_string(-v) : "+ " + std::to_string(v);
}
std::string relative(int64_t v) {
  return v < 0 ? std::to_string(v) : "+" + std::to_string(v);
}
} // namespace

std::string format(const Insn& insn, int64_t index, const PrintOptions& options) {
  const OpcodeInfo& op = *insn.op;
  std::string out;
  std::string_view t = op.text;
  for (size_t i = 0; i < t.size();) {
    if (t[i] != '$') {
      out += t[i++];
      continue;
    }
    size_t j = i + 1;
    while (j < t.size() && (std::isalnum(static_cast<unsigned char>(t[j])))) ++j;
    const std::string_view name = t.substr(i + 1, j - i - 1);
    i = j;
    if (name == "dst") {
      out += register_name(insn.dst, op.dst_kind);
    } else if (name == "src") {
      out += register_name(insn.src, op.src_kind);
    } else if (name == "off") {
      out += signed_offset(insn.off);
    } else if (name == "imm") {
      // Pseudo ld_imm64 forms carry the map fd / index in the low word.
      if (op.form == Form::LdImm64)
        out += std::to_string(static_cast<int32_t>(static_cast<uint32_t>(insn.imm)));
      else
        out += std::to_string(insn.imm);
    } else if (name == "imm2") {
      out += std::to_string(static_cast<int32_t>(static_cast<uint64_t>(insn.imm) >> 32));
    } else if (name == "imm64") {
      out += options.imm64_text ? *options.imm64_text : std::to_string(insn.imm);
    } else if (name == "target") {
      const int64_t rel = op.form == Form::CallLocal ? insn.imm : insn.off;
      std::optional<std::string> label;
      if (op.form == Form::CallLocal && options.call_target_text)
        label = options.call_target_text;
      else if (options.label_for)
        label = options.label_for(index + 1 + rel);
      // A numeric bpf-to-bpf call is spelled like the verifier log ("call pc+3"): LLVM's
      // "call 3" would be read back as helper 3.
      if (label)
        out += *label;
      else
        out += (op.form == Form::CallLocal ? "pc" : "") + relative(rel);
    }
  }
  return out;
}

} // namespace xdpml::bpf
