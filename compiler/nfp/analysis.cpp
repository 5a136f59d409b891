#include "compiler/nfp/analysis.hpp"

#include <algorithm>
#include <set>

namespace xdpml::nfp {

namespace {

constexpr int kMaxVisitsBeforeWidening = 12;

int64_t floor_div8(int64_t off) {
  return off >= 0 ? off / 8 : -((-off + 7) / 8);
}

Value scalar_value(Scalar s, int def) {
  Value v;
  v.kind = Kind::Scalar;
  v.s = std::move(s);
  v.def = def;
  v.lost = v.s.umax > UINT32_MAX ? def : -1;
  return v;
}

// A result above u32 keeps the origin of the operand that was already that large, unless this
// instruction made the bound worse: then the bound was lost here.
void inherit_lost(Value& r, const Value& a, const Value& b) {
  if (r.s.umax <= UINT32_MAX) {
    r.lost = -1;
    return;
  }
  const Value* worst = nullptr;
  for (const Value* v : {&a, &b})
    if (v->kind == Kind::Scalar && v->s.umax > UINT32_MAX && v->lost >= 0 &&
        (!worst || v->s.umax > worst->s.umax))
      worst = v;
  if (worst && r.s.umax <= worst->s.umax) r.lost = worst->lost;
}

Value pointer(Kind k, int def, int64_t offset = 0) {
  Value v;
  v.kind = k;
  v.s = Scalar::known(static_cast<uint64_t>(offset));
  v.def = def;
  return v;
}

bool unbounded(const Scalar& s) {
  return s.smin == INT64_MIN && s.smax == INT64_MAX && s.umin == 0 && s.umax == UINT64_MAX;
}

Value join_value(const Value& a, const Value& b) {
  if (a == b) return a;
  Value r;
  r.def = a.def == b.def ? a.def : -1;
  if (a.kind == Kind::Uninit || b.kind == Kind::Uninit) {
    r.kind = Kind::Uninit;
    return r;
  }
  const bool nullable_pair = (a.kind == Kind::MapValue && b.kind == Kind::MapValueOrNull) ||
                             (a.kind == Kind::MapValueOrNull && b.kind == Kind::MapValue);
  if (a.kind == b.kind || nullable_pair) {
    r.kind = nullable_pair ? Kind::MapValueOrNull : a.kind;
    r.s = scalar_join(a.s, b.s);
    r.map = a.map == b.map ? a.map : kMapSeveral;
    r.frame = a.frame == b.frame ? a.frame : -1;
    r.id = a.id == b.id ? a.id : 0;
    r.kinds = a.kind == Kind::Mixed ? (a.kinds | b.kinds) : 0;
    r.lost = r.s.umax <= UINT32_MAX ? -1 : a.s.umax >= b.s.umax ? a.lost : b.lost;
    return r;
  }
  r.kind = Kind::Mixed;
  r.kinds = a.kind_bits() | b.kind_bits();
  return r;
}

StackSlot join_slot(const StackSlot* a, const StackSlot* b) {
  static const StackSlot empty{};
  if (!a) a = &empty;
  if (!b) b = &empty;
  auto all_invalid = [](const StackSlot& s) {
    return std::all_of(s.bytes.begin(), s.bytes.end(), [](uint8_t x) { return x == kByteInvalid; });
  };
  // Invalid bytes cannot be read on that path (the kernel refuses), so they join as bottom.
  if (all_invalid(*a)) return *b;
  if (all_invalid(*b)) return *a;
  StackSlot r;
  if (a->spill && b->spill && a->spill_size == b->spill_size) {
    r.spill = join_value(*a->spill, *b->spill);
    r.spill_size = a->spill_size;
  }
  for (size_t i = 0; i < 8; ++i) {
    uint8_t x = a->bytes[i], y = b->bytes[i];
    if (!r.spill) {
      if (x == kByteSpill) x = kByteMisc;
      if (y == kByteSpill) y = kByteMisc;
    }
    if (x == kByteInvalid)
      r.bytes[i] = y;
    else if (y == kByteInvalid || x == y)
      r.bytes[i] = x;
    else
      r.bytes[i] = kByteMisc;
  }
  return r;
}

State join_state(const State& a, const State& b) {
  State r;
  for (size_t i = 0; i < r.regs.size(); ++i) r.regs[i] = join_value(a.regs[i], b.regs[i]);
  std::set<int64_t> keys;
  for (const auto& [k, v] : a.stack) keys.insert(k);
  for (const auto& [k, v] : b.stack) keys.insert(k);
  for (auto k : keys) {
    auto ia = a.stack.find(k);
    auto ib = b.stack.find(k);
    r.stack[k] = join_slot(ia == a.stack.end() ? nullptr : &ia->second,
                           ib == b.stack.end() ? nullptr : &ib->second);
  }
  return r;
}

// Loops: whatever still changes after many visits goes to "unknown" of its kind.
State widen(const State& old, const State& next) {
  State r = next;
  for (size_t i = 0; i < r.regs.size(); ++i)
    if (!(old.regs[i] == next.regs[i])) {
      r.regs[i].s = Scalar::unknown();
      r.regs[i].id = 0;
      r.regs[i].def = -1;
      if (r.regs[i].map != old.regs[i].map) r.regs[i].map = kMapSeveral;
    }
  for (auto& [k, slot] : r.stack) {
    auto it = old.stack.find(k);
    if (it == old.stack.end() || !(it->second == slot)) {
      slot.spill.reset();
      slot.spill_size = 0;
      for (auto& b : slot.bytes) b = kByteMisc;
    }
  }
  return r;
}

void clear_id(State& st, uint32_t id) {
  if (!id) return;
  for (auto& r : st.regs)
    if (r.id == id) r.id = 0;
  for (auto& [k, slot] : st.stack)
    if (slot.spill && slot.spill->id == id) slot.spill->id = 0;
}

template <typename F> void for_each_value(State& st, F&& f) {
  for (auto& r : st.regs) f(r);
  for (auto& [k, slot] : st.stack)
    if (slot.spill) f(*slot.spill);
}

// ---- stack memory --------------------------------------------------------------------------

void scrub(StackSlot& slot) {
  slot.spill.reset();
  slot.spill_size = 0;
  for (auto& b : slot.bytes)
    if (b == kByteSpill) b = kByteMisc;
}

void stack_write_one(State& st, int64_t off, unsigned size, const std::optional<Value>& v) {
  const int64_t key = floor_div8(off);
  const auto b = static_cast<unsigned>(off - key * 8);
  const bool is_null = v && v->kind == Kind::Scalar && v->s.is_const() && v->s.var.value == 0;
  if (b + size > 8) {
    for (unsigned i = 0; i < size; ++i) {
      const int64_t o = off + i;
      StackSlot& slot = st.stack[floor_div8(o)];
      if (slot.spill) scrub(slot);
      slot.bytes[static_cast<size_t>(o - floor_div8(o) * 8)] = is_null ? kByteZero : kByteMisc;
    }
    return;
  }
  StackSlot& slot = st.stack[key];
  const bool spill_scalar = v && v->kind == Kind::Scalar && b == 0 && !unbounded(v->s) && !is_null;
  const bool spill_pointer = v && v->is_pointer() && size == 8 && b == 0;
  if (spill_scalar || spill_pointer) {
    slot.spill = *v;
    slot.spill_size = static_cast<int>(size);
    for (unsigned i = 0; i < 8; ++i)
      if (i < size)
        slot.bytes[i] = kByteSpill;
      else if (slot.bytes[i] != kByteInvalid)
        slot.bytes[i] = kByteMisc;
    return;
  }
  scrub(slot);
  for (unsigned i = 0; i < size; ++i) slot.bytes[b + i] = is_null ? kByteZero : kByteMisc;
}

Value stack_read_one(const State& st, int64_t off, unsigned size, int def) {
  const int64_t key = floor_div8(off);
  const auto b = static_cast<unsigned>(off - key * 8);
  auto zero_bytes = [&]() {
    for (unsigned i = 0; i < size; ++i) {
      const int64_t o = off + i;
      auto it = st.stack.find(floor_div8(o));
      if (it == st.stack.end() ||
          it->second.bytes[static_cast<size_t>(o - floor_div8(o) * 8)] != kByteZero)
        return false;
    }
    return true;
  };
  if (b + size <= 8) {
    auto it = st.stack.find(key);
    if (it != st.stack.end() && it->second.spill && it->second.bytes[0] == kByteSpill) {
      const StackSlot& slot = it->second;
      if (size == 8 && slot.spill_size == 8 && b == 0) {
        Value v = *slot.spill;
        return v;
      }
      if (slot.spill->kind == Kind::Scalar && b == 0 && static_cast<int>(size) == slot.spill_size) {
        Value v = *slot.spill;
        coerce_to_size(v.s, size);
        v.id = 0;
        return v;
      }
      return scalar_value(Scalar::sized(size), def);
    }
  }
  if (zero_bytes()) return scalar_value(Scalar::known(0), def);
  return scalar_value(Scalar::sized(size), def);
}

void stack_clobber_all(State& st) {
  for (auto& [k, slot] : st.stack) {
    slot.spill.reset();
    slot.spill_size = 0;
    for (auto& b : slot.bytes) b = kByteMisc;
  }
}

// ---- the interpreter -----------------------------------------------------------------------

struct Edge {
  size_t to;
  State st;
};

class Interpreter {
public:
  Interpreter(const Program& p, const ObjectModel& m, const bpf::ObjectFile& o)
      : p_(p), m_(m), o_(o) {}

  Analysis run() {
    const size_t n = p_.insns.size();
    Analysis a;
    a.in.assign(n, std::nullopt);
    visits_.assign(n, 0);
    order(a);
    ret_.assign(p_.funcs.size(), std::nullopt);
    callers_.assign(p_.funcs.size(), {});

    State init;
    init.regs[1] = pointer(Kind::Ctx, -1);
    init.regs[10] = pointer(Kind::Stack, -1);
    init.regs[10].frame = 0;
    a.in[0] = init;
    work_.insert(rpo_pos_[0]);
    while (!work_.empty()) {
      const size_t i = rpo_[*work_.begin()];
      work_.erase(work_.begin());
      process(a, i);
    }
    return a;
  }

private:
  void order(Analysis& a) {
    const size_t n = p_.insns.size();
    std::vector<int> color(n, 0); // 0 new, 1 on stack, 2 done
    std::vector<size_t> post;
    std::vector<std::pair<size_t, size_t>> stack{{0, 0}};
    color[0] = 1;
    while (!stack.empty()) {
      auto& [node, k] = stack.back();
      if (k < p_.succs[node].size()) {
        const size_t s = p_.succs[node][k++];
        if (color[s] == 0) {
          color[s] = 1;
          stack.push_back({s, 0});
        } else if (color[s] == 1) {
          const auto& ii = p_.insns[node];
          if (ii.insn && ii.insn->op->form == bpf::Form::CallLocal && ii.target == s)
            a.recursive_calls.push_back(node);
          else
            a.back_edges.push_back({node, s});
        }
        continue;
      }
      color[node] = 2;
      post.push_back(node);
      stack.pop_back();
    }
    loop_head_.assign(n, false);
    for (const auto& [from, to] : a.back_edges) loop_head_[to] = true;
    for (size_t c : a.recursive_calls)
      if (p_.insns[c].target) loop_head_[*p_.insns[c].target] = true;
    rpo_.assign(post.rbegin(), post.rend());
    rpo_pos_.assign(n, SIZE_MAX);
    for (size_t k = 0; k < rpo_.size(); ++k) rpo_pos_[rpo_[k]] = k;
  }

  void propagate(Analysis& a, size_t to, State st) {
    if (to >= a.in.size() || rpo_pos_[to] == SIZE_MAX) return;
    auto& slot = a.in[to];
    if (!slot) {
      slot = std::move(st);
      work_.insert(rpo_pos_[to]);
      return;
    }
    State joined = join_state(*slot, st);
    // Only loop heads widen: a join of many forward paths (a shared exit) stays precise.
    if (loop_head_[to] && ++visits_[to] > kMaxVisitsBeforeWidening) joined = widen(*slot, joined);
    if (joined == *slot) return;
    slot = std::move(joined);
    work_.insert(rpo_pos_[to]);
  }

  int func_of(size_t i) const { return p_.insns[i].func; }

  void process(Analysis& a, size_t i) {
    const State in = *a.in[i];
    const auto& ii = p_.insns[i];
    if (ii.insn && ii.insn->op->form == bpf::Form::CallLocal) {
      local_call(a, i, in);
      return;
    }
    if (ii.insn && ii.insn->op->form == bpf::Form::Exit) {
      const int f = func_of(i);
      if (f == 0) return;
      Value r0 = in.regs[0];
      auto& ret = ret_[static_cast<size_t>(f)];
      const std::optional<Value> next = ret ? join_value(*ret, r0) : r0;
      if (ret && *ret == *next) return;
      ret = next;
      for (size_t c : callers_[static_cast<size_t>(f)])
        if (a.in[c]) local_call(a, c, *a.in[c]);
      return;
    }
    for (auto& e : step(i, in)) propagate(a, e.to, std::move(e.st));
  }

  void local_call(Analysis& a, size_t i, const State& in) {
    const auto& ii = p_.insns[i];
    if (!ii.target) {
      after_call_unknown(a, i, in);
      return;
    }
    const size_t target = *ii.target;
    const int callee = func_of(target);
    auto& callers = callers_[static_cast<size_t>(callee)];
    if (std::find(callers.begin(), callers.end(), i) == callers.end()) callers.push_back(i);
    State entry;
    for (int r = 1; r <= 5; ++r)
      entry.regs[static_cast<size_t>(r)] = in.regs[static_cast<size_t>(r)];
    entry.regs[10] = pointer(Kind::Stack, -1);
    entry.regs[10].frame = callee;
    propagate(a, target, entry);
    auto ret = ret_[static_cast<size_t>(callee)];
    // A global function is verified on its own: the caller learns nothing about r0.
    if (p_.funcs[static_cast<size_t>(callee)].global_btf)
      ret = scalar_value(Scalar::unknown(), static_cast<int>(i));
    if (!ret) return; // continues once the callee's exits are known
    State out = in;
    bool passes_own_stack = false;
    for (int r = 1; r <= 5; ++r) {
      const Value& v = in.regs[static_cast<size_t>(r)];
      if (v.kind == Kind::Stack && v.frame == func_of(i)) passes_own_stack = true;
      out.regs[static_cast<size_t>(r)] = Value{};
    }
    // The callee may write through a pointer into our frame: forget what the slots held.
    if (passes_own_stack) stack_clobber_all(out);
    out.regs[0] = *ret;
    out.regs[0].def = static_cast<int>(i);
    for (size_t s : p_.succs[i])
      if (s != target) propagate(a, s, out);
  }

  void after_call_unknown(Analysis& a, size_t i, const State& in) {
    State out = in;
    for (int r = 1; r <= 5; ++r) out.regs[static_cast<size_t>(r)] = Value{};
    out.regs[0] = scalar_value(Scalar::unknown(), static_cast<int>(i));
    for (size_t s : p_.succs[i]) propagate(a, s, out);
  }

  // The source operand; a K form is the sign-extended imm for both widths, as in the kernel.
  static Value src_operand(const State& st, const bpf::RawInsn& raw, bool is_x) {
    if (is_x) return raw.src < 11 ? st.regs[raw.src] : Value{};
    return scalar_value(Scalar::known(static_cast<uint64_t>(static_cast<int64_t>(raw.imm))), -1);
  }

  void set_reg(State& st, uint8_t reg, Value v) {
    if (reg >= 11 || reg == 10) return;
    st.regs[reg] = std::move(v);
  }

  std::vector<Edge> step(size_t i, const State& in) {
    const auto& ii = p_.insns[i];
    std::vector<Edge> out;
    State st = in;
    const auto& raw = ii.raw;
    const int def = static_cast<int>(i);
    auto fall = [&](State s) {
      for (size_t t : p_.succs[i]) out.push_back({t, s});
    };

    // r11+ (R-REG-1): nothing to model; continue on every edge.
    if (raw.dst >= 11 || raw.src >= 11) {
      fall(st);
      return out;
    }
    if (!ii.insn) {
      unknown_insn(i, st);
      fall(st);
      return out;
    }
    const bpf::Insn& insn = *ii.insn;
    switch (insn.op->form) {
    case bpf::Form::Alu:
      alu(st, raw, def);
      break;
    case bpf::Form::Neg:
    case bpf::Form::Endian:
      // Kernel 6.1: check_reg_arg(DST_OP) marks the whole register unknown.
      set_reg(st, raw.dst, scalar_value(Scalar::unknown(), def));
      break;
    case bpf::Form::LdImm64:
      ld_imm64(st, ii, insn, def);
      break;
    case bpf::Form::LdAbs:
    case bpf::Form::LdInd:
      for (int r = 1; r <= 5; ++r) st.regs[static_cast<size_t>(r)] = Value{};
      st.regs[0] = scalar_value(Scalar::sized(static_cast<unsigned>(insn.op->access_bytes())), def);
      break;
    case bpf::Form::Load:
      if (raw.src < 11)
        set_reg(st, raw.dst,
                load(st, st.regs[raw.src], raw.off, static_cast<unsigned>(insn.op->access_bytes()),
                     func_of(i), def));
      break;
    case bpf::Form::Store:
    case bpf::Form::StoreImm: {
      std::optional<Value> v;
      if (insn.op->form == bpf::Form::Store) {
        if (raw.src < 11) v = st.regs[raw.src];
      } else {
        v = scalar_value(Scalar::known(static_cast<uint64_t>(static_cast<int64_t>(raw.imm))), def);
        // Kernel 6.1 tracks BPF_ST stores only as zero / misc bytes, never as a spill.
        if (!(v->s.is_const() && v->s.var.value == 0)) v = std::nullopt;
      }
      if (raw.dst < 11)
        store(st, st.regs[raw.dst], raw.off, static_cast<unsigned>(insn.op->access_bytes()), v,
              func_of(i));
      break;
    }
    case bpf::Form::Atomic:
    case bpf::Form::AtomicFetch:
    case bpf::Form::Xchg:
    case bpf::Form::Cmpxchg: {
      const unsigned size = static_cast<unsigned>(insn.op->access_bytes());
      if (raw.dst < 11) store(st, st.regs[raw.dst], raw.off, size, std::nullopt, func_of(i));
      if (insn.op->form == bpf::Form::AtomicFetch || insn.op->form == bpf::Form::Xchg)
        set_reg(st, raw.src, scalar_value(Scalar::sized(size), def));
      if (insn.op->form == bpf::Form::Cmpxchg) st.regs[0] = scalar_value(Scalar::sized(size), def);
      break;
    }
    case bpf::Form::Call:
      helper_call(st, static_cast<int>(raw.imm), def);
      break;
    case bpf::Form::Ja:
    case bpf::Form::Exit:
    case bpf::Form::CallLocal:
      break;
    case bpf::Form::Jump:
      return branch(i, st);
    }
    fall(st);
    return out;
  }

  void unknown_insn(size_t i, State& st) {
    const auto& raw = p_.insns[i].raw;
    const uint8_t cls = raw.code & 0x07;
    const int def = static_cast<int>(i);
    if (cls == bpf::kClassJmp && (raw.code & 0xf0) == 0x80) { // kfunc call
      helper_call(st, -1, def);
      return;
    }
    if (cls == bpf::kClassAlu || cls == bpf::kClassAlu64 || cls == bpf::kClassLdx)
      set_reg(st, raw.dst, scalar_value(Scalar::unknown(), def));
    if (cls == bpf::kClassStx && raw.dst < 11 && raw.dst != 10)
      store(st, st.regs[raw.dst], raw.off, 8, std::nullopt, func_of(i));
  }

  void alu(State& st, const bpf::RawInsn& raw, int def) {
    const bool alu32 = (raw.code & 0x07) == bpf::kClassAlu;
    const bool is_x = raw.code & 0x08;
    const uint8_t op = raw.code & 0xf0;
    if (raw.dst >= 11 || raw.dst == 10) return;
    Value dst = st.regs[raw.dst];
    const Value src = src_operand(st, raw, is_x);

    if (op == kOpMov) {
      if (raw.off != 0) { // movsx: flagged by the rules; value not modelled
        set_reg(st, raw.dst, scalar_value(Scalar::unknown(), def));
        return;
      }
      if (!alu32) {
        Value v = src;
        if (v.kind == Kind::Uninit) v = scalar_value(Scalar::unknown(), def);
        if (!is_x) v.def = def;
        if (is_x && v.kind == Kind::Scalar && !v.s.is_const()) {
          // r1 = r2 links both for branch refinement; the id is this instruction's.
          uint32_t id = src.id;
          if (!id) {
            id = static_cast<uint32_t>(def) + 1;
            clear_id(st, id);
            st.regs[raw.src].id = id;
          }
          v.id = id;
        } else {
          if (v.kind == Kind::Scalar) v.id = 0;
        }
        set_reg(st, raw.dst, v);
        return;
      }
      if (src.kind == Kind::Scalar)
        set_reg(st, raw.dst, scalar_value(scalar_alu(kOpMov, true, Scalar(), src.s), def));
      else
        set_reg(st, raw.dst, scalar_value(scalar_alu(kOpMov, true, Scalar(), Scalar()), def));
      return;
    }

    if (op == kOpNeg || op == kOpEnd) {
      set_reg(st, raw.dst, scalar_value(Scalar::unknown(), def));
      return;
    }

    const bool dst_ptr = dst.is_pointer(), src_ptr = src.is_pointer();
    if (!alu32 && (op == kOpAdd || op == kOpSub) && dst_ptr && src.kind == Kind::Scalar) {
      Value r = dst;
      r.s = scalar_alu(op, false, dst.s, src.s);
      r.def = def;
      set_reg(st, raw.dst, r);
      return;
    }
    if (!alu32 && op == kOpAdd && dst.kind == Kind::Scalar && src_ptr) {
      Value r = src;
      r.s = scalar_alu(kOpAdd, false, dst.s, src.s);
      r.def = def;
      r.id = 0;
      set_reg(st, raw.dst, r);
      return;
    }
    if (dst.kind != Kind::Scalar || (is_x && src.kind != Kind::Scalar)) {
      // Pointer arithmetic the kernel forbids, or uninitialised operands: unknown.
      set_reg(st, raw.dst, scalar_value(Scalar::unknown(), def));
      return;
    }
    if (op == kOpDiv || op == kOpMod) {
      // Not tracked. Linux 6.1 zero-extends the alu32 result, but since 6.10
      // (is_safe_to_compute_dst_reg_range) the whole 64-bit register is unknown: take the
      // less precise one.
      set_reg(st, raw.dst, scalar_value(Scalar::unknown(), def));
      return;
    }
    Value r = scalar_value(scalar_alu(op, alu32, dst.s, src.s), def);
    inherit_lost(r, dst, src);
    set_reg(st, raw.dst, r);
  }

  void ld_imm64(State& st, const ImageInsn& ii, const bpf::Insn& insn, int def) {
    const uint8_t d = ii.raw.dst;
    if (ii.reloc) {
      const auto t = m_.resolve(o_, *ii.reloc, insn.imm);
      using RK = ObjectModel::RelocKind;
      if (t.kind == RK::Map) {
        Value v = pointer(Kind::MapPtr, def);
        v.map = t.map;
        set_reg(st, d, v);
        return;
      }
      if (t.kind == RK::GlobalData) {
        set_reg(st, d, pointer(Kind::GlobalData, def));
        return;
      }
      set_reg(st, d, pointer(Kind::OtherPtr, def));
      return;
    }
    switch (ii.raw.src) {
    case bpf::kPseudoNone:
      set_reg(st, d, scalar_value(Scalar::known(static_cast<uint64_t>(insn.imm)), def));
      return;
    case bpf::kPseudoMapFd:
    case bpf::kPseudoMapIdx: {
      Value v = pointer(Kind::MapPtr, def);
      if (ii.raw.src == bpf::kPseudoMapIdx) {
        const auto idx = static_cast<uint32_t>(static_cast<uint64_t>(insn.imm));
        if (idx < m_.maps.size()) v.map = static_cast<int>(idx);
      }
      set_reg(st, d, v);
      return;
    }
    case bpf::kPseudoMapValue:
    case bpf::kPseudoMapIdxValue:
      set_reg(st, d, pointer(Kind::GlobalData, def));
      return;
    default:
      set_reg(st, d, pointer(Kind::OtherPtr, def));
      return;
    }
  }

  Value load(const State& st, const Value& base, int16_t off, unsigned size, int func, int def) {
    switch (base.kind) {
    case Kind::Ctx: {
      const auto vals = base.s.path_values();
      if (vals.size() != 1) return scalar_value(Scalar::sized(size), def);
      const int64_t field = static_cast<int64_t>(vals[0]) + off;
      const bool xdp = p_.type == ProgType::Xdp;
      if (field == (xdp ? 0 : 76)) return pointer(Kind::Packet, def);
      if (field == (xdp ? 4 : 80)) return pointer(Kind::PacketEnd, def);
      if (field == (xdp ? 8 : 140)) return pointer(Kind::PacketMeta, def);
      return scalar_value(Scalar::sized(size), def);
    }
    case Kind::Stack: {
      if (base.frame != func) return scalar_value(Scalar::sized(size), def);
      const auto vals = base.s.path_values();
      if (vals.empty()) return scalar_value(Scalar::sized(size), def);
      std::optional<Value> r;
      for (auto v : vals) {
        Value one = stack_read_one(st, static_cast<int64_t>(v) + off, size, def);
        r = r ? join_value(*r, one) : one;
      }
      return *r;
    }
    default:
      return scalar_value(Scalar::sized(size), def);
    }
  }

  void store(State& st, const Value& base, int16_t off, unsigned size,
             const std::optional<Value>& v, int func) {
    if (base.kind != Kind::Stack || base.frame != func) return;
    const auto vals = base.s.path_values();
    if (vals.empty()) {
      stack_clobber_all(st);
      return;
    }
    if (vals.size() == 1) {
      stack_write_one(st, static_cast<int64_t>(vals[0]) + off, size, v);
      return;
    }
    // Different offsets on different paths: exactly one of them is written on each path.
    std::optional<State> joined;
    for (auto o : vals) {
      State one = st;
      stack_write_one(one, static_cast<int64_t>(o) + off, size, v);
      joined = joined ? join_state(*joined, one) : one;
    }
    st = std::move(*joined);
  }

  void helper_call(State& st, int id, int def) {
    const Value r1 = st.regs[1];
    for (int r = 1; r <= 5; ++r) st.regs[static_cast<size_t>(r)] = Value{};
    if (id >= 0 && helper_changes_packet(id))
      for_each_value(st, [&](Value& v) {
        if (v.kind == Kind::Packet || v.kind == Kind::PacketEnd || v.kind == Kind::PacketMeta)
          v = scalar_value(Scalar::unknown(), def);
      });
    if (id == 1) {
      Value v = pointer(Kind::MapValueOrNull, def);
      v.map = r1.kind == Kind::MapPtr ? r1.map : kMapUnknown;
      v.id = static_cast<uint32_t>(def) + 1;
      clear_id(st, v.id);
      st.regs[0] = v;
      return;
    }
    st.regs[0] = scalar_value(Scalar::unknown(), def);
  }

  // Conditional jumps: both edges with the kernel's refinement (reg_set_min_max & co).
  std::vector<Edge> branch(size_t i, const State& in) {
    const auto& ii = p_.insns[i];
    const auto& raw = ii.raw;
    const bool jmp32 = (raw.code & 0x07) == bpf::kClassJmp32;
    const bool is_x = raw.code & 0x08;
    const uint8_t op = raw.code & 0xf0;
    std::optional<size_t> taken = ii.target, next;
    for (size_t s : p_.succs[i])
      if (!taken || s != *taken) next = s;
    if (raw.dst >= 11 || (is_x && raw.src >= 11)) {
      std::vector<Edge> out;
      for (size_t s : p_.succs[i]) out.push_back({s, in});
      return out;
    }
    State t = in, f = in;
    bool t_ok = true, f_ok = true;
    const Value& dst = in.regs[raw.dst];
    const Value src = src_operand(in, raw, is_x);

    if (!jmp32 && !is_x && raw.imm == 0 && (op == kJeq || op == kJne) &&
        dst.kind == Kind::MapValueOrNull) {
      State& null_st = op == kJeq ? t : f;
      State& ok_st = op == kJeq ? f : t;
      auto mark = [&](State& s, bool is_null) {
        for_each_value(s, [&](Value& v) {
          const bool same = dst.id ? v.id == dst.id && v.kind == Kind::MapValueOrNull : false;
          if (!same) return;
          if (is_null) {
            v = scalar_value(Scalar::known(0), v.def);
          } else {
            v.kind = Kind::MapValue;
            v.id = 0;
          }
        });
        Value& r = s.regs[raw.dst];
        if (r.kind == Kind::MapValueOrNull) {
          if (is_null)
            r = scalar_value(Scalar::known(0), r.def);
          else {
            r.kind = Kind::MapValue;
            r.id = 0;
          }
        }
      };
      mark(null_st, true);
      mark(ok_st, false);
    } else if (dst.kind == Kind::MapValue && !is_x && raw.imm == 0 && (op == kJeq || op == kJne)) {
      // A valid map value pointer is never NULL (kernel reg_type_not_null).
      if (op == kJeq)
        t_ok = false;
      else
        f_ok = false;
    } else if (dst.kind == Kind::Scalar && src.kind == Kind::Scalar) {
      scalar_branch(raw, op, jmp32, is_x, in, t, f, t_ok, f_ok);
    }
    std::vector<Edge> out;
    if (t_ok && taken) out.push_back({*taken, std::move(t)});
    if (f_ok && next) out.push_back({*next, std::move(f)});
    return out;
  }

  static void propagate_id(State& st, uint8_t reg) {
    const Value& v = st.regs[reg];
    if (!v.id || v.kind != Kind::Scalar) return;
    const Scalar s = v.s;
    const uint32_t id = v.id;
    for_each_value(st, [&](Value& o) {
      if (o.id == id && o.kind == Kind::Scalar) o.s = s;
    });
  }

  void scalar_branch(const bpf::RawInsn& raw, uint8_t op, bool jmp32, bool is_x, const State& in,
                     State& t, State& f, bool& t_ok, bool& f_ok) {
    const Value& dst = in.regs[raw.dst];
    const Value src =
        is_x
            ? in.regs[raw.src]
            : scalar_value(Scalar::known(static_cast<uint64_t>(static_cast<int64_t>(raw.imm))), -1);
    // is_branch_taken against a constant (the kernel only decides against constants).
    int pred = -1;
    if (!is_x)
      pred = branch_taken(dst.s, static_cast<uint64_t>(static_cast<int64_t>(raw.imm)), op, jmp32);
    else if (jmp32 && tnum_subreg_is_const(src.s.var))
      pred = branch_taken(dst.s, tnum_subreg(src.s.var).value, op, jmp32);
    else if (!jmp32 && src.s.is_const())
      pred = branch_taken(dst.s, src.s.var.value, op, jmp32);
    if (pred == 1) f_ok = false;
    if (pred == 0) t_ok = false;

    Scalar& td = t.regs[raw.dst].s;
    Scalar& fd = f.regs[raw.dst].s;
    const bool src_const = jmp32 ? tnum_subreg_is_const(src.s.var) : src.s.is_const();
    const bool dst_const = jmp32 ? tnum_subreg_is_const(dst.s.var) : dst.s.is_const();
    const Scalar td0 = td, fd0 = fd;
    bool refined_src = false;
    if (!is_x) {
      set_min_max(td, fd, static_cast<uint64_t>(static_cast<int64_t>(raw.imm)),
                  static_cast<uint32_t>(raw.imm), op, jmp32);
    } else if (src_const) {
      set_min_max(td, fd, src.s.var.value, static_cast<uint32_t>(src.s.var.value), op, jmp32);
    } else if (dst_const) {
      set_min_max_inv(t.regs[raw.src].s, f.regs[raw.src].s, dst.s.var.value,
                      static_cast<uint32_t>(dst.s.var.value), op, jmp32);
      refined_src = true;
    } else if (!jmp32 && (op == kJeq || op == kJne)) {
      combine_min_max(t.regs[raw.src].s, td, f.regs[raw.src].s, fd, op);
      refined_src = true;
    }
    // Contradictory bounds: keep the unrefined value (the kernel would go on with garbage).
    if (!td.bounds_valid()) td = td0;
    if (!fd.bounds_valid()) fd = fd0;
    if (refined_src) {
      if (!t.regs[raw.src].s.bounds_valid()) t.regs[raw.src].s = in.regs[raw.src].s;
      if (!f.regs[raw.src].s.bounds_valid()) f.regs[raw.src].s = in.regs[raw.src].s;
    }
    // Per-path constants decide edges exactly, as the kernel does path by path.
    const auto sv = src.s.path_values();
    const auto dv = dst.s.path_values();
    if (!sv.empty()) {
      Scalar tt = dst.s, ff = dst.s;
      if (!dv.empty()) {
        if (!filter_consts(tt, op, jmp32, sv, true, false))
          t_ok = false;
        else
          td = tt;
        if (!filter_consts(ff, op, jmp32, sv, false, false))
          f_ok = false;
        else
          fd = ff;
      }
    }
    if (is_x && !dv.empty() && !sv.empty()) {
      Scalar tt = src.s, ff = src.s;
      if (filter_consts(tt, op, jmp32, dv, true, true)) t.regs[raw.src].s = tt;
      if (filter_consts(ff, op, jmp32, dv, false, true)) f.regs[raw.src].s = ff;
      refined_src = true;
    }
    propagate_id(t, raw.dst);
    propagate_id(f, raw.dst);
    if (refined_src && is_x) {
      propagate_id(t, raw.src);
      propagate_id(f, raw.src);
    }
  }

  const Program& p_;
  const ObjectModel& m_;
  const bpf::ObjectFile& o_;
  std::vector<size_t> rpo_, rpo_pos_;
  std::set<size_t> work_;
  std::vector<int> visits_;
  std::vector<bool> loop_head_;
  std::vector<std::optional<Value>> ret_;
  std::vector<std::vector<size_t>> callers_;
};

} // namespace

const char* kind_name(Kind k) {
  switch (k) {
  case Kind::Uninit:
    return "uninitialized";
  case Kind::Scalar:
    return "scalar";
  case Kind::Ctx:
    return "ctx";
  case Kind::Stack:
    return "stack";
  case Kind::Packet:
    return "packet";
  case Kind::PacketEnd:
    return "packet_end";
  case Kind::PacketMeta:
    return "packet_meta";
  case Kind::MapValue:
    return "map_value";
  case Kind::MapValueOrNull:
    return "map_value_or_null";
  case Kind::MapPtr:
    return "map_ptr";
  case Kind::GlobalData:
    return "global data (map_value of .data/.bss/.rodata)";
  case Kind::OtherPtr:
    return "other pointer";
  case Kind::Mixed:
    return "mixed";
  }
  return "?";
}

std::string Value::describe_kind() const {
  if (kind != Kind::Mixed) return kind_name(kind);
  std::string out;
  for (unsigned k = 0; k < unsigned(Kind::Mixed); ++k)
    if (kinds & (1u << k)) out += (out.empty() ? "" : " or ") + std::string(kind_name(Kind(k)));
  return out.empty() ? "mixed" : out;
}

bool stack_bytes_zero(const State& st, int64_t off, uint32_t size) {
  for (uint32_t i = 0; i < size; ++i) {
    const int64_t o = off + i;
    auto it = st.stack.find(floor_div8(o));
    if (it == st.stack.end() ||
        it->second.bytes[static_cast<size_t>(o - floor_div8(o) * 8)] != kByteZero)
      return false;
  }
  return true;
}

bool helper_changes_packet(int id) {
  // kernel bpf_helper_changes_pkt_data (net/core/filter.c)
  switch (id) {
  case 9:   // skb_store_bytes
  case 10:  // l3_csum_replace
  case 11:  // l4_csum_replace
  case 18:  // skb_vlan_push
  case 19:  // skb_vlan_pop
  case 31:  // skb_change_proto
  case 38:  // skb_change_tail
  case 39:  // skb_pull_data
  case 44:  // xdp_adjust_head
  case 50:  // skb_adjust_room
  case 54:  // xdp_adjust_meta
  case 65:  // xdp_adjust_tail
  case 73:  // lwt_push_encap
  case 74:  // lwt_seg6_store_bytes
  case 75:  // lwt_seg6_adjust_srh
  case 76:  // lwt_seg6_action
  case 37:  // skb_change_head
  case 52:  // msg_pull_data
  case 90:  // msg_push_data
  case 91:  // msg_pop_data
  case 140: // store_hdr_opt
    return true;
  default:
    return false;
  }
}

Analysis analyze(const Program& program, const ObjectModel& model, const bpf::ObjectFile& object) {
  return Interpreter(program, model, object).run();
}

} // namespace xdpml::nfp
