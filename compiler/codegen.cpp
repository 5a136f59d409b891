#include "compiler/codegen.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace xdpml::compiler {

size_t MachineProgram::slots() const {
  size_t n = 0;
  for (const auto& i : insns) n += static_cast<size_t>(i.slots());
  return n;
}

namespace {

using bpf::Form;
using bpf::OpcodeInfo;

constexpr Int kU32Max = (Int{1} << 32) - 1;
constexpr int kPacketReg = 2; // the packet pointer lives in r2 for the whole program
constexpr int kScratchA = 8, kScratchB = 9;

enum class RK : uint8_t { None, Phys, Virt };
struct R {
  RK kind = RK::None;
  int n = 0;
  static R phys(int r) { return {RK::Phys, r}; }
  static R virt(int v) { return {RK::Virt, v}; }
  bool is_virt() const { return kind == RK::Virt; }
};

// A machine instruction over virtual registers, or a label definition (op == nullptr).
struct MI {
  const OpcodeInfo* op = nullptr;
  R dst, src;
  int16_t off = 0;
  int64_t imm = 0;
  int target = -1; // label id for jumps
  int label = -1;  // label definition
  int origin = -1;
  // A 32-bit copy whose source may hold a 64-bit value: it truncates, so it is not a no-op
  // even when allocation puts source and destination in one register.
  bool truncates = false;
};

struct Access {
  bool dst_read, dst_written, src_read;
};

Access access_of(const MI& m) {
  const OpcodeInfo& op = *m.op;
  const bool reg_src = (op.fields & bpf::kFieldSrc) != 0;
  switch (op.form) {
  case Form::Alu: {
    const bool is_mov = (op.code & 0xf0) == 0xb0;
    return {!is_mov, true, reg_src};
  }
  case Form::Neg:
  case Form::Endian:
    return {true, true, false};
  case Form::Load:
    return {false, true, true};
  case Form::Store:
    return {true, false, true};
  case Form::StoreImm:
    return {true, false, false};
  case Form::Jump:
    return {true, false, reg_src};
  case Form::LdImm64:
    return {false, true, false};
  default:
    return {false, false, false};
  }
}

// a cmp b  <=>  b mirrored(cmp) a
Cmp mirrored(Cmp c) {
  switch (c) {
  case Cmp::Lt:
    return Cmp::Gt;
  case Cmp::Le:
    return Cmp::Ge;
  case Cmp::Gt:
    return Cmp::Lt;
  case Cmp::Ge:
    return Cmp::Le;
  default:
    return c; // Eq, Ne
  }
}

// !(a cmp b)  <=>  a negated(cmp) b
Cmp negated(Cmp c) {
  switch (c) {
  case Cmp::Eq:
    return Cmp::Ne;
  case Cmp::Ne:
    return Cmp::Eq;
  case Cmp::Lt:
    return Cmp::Ge;
  case Cmp::Le:
    return Cmp::Gt;
  case Cmp::Gt:
    return Cmp::Le;
  case Cmp::Ge:
    return Cmp::Lt;
  }
  return c;
}

const OpcodeInfo* opcode(const std::string& name) {
  return bpf::find_opcode(name);
}

class Generator {
public:
  Generator(const Function& f, const CodegenOptions& o) : f_(f), opt_(o) {}
  Result<MachineProgram> run();

private:
  const Function& f_;
  const CodegenOptions& opt_;
  std::vector<MI> code_;
  std::vector<R> value_reg_;
  std::vector<int> last_use_;
  std::map<Int, R> const_regs_;
  std::map<int, R> widened_; // value -> register holding it sign-extended to 64 bits
  int next_vreg_ = 0;
  int next_label_ = 0;
  int origin_ = -1;
  bool uniform_verdict_ = false;
  Diagnostics diags_;

  R new_vreg() { return R::virt(next_vreg_++); }
  int new_label() { return next_label_++; }
  void emit(const char* name, R dst, R src, int16_t off, int64_t imm, int target = -1) {
    MI m;
    m.op = opcode(name);
    if (!m.op) diags_.add(make_error(std::string("internal: no opcode ") + name));
    m.dst = dst;
    m.src = src;
    m.off = off;
    m.imm = imm;
    m.target = target;
    m.origin = origin_;
    code_.push_back(m);
  }
  void label(int id) {
    MI m;
    m.label = id;
    m.origin = origin_;
    code_.push_back(m);
  }
  void error(int node, const std::string& msg) {
    const Node& n = f_.nodes[node];
    diags_.add(make_error(
        msg + " [" + describe(f_, node) + "]",
        {"<model>", 0, 0, 1, n.origin >= 0 ? "model node '" + f_.origins[n.origin] + "'" : ""}));
  }

  bool is_const(int v) const { return f_.nodes[v].op == Opcode::Const; }
  Int const_of(int v) const { return f_.nodes[v].imm0; }

  void mov_const(R dst, Int c) {
    if (c >= 0 && c <= kU32Max)
      emit("MOV_ri_32", dst, {}, 0, static_cast<int32_t>(static_cast<uint32_t>(c)));
    else if (c >= INT32_MIN && c < 0)
      emit("MOV_ri", dst, {}, 0, static_cast<int64_t>(c));
    else
      emit("LD_imm64", dst, {}, 0, static_cast<int64_t>(static_cast<uint64_t>(c)));
  }
  // A register holding constant c (materialised once, at its first use).
  R const_reg(Int c) {
    auto it = const_regs_.find(c);
    if (it != const_regs_.end()) return it->second;
    R r = new_vreg();
    mov_const(r, c);
    const_regs_.emplace(c, r);
    return r;
  }
  R reg_of(int v) { return is_const(v) ? const_reg(const_of(v)) : value_reg_[v]; }
  // The value as a 64-bit operation must read it: a 32-bit register holding a value that may
  // be negative is sign-extended once, at its first 64-bit use (which must not sit inside a
  // node's local branches: operands are fetched before them).
  R wide(int v) {
    if (is_const(v) || !f_.info[v].sext_on_widen) return reg_of(v);
    auto it = widened_.find(v);
    if (it != widened_.end()) return it->second;
    R r = new_vreg();
    emit("MOV_rr", r, value_reg_[v], 0, 0);
    emit("SLL_ri", r, {}, 0, 32);
    emit("SRA_ri", r, {}, 0, 32);
    widened_.emplace(v, r);
    return r;
  }
  R reg_for(int v, bool is32) { return is32 ? reg_of(v) : wide(v); }
  // dst = v, in the width the node computes in.
  void copy(R dst, int v, bool is32) {
    emit(is32 ? "MOV_rr_32" : "MOV_rr", dst, reg_for(v, is32), 0, 0);
    if (is32 && !is_const(v) && !f_.info[v].alu32 && f_.info[v].lo < 0)
      code_.back().truncates = true;
  }

  // Operand: an immediate when the constant fits the instruction's immediate field.
  struct Operand {
    bool is_imm;
    int64_t imm;
    R reg;
  };
  Operand operand(int v, bool is32) {
    if (is_const(v)) {
      const Int c = const_of(v);
      const bool fits =
          is32 ? (c >= INT32_MIN && c <= kU32Max) : (c >= INT32_MIN && c <= INT32_MAX);
      if (fits)
        return {true, static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(c))), {}};
    }
    return {false, 0, reg_for(v, is32)};
  }

  Operand const_operand(Int c, bool is32) {
    const bool fits = is32 ? (c >= INT32_MIN && c <= kU32Max) : (c >= INT32_MIN && c <= INT32_MAX);
    if (fits)
      return {true, static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(c))), {}};
    return {false, 0, const_reg(c)};
  }

  static std::string alu_name(const char* op, bool is32, bool imm) {
    return std::string(op) + (imm ? "_ri" : "_rr") + (is32 ? "_32" : "");
  }
  void alu(const char* op, bool is32, R dst, const Operand& b) {
    emit(alu_name(op, is32, b.is_imm).c_str(), dst, b.is_imm ? R{} : b.reg, 0,
         b.is_imm ? b.imm : 0);
  }
  void jump(Cmp c, const CmpInfo& ci, R a, const Operand& b, int target) {
    const char* name = nullptr;
    switch (c) {
    case Cmp::Eq:
      name = "JEQ";
      break;
    case Cmp::Ne:
      name = "JNE";
      break;
    case Cmp::Lt:
      name = ci.is_signed ? "JSLT" : "JULT";
      break;
    case Cmp::Le:
      name = ci.is_signed ? "JSLE" : "JULE";
      break;
    case Cmp::Gt:
      name = ci.is_signed ? "JSGT" : "JUGT";
      break;
    case Cmp::Ge:
      name = ci.is_signed ? "JSGE" : "JUGE";
      break;
    }
    emit(alu_name(name, ci.is32, b.is_imm).c_str(), a, b.is_imm ? R{} : b.reg, 0,
         b.is_imm ? b.imm : 0, target);
  }

  void lower(int i);
  void lower_f64(int i);
  void lower_select(int i);
  void lower_piecewise(int i);
  Status allocate(int allocatable_count, bool reserve_scratch, int* spills, int* stack_bytes);
  void finish_exits();
};

void Generator::lower(int i) {
  const Node& n = f_.nodes[i];
  const NodeInfo& info = f_.info[i];
  origin_ = n.origin;
  auto dies_here = [&](int v) { return v >= 0 && !is_const(v) && last_use_[v] == i; };
  switch (n.op) {
  case Opcode::Const:
    break; // materialised at use
  case Opcode::RequireLength: {
    // r3 = data_end; r4 = r2 + N; if r4 > r3 goto exit. Runs before any value is live.
    emit("LDW", R::phys(3), R::phys(1), 4, 0);
    emit("MOV_rr", R::phys(4), R::phys(kPacketReg), 0, 0);
    emit("ADD_ri", R::phys(4), {}, 0, static_cast<int64_t>(n.imm0));
    emit("JUGT_rr", R::phys(4), R::phys(3), 0, 0, n.exit);
    break;
  }
  case Opcode::PacketLoad: {
    R dst = new_vreg();
    static const std::map<int, const char*> names = {
        {1, "LDB"}, {2, "LDH"}, {4, "LDW"}, {8, "LDDW"}};
    emit(names.at(static_cast<int>(n.imm1)), dst, R::phys(kPacketReg), static_cast<int16_t>(n.imm0),
         0);
    value_reg_[i] = dst;
    break;
  }
  case Opcode::Assume:
    value_reg_[i] = reg_of(n.args[0]);
    break;
  case Opcode::Add:
  case Opcode::Sub:
  case Opcode::Mul:
  case Opcode::And:
  case Opcode::Or:
  case Opcode::Xor:
  case Opcode::Shl:
  case Opcode::Shr:
  case Opcode::Sar: {
    static const std::map<Opcode, const char*> names = {
        {Opcode::Add, "ADD"}, {Opcode::Sub, "SUB"}, {Opcode::Mul, "MUL"},
        {Opcode::And, "AND"}, {Opcode::Or, "OR"},   {Opcode::Xor, "XOR"},
        {Opcode::Shl, "SLL"}, {Opcode::Shr, "SRL"}, {Opcode::Sar, "SRA"}};
    int a = n.args[0], b = n.args[1];
    const bool commutative = n.op == Opcode::Add || n.op == Opcode::Mul || n.op == Opcode::And ||
                             n.op == Opcode::Or || n.op == Opcode::Xor;
    // Two-address form: reuse the operand that dies here so the copy disappears.
    if (commutative && !is_const(b) && dies_here(b) && !dies_here(a)) std::swap(a, b);
    const bool is32 = info.alu32;
    R dst = new_vreg();
    // Squaring reads the operand once, so the copy can take over its register when it dies.
    const bool same = !is_const(a) && !is_const(b) && value_reg_[a].n == value_reg_[b].n &&
                      !(!is32 && f_.info[a].sext_on_widen);
    copy(dst, a, is32);
    alu(names.at(n.op), is32, dst, same ? Operand{false, 0, dst} : operand(b, is32));
    value_reg_[i] = dst;
    break;
  }
  case Opcode::CondAdd: {
    // r = acc; if x >= hi goto add; if x > lo goto skip; add: r += inc; skip:
    const bool is32 = info.alu32;
    Operand inc = operand(n.args[4], is32);
    Operand hi = operand(n.args[3], info.cmp.is32);
    Operand lo = operand(n.args[2], info.cmp2.is32);
    R x = reg_for(n.args[1], info.cmp.is32 && info.cmp2.is32);
    R dst = new_vreg();
    copy(dst, n.args[0], is32);
    const int add = new_label(), skip = new_label();
    jump(Cmp::Ge, info.cmp, x, hi, add);
    jump(Cmp::Gt, info.cmp2, x, lo, skip);
    label(add);
    alu("ADD", is32, dst, inc);
    label(skip);
    value_reg_[i] = dst;
    break;
  }
  case Opcode::CondAddOutside: {
    // r = acc; t = x - c; if t < width (unsigned) goto skip; r += inc; skip:
    const bool is32 = info.alu32;
    Operand inc = operand(n.args[4], is32);
    const bool t32 = info.cmp.is32;
    Operand c = operand(n.args[2], t32);
    Operand width = operand(n.args[3], t32);
    R dst = new_vreg();
    copy(dst, n.args[0], is32);
    R t = new_vreg();
    copy(t, n.args[1], t32);
    alu("SUB", t32, t, c);
    const int skip = new_label();
    jump(Cmp::Lt, info.cmp, t, width, skip);
    alu("ADD", is32, dst, inc);
    label(skip);
    value_reg_[i] = dst;
    break;
  }
  case Opcode::F64ToFixed:
    lower_f64(i);
    break;
  case Opcode::ExitIf: {
    int a = n.args[0], b = n.args[1];
    Cmp c = n.cmp;
    if (is_const(a) && !is_const(b)) {
      std::swap(a, b);
      c = mirrored(c);
    }
    Operand bo = operand(b, info.cmp.is32);
    jump(c, info.cmp, reg_for(a, info.cmp.is32), bo, n.exit);
    break;
  }
  case Opcode::SignExtend:
    value_reg_[i] = reg_of(n.args[0]); // the low bits are the value's; see sext_on_widen
    break;
  case Opcode::Min:
  case Opcode::Max:
  case Opcode::Select:
    lower_select(i);
    break;
  case Opcode::Piecewise:
    lower_piecewise(i);
    break;
  case Opcode::PacketStore: {
    static const std::map<int, const char*> names = {
        {1, "STB"}, {2, "STH"}, {4, "STW"}, {8, "STDW"}};
    const std::string name = names.at(static_cast<int>(n.imm1));
    if (is_const(n.args[0]) && opt_.store_immediate && const_of(n.args[0]) >= INT32_MIN &&
        const_of(n.args[0]) <= INT32_MAX)
      emit((name + "_imm").c_str(), R::phys(kPacketReg), {}, static_cast<int16_t>(n.imm0),
           static_cast<int64_t>(const_of(n.args[0])));
    else
      emit(name.c_str(), R::phys(kPacketReg), reg_for(n.args[0], n.imm1 <= 4),
           static_cast<int16_t>(n.imm0), 0);
    break;
  }
  }
}

// min/max/select: dst = one choice; if the condition for keeping it holds, skip; dst = other.
// When one choice is a constant, it is the one set first, so that the fall-through path (the
// one the verifier explores first) carries the value it cannot know: later paths that reach
// the join with the constant are then pruned against that state instead of multiplying, and
// nothing downstream becomes a known constant that would make the verifier track precision.
void Generator::lower_select(int i) {
  const Node& n = f_.nodes[i];
  const NodeInfo& info = f_.info[i];
  const bool is32 = info.alu32;
  int keep = n.args[0], other = n.args[1];
  Cmp keep_if = n.op == Opcode::Min ? Cmp::Le : Cmp::Ge; // min: a <= b keeps a
  if (n.op == Opcode::Select) keep = n.args[2], other = n.args[3], keep_if = n.cmp;
  if (is_const(other) && !is_const(keep)) {
    std::swap(keep, other);
    keep_if = negated(keep_if);
  }
  int a = n.args[0], b = n.args[1];
  if (is_const(a) && !is_const(b)) {
    // Compare with the constant on the right: mirror the condition.
    std::swap(a, b);
    keep_if = mirrored(keep_if);
  }
  // Fetch every register before the branch: materialisation must not happen on one path only.
  R lhs = reg_for(a, info.cmp.is32);
  Operand rhs = operand(b, info.cmp.is32);
  Operand alt = operand(other, is32);
  R dst = new_vreg();
  if (Operand k = operand(keep, is32); k.is_imm)
    emit(is32 ? "MOV_ri_32" : "MOV_ri", dst, {}, 0, k.imm);
  else
    copy(dst, keep, is32);
  const int skip = new_label();
  jump(keep_if, info.cmp, lhs, rhs, skip);
  if (alt.is_imm)
    emit(is32 ? "MOV_ri_32" : "MOV_ri", dst, {}, 0, alt.imm);
  else
    emit(is32 ? "MOV_rr_32" : "MOV_rr", dst, alt.reg, 0, 0);
  label(skip);
  value_reg_[i] = dst;
}

// A balanced compare tree over the segments x can reach; each leaf computes slope*x + offset
// and joins; one arithmetic shift after the join.
void Generator::lower_piecewise(int i) {
  const Node& n = f_.nodes[i];
  const NodeInfo& info = f_.info[i];
  const auto& t = f_.tables[static_cast<size_t>(n.imm0)];
  const bool is32 = info.alu32;
  const int x = n.args[0];
  const Int x_lo = is_const(x) ? const_of(x) : f_.info[x].lo;
  const Int x_hi = is_const(x) ? const_of(x) : f_.info[x].hi;
  size_t first = t.segment(x_lo), last = t.segment(x_hi);
  R xr = reg_for(x, is32 && info.cmp.is32);
  R dst = new_vreg();
  const int join = new_label();
  auto imm_ok = [&](Int c) { return c >= INT32_MIN && c <= INT32_MAX; };
  std::vector<R> big; // constants too wide for an immediate, fetched before the branches
  for (size_t k = first; k <= last; ++k)
    for (Int c : {t.slope[k], t.offset[k], t.start[k]})
      if (!imm_ok(c)) big.push_back(const_reg(c));
  auto leaf = [&](size_t k, bool last_leaf) {
    const Int slope = t.slope[k], offset = t.offset[k];
    if (slope == 0) {
      if (is32)
        emit("MOV_ri_32", dst, {}, 0,
             static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(offset))));
      else
        mov_const(dst, offset);
    } else {
      emit(is32 ? "MOV_rr_32" : "MOV_rr", dst, xr, 0, 0);
      if (slope > 0 && (slope & (slope - 1)) == 0) {
        int sh = 0;
        while ((Int{1} << sh) < slope) ++sh;
        if (sh) alu("SLL", is32, dst, {true, sh, {}});
      } else {
        alu("MUL", is32, dst, const_operand(slope, is32));
      }
      if (offset != 0) alu("ADD", is32, dst, const_operand(offset, is32));
    }
    if (!last_leaf) emit("JMP", {}, {}, 0, 0, join);
  };
  // The fall-through of every compare leads towards one sloped segment (the steepest), so the
  // verifier's first path yields a value it cannot know and the other leaves, constants
  // included, are pruned at the join (see lower_select).
  size_t preferred = first;
  for (size_t k = first; k <= last; ++k) {
    const Int a = t.slope[k] < 0 ? -t.slope[k] : t.slope[k];
    const Int best = t.slope[preferred] < 0 ? -t.slope[preferred] : t.slope[preferred];
    if (a > best) preferred = k;
  }
  // [l, r] inclusive segment indices.
  std::function<void(size_t, size_t, bool)> tree = [&](size_t l, size_t r, bool last_leaf) {
    if (l == r) return leaf(l, last_leaf);
    const size_t mid = (l + r + 1) / 2; // first segment of the right half
    const int other = new_label();
    if (preferred < mid) {
      jump(Cmp::Ge, info.cmp, xr, const_operand(t.start[mid], info.cmp.is32), other);
      tree(l, mid - 1, false);
      label(other);
      tree(mid, r, last_leaf);
    } else {
      jump(Cmp::Lt, info.cmp, xr, const_operand(t.start[mid], info.cmp.is32), other);
      tree(mid, r, false);
      label(other);
      tree(l, mid - 1, last_leaf);
    }
  };
  tree(first, last, true);
  label(join);
  if (t.shift) alu("SRA", is32, dst, {true, t.shift, {}});
  value_reg_[i] = dst;
}

// round-half-up(x * scale) from the IEEE-754 bits, scale = s_odd * 2^j:
//   m = mantissa | 2^52; e = bits >> 52 (sign included, so negatives have e >= 2048)
//   invalid when e > Emax (negative, NaN, Inf, or a result that may reach 2^31)
//   t = 1074 - j - e; Y = m * s_odd >> t = floor(2 * x * scale); X = (Y + 1) >> 1;
//   when t >= 64 the value is below 1/2: 0. A doubled node (imm1) stops at Y, for callers that
//   only compare it (against doubled thresholds): two instructions fewer.
// With verifier_visible_bounds (the NFP multiplies at most 32 x 32 bits, and its verifier
// checks that both operands are visibly below 2^32) and s_odd > 1, m * s_odd is formed from the
// 32-bit halves of m: (m_hi * s_odd << 32) + m_lo * s_odd, with m_hi < 2^21 and s_odd < 2^11
// (the front end refuses larger odd parts), so m_hi * s_odd < 2^32 and the sum is the exact
// 64-bit product (< 2^64, as it is for the one multiply of the kernel target).
void Generator::lower_f64(int i) {
  const Node& n = f_.nodes[i];
  const auto scale = static_cast<uint64_t>(n.imm0);
  const bool doubled = n.imm1 != 0;
  int j = 0;
  uint64_t s_odd = scale;
  while ((s_odd & 1) == 0) {
    s_odd >>= 1;
    ++j;
  }
  int b = 0;
  while ((uint64_t{1} << b) < s_odd) ++b;
  const int64_t emax = 1053 - j - b;
  const int64_t tiny = 1010 - j; // e <= tiny  <=>  t >= 64
  const bool split = opt_.verifier_visible_bounds && s_odd != 1;
  R raw = reg_of(n.args[0]);
  R m = new_vreg();
  R hi;
  if (split) {
    emit("MOV_rr_32", m, raw, 0, 0); // m_lo
    code_.back().truncates = true;
    hi = new_vreg();
    emit("MOV_rr", hi, raw, 0, 0);
    emit("SRL_ri", hi, {}, 0, 32);
    emit("AND_ri_32", hi, {}, 0, (1 << 20) - 1);
    emit("OR_ri_32", hi, {}, 0, 1 << 20); // m_hi, the implicit bit at 52 - 32
  } else {
    R mask = const_reg((Int{1} << 52) - 1);
    R implicit = const_reg(Int{1} << 52);
    emit("MOV_rr", m, raw, 0, 0);
    emit("AND_rr", m, mask, 0, 0);
    emit("OR_rr", m, implicit, 0, 0);
  }
  R e = new_vreg();
  emit("MOV_rr", e, raw, 0, 0);
  emit("SRL_ri", e, {}, 0, 52);
  emit("JUGT_ri_32", e, {}, 0, emax, n.exit);
  if (split) {
    emit("MUL_ri", m, {}, 0, static_cast<int64_t>(s_odd));     // m_lo * s_odd < 2^43
    emit("MUL_ri_32", hi, {}, 0, static_cast<int64_t>(s_odd)); // m_hi * s_odd < 2^32
    emit("SLL_ri", hi, {}, 0, 32);
    emit("ADD_rr", m, hi, 0, 0);
  }
  const int normal = new_label();
  emit("JUGT_ri_32", e, {}, 0, tiny, normal);
  emit("MOV_ri_32", m, {}, 0, 0);
  label(normal);
  emit("NEG_32", e, {}, 0, 0);
  emit("ADD_ri_32", e, {}, 0, 1074 - j);
  if (s_odd != 1 && !split) emit("MUL_ri", m, {}, 0, static_cast<int64_t>(s_odd));
  emit("SRL_rr", m, e, 0, 0);
  if (!doubled) {
    emit("ADD_ri", m, {}, 0, 1);
    emit("SRL_ri", m, {}, 0, 1);
  }
  // X <= 2^31 (Y < 2^32) is proven, but a verifier tracking tnums cannot bound a register
  // shift; a 32-bit AND with all ones changes nothing and tells it the upper half is zero.
  if (opt_.verifier_visible_bounds) emit("AND_ri_32", m, {}, 0, -1);
  value_reg_[i] = m;
}

void Generator::finish_exits() {
  std::vector<int> order;
  if (f_.fallthrough_exit >= 0) order.push_back(f_.fallthrough_exit);
  for (size_t e = 0; e < f_.exits.size(); ++e)
    if (static_cast<int>(e) != f_.fallthrough_exit) order.push_back(static_cast<int>(e));
  static const std::map<uint32_t, const char*> st = {
      {1, "STB"}, {2, "STH"}, {4, "STW"}, {8, "STDW"}};
  for (int e : order) {
    const ExitBlock& x = f_.exits[e];
    origin_ = -1;
    for (size_t k = 0; k < f_.origins.size(); ++k)
      if (f_.origins[k] == "exit." + x.name) origin_ = static_cast<int>(k);
    label(e);
    if (x.tag) {
      const std::string name = st.at(f_.tag_bytes);
      if (opt_.store_immediate) {
        emit((name + "_imm").c_str(), R::phys(kPacketReg), {}, static_cast<int16_t>(f_.tag_offset),
             *x.tag);
      } else {
        emit("MOV_ri_32", R::phys(1), {}, 0, *x.tag);
        emit(name.c_str(), R::phys(kPacketReg), R::phys(1), static_cast<int16_t>(f_.tag_offset), 0);
      }
    }
    if (!uniform_verdict_) emit("MOV_ri_32", R::phys(0), {}, 0, x.verdict);
    emit("RET", {}, {}, 0, 0);
  }
}

Status Generator::allocate(int allocatable_count, bool reserve_scratch, int* spills,
                           int* stack_bytes) {
  // Registers for values: r1 and r3..r9 (r2 holds the packet, r0 the verdict, r10 the frame).
  std::vector<int> pool = {1, 3, 4, 5, 6, 7, 8, 9};
  if (!uniform_verdict_) pool.insert(pool.begin(), 0);
  if (reserve_scratch)
    pool.erase(std::remove_if(pool.begin(), pool.end(),
                              [](int r) { return r == kScratchA || r == kScratchB; }),
               pool.end());
  if (static_cast<int>(pool.size()) > allocatable_count)
    pool.resize(static_cast<size_t>(allocatable_count));
  if (reserve_scratch && pool.empty())
    return fail("register allocation: no registers left besides the spill scratch registers");

  struct Interval {
    int vreg, start, end;
  };
  std::vector<Interval> iv(static_cast<size_t>(next_vreg_), {0, -1, -1});
  for (int v = 0; v < next_vreg_; ++v) iv[v].vreg = v;
  for (size_t p = 0; p < code_.size(); ++p) {
    const MI& m = code_[p];
    if (!m.op) continue;
    const Access a = access_of(m);
    auto touch = [&](const R& r) {
      if (!r.is_virt()) return;
      auto& x = iv[r.n];
      if (x.start < 0) x.start = static_cast<int>(p);
      x.end = static_cast<int>(p);
    };
    if (a.dst_read || a.dst_written) touch(m.dst);
    if (a.src_read) touch(m.src);
  }
  std::vector<Interval> order;
  for (const auto& x : iv)
    if (x.start >= 0) order.push_back(x);
  std::sort(order.begin(), order.end(),
            [](const Interval& a, const Interval& b) { return a.start < b.start; });

  std::vector<int> assigned(static_cast<size_t>(next_vreg_), -1),
      slot(static_cast<size_t>(next_vreg_), -1);
  std::vector<Interval> active;
  std::set<int> free_regs(pool.begin(), pool.end());
  // Spill slots: 4-byte units below the frame pointer; a value written only by 32-bit
  // operations (zero-extended results) needs one, others two (8-byte aligned). A slot is reused
  // by a value whose interval does not overlap any interval already in it.
  std::vector<bool> narrow(static_cast<size_t>(next_vreg_), true);
  for (const MI& m : code_) {
    if (!m.op || !m.dst.is_virt() || !access_of(m).dst_written) continue;
    const uint8_t cls = m.op->code & 0x07;
    const bool zext32 = cls == 0x04 /* BPF_ALU */ || (cls == 0x01 && (m.op->code & 0x18) != 0x18);
    if (!zext32) narrow[m.dst.n] = false;
  }
  std::vector<std::vector<std::pair<int, int>>> unit_use; // per 4-byte unit: [start, end] in it
  std::vector<int> slot_units(static_cast<size_t>(next_vreg_), 0);
  int spilled = 0;
  auto place = [&](const Interval& x) {
    const int units = narrow[x.vreg] ? 1 : 2;
    auto free_over = [&](size_t u) {
      if (u >= unit_use.size()) return true;
      for (const auto& [s0, e0] : unit_use[u])
        if (!(e0 <= x.start || x.end <= s0)) return false;
      return true;
    };
    size_t u = 0;
    for (;; u += static_cast<size_t>(units))
      if (free_over(u) && (units == 1 || free_over(u + 1))) break;
    if (unit_use.size() < u + static_cast<size_t>(units))
      unit_use.resize(u + static_cast<size_t>(units));
    for (int k = 0; k < units; ++k)
      unit_use[u + static_cast<size_t>(k)].push_back({x.start, x.end});
    slot[x.vreg] = static_cast<int>(u);
    slot_units[x.vreg] = units;
    ++spilled;
  };
  for (const auto& cur : order) {
    // Expire intervals that ended at or before this definition: their last read happens
    // before the defining instruction writes.
    for (auto it = active.begin(); it != active.end();) {
      if (it->end <= cur.start) {
        free_regs.insert(assigned[it->vreg]);
        it = active.erase(it);
      } else {
        ++it;
      }
    }
    int chosen = -1;
    const MI& def = code_[static_cast<size_t>(cur.start)];
    const bool is_copy = def.op && def.op->form == Form::Alu && (def.op->code & 0xf0) == 0xb0 &&
                         (def.op->code & 0x08);
    if (is_copy && def.src.is_virt()) {
      const int hint = assigned[def.src.n];
      if (hint >= 0 && free_regs.count(hint)) chosen = hint; // coalesce the copy away
    }
    if (chosen < 0 && !free_regs.empty()) chosen = *free_regs.begin();
    if (chosen >= 0) {
      free_regs.erase(chosen);
      assigned[cur.vreg] = chosen;
      active.push_back(cur);
      continue;
    }
    // No register: spill whichever live value is needed furthest away.
    if (!reserve_scratch) return fail("need-spill");
    auto victim =
        std::max_element(active.begin(), active.end(),
                         [](const Interval& a, const Interval& b) { return a.end < b.end; });
    if (victim != active.end() && victim->end > cur.end) {
      assigned[cur.vreg] = assigned[victim->vreg];
      assigned[victim->vreg] = -1;
      place(*victim);
      *victim = cur;
    } else {
      place(cur);
    }
  }
  const int stack_units = static_cast<int>((unit_use.size() + 1) / 2 * 2);
  if (stack_units * 4 > 512)
    return fail("register allocation: " + std::to_string(spilled) + " spilled values need " +
                    std::to_string(stack_units * 4) + " bytes, more than the 512-byte eBPF stack",
                {}, "fewer values must be live at once: smaller layers, or fewer inputs");
  *spills = spilled;
  *stack_bytes = stack_units * 4;

  // Rewrite: physical registers, reloads before reads of spilled values, stores after writes.
  // Scratch A keeps the last spilled value it loaded or computed until something else needs
  // it, so a run of instructions on one spilled value (a two-address sequence, a compare-tree
  // leaf) reloads it once and stores it once; the store waits until the value leaves r8, a
  // label or a jump comes, or its slot is read.
  std::vector<MI> out;
  out.reserve(code_.size() + static_cast<size_t>(spilled) * 4);
  auto slot_off = [&](int v) { return static_cast<int16_t>(-4 * (slot[v] + slot_units[v])); };
  int a_holds = -1, pending = -1;
  auto mem = [&](const char* name, R dst, R src, int16_t off, int origin) {
    MI x;
    x.op = opcode(name);
    x.dst = dst;
    x.src = src;
    x.off = off;
    x.origin = origin;
    out.push_back(x);
  };
  auto flush = [&](int origin) {
    if (pending < 0) return;
    mem(slot_units[pending] == 2 ? "STDW" : "STW", R::phys(bpf::kFramePointer), R::phys(kScratchA),
        slot_off(pending), origin);
    pending = -1;
  };
  auto spilled_vreg = [&](const R& r) { return r.is_virt() && assigned[r.n] < 0 ? r.n : -1; };
  for (const MI& m : code_) {
    if (!m.op) {
      flush(m.origin);
      a_holds = -1;
      out.push_back(m);
      continue;
    }
    MI r = m;
    const Access a = access_of(m);
    const int dst_v = spilled_vreg(m.dst), src_v = a.src_read ? spilled_vreg(m.src) : -1;
    const bool leaves = m.op->form == Form::Jump || m.op->form == Form::Ja ||
                        m.op->form == Form::Exit || m.op->form == Form::Call;
    // A copy out of a spilled value is the reload itself (ldxw zero-extends the low half, as
    // a 32-bit copy would), or a copy from r8 when it still holds the value.
    const bool is_copy = (m.op->code == 0xbf || m.op->code == 0xbc) && src_v >= 0 && dst_v < 0;
    if (is_copy) {
      const R dst = m.dst.is_virt() ? R::phys(assigned[m.dst.n]) : m.dst;
      if (src_v == a_holds) {
        r.dst = dst;
        r.src = R::phys(kScratchA);
        out.push_back(r);
      } else {
        mem(m.op->code == 0xbc || slot_units[src_v] == 1 ? "LDW" : "LDDW", dst,
            R::phys(bpf::kFramePointer), slot_off(src_v), m.origin);
      }
      continue;
    }
    if (dst_v >= 0) {
      if (a.dst_read && a_holds != dst_v) {
        flush(m.origin);
        mem(slot_units[dst_v] == 2 ? "LDDW" : "LDW", R::phys(kScratchA),
            R::phys(bpf::kFramePointer), slot_off(dst_v), m.origin);
      } else if (!a.dst_read && pending >= 0 && pending != dst_v) {
        flush(m.origin);
      }
      r.dst = R::phys(kScratchA);
    } else if (m.dst.is_virt()) {
      r.dst = R::phys(assigned[m.dst.n]);
    }
    if (src_v >= 0) {
      if (src_v == a_holds) {
        r.src = R::phys(kScratchA);
      } else {
        mem(slot_units[src_v] == 2 ? "LDDW" : "LDW", R::phys(kScratchB),
            R::phys(bpf::kFramePointer), slot_off(src_v), m.origin);
        r.src = R::phys(kScratchB);
      }
    } else if (m.src.is_virt()) {
      r.src = R::phys(assigned[m.src.n]);
    }
    if (leaves) flush(m.origin);
    out.push_back(r);
    if (dst_v >= 0 && a.dst_written) {
      a_holds = dst_v;
      pending = dst_v;
    } else if (dst_v >= 0) {
      a_holds = dst_v; // loaded for a read (a compare): r8 holds it
    }
  }
  flush(-1);
  code_ = std::move(out);
  return ok_status();
}

Result<MachineProgram> Generator::run() {
  value_reg_.assign(f_.nodes.size(), R{});
  last_use_.assign(f_.nodes.size(), -1);
  for (size_t i = 0; i < f_.nodes.size(); ++i) {
    const Node& n = f_.nodes[i];
    if (n.dead) continue;
    for (int a = 0; a < n.num_args(); ++a)
      if (n.args[a] >= 0) last_use_[n.args[a]] = static_cast<int>(i);
  }
  next_label_ = static_cast<int>(f_.exits.size()); // labels 0..E-1 are the exit blocks
  uniform_verdict_ =
      !f_.exits.empty() && std::all_of(f_.exits.begin(), f_.exits.end(), [&](const ExitBlock& e) {
        return e.verdict == f_.exits.front().verdict;
      });

  // Prologue: the packet pointer, and the verdict when every exit returns the same one.
  origin_ = -1;
  for (size_t k = 0; k < f_.origins.size(); ++k)
    if (f_.origins[k] == "prologue") origin_ = static_cast<int>(k);
  emit("LDW", R::phys(kPacketReg), R::phys(1), 0, 0);
  if (uniform_verdict_) emit("MOV_ri_32", R::phys(0), {}, 0, f_.exits.front().verdict);
  for (size_t i = 0; i < f_.nodes.size(); ++i)
    if (!f_.nodes[i].dead) lower(static_cast<int>(i));
  if (f_.fallthrough_exit < 0) return fail("internal: the body has no fall-through exit");
  finish_exits();
  if (diags_.has_errors()) return fail(diags_);

  const std::vector<MI> before = code_;
  const int vregs = next_vreg_;
  int spills = 0, stack_bytes = 0;
  if (auto st = allocate(opt_.max_registers, false, &spills, &stack_bytes); !st) {
    code_ = before;
    next_vreg_ = vregs;
    if (auto st2 = allocate(opt_.max_registers, true, &spills, &stack_bytes); !st2)
      return st2.failure();
  }

  // Drop copies that allocation made into no-ops, then resolve labels into offsets.
  std::vector<MI> code;
  for (const MI& m : code_) {
    // Self-copies left by coalescing. A 32-bit one would zero-extend, but every register
    // already holds its value exactly (upper bits clear for values below 2^32), and the
    // 32-bit operation that follows reads only the low half.
    if (m.op && (m.op->code == 0xbf || m.op->code == 0xbc) && m.dst.kind == RK::Phys &&
        m.src.kind == RK::Phys && m.dst.n == m.src.n && !m.truncates)
      continue;
    code.push_back(m);
  }
  std::map<int, int64_t> label_slot;
  int64_t slot = 0;
  for (const MI& m : code) {
    if (!m.op)
      label_slot[m.label] = slot;
    else
      slot += m.op->slots();
  }
  MachineProgram out;
  out.origin_names = f_.origins;
  out.stack_bytes = stack_bytes;
  out.spilled_values = spills;
  std::set<int> regs;
  slot = 0;
  for (const MI& m : code) {
    if (!m.op) continue;
    bpf::Insn insn;
    insn.op = m.op;
    insn.dst = static_cast<uint8_t>(m.dst.kind == RK::Phys ? m.dst.n : 0);
    insn.src = static_cast<uint8_t>(m.src.kind == RK::Phys ? m.src.n : 0);
    insn.off = m.off;
    insn.imm = m.imm;
    const Access a = access_of(m);
    if ((a.dst_read || a.dst_written) && m.dst.kind == RK::Phys && m.dst.n < 10)
      regs.insert(m.dst.n);
    if (a.src_read && m.src.kind == RK::Phys && m.src.n < 10) regs.insert(m.src.n);
    slot += m.op->slots();
    if (m.target >= 0) {
      const int64_t rel = label_slot.at(m.target) - slot;
      if (rel < INT16_MIN || rel > INT16_MAX)
        return fail("jump of " + std::to_string(rel) + " instructions is out of range");
      insn.off = static_cast<int16_t>(rel);
    }
    if (auto msg = bpf::validate(insn); !msg.empty())
      return fail("internal code generation error: " + bpf::format(insn) + ": " + msg);
    out.insns.push_back(insn);
    out.origins.push_back(m.origin);
  }
  out.registers_used = static_cast<int>(regs.size());
  return out;
}

} // namespace

Result<MachineProgram> generate(const Function& f, const CodegenOptions& options) {
  if (f.info.size() != f.nodes.size())
    return fail("internal: run the range analysis before code generation");
  Generator g(f, options);
  return g.run();
}

} // namespace xdpml::compiler
