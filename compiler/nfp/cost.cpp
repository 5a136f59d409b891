#include "compiler/nfp/cost.hpp"

namespace xdpml::nfp {

namespace {

// pack_immed: a 32-bit constant loads in one `immed` if it, or its complement, is a 16-bit
// window at byte shift 0, 1 or 2.
bool packable(uint32_t v) {
  for (uint32_t x : {v, ~v})
    for (int s : {0, 8, 16})
      if ((x & ~(0xffffu << s)) == 0) return true;
  return false;
}

int immed_cost(uint32_t v) {
  return packable(v) ? 1 : 2;
}

// An ALU operand immediate is free up to 255; ADD/SUB with a negative K become the opposite
// operation on the positive value (nfp_bpf_opt_neg_add_sub).
int operand_imm_cost(int64_t imm) {
  const int64_t v = imm < 0 ? -imm : imm;
  if (v <= 255) return 0;
  return immed_cost(static_cast<uint32_t>(v));
}

using Mask = uint16_t;
constexpr Mask bit(unsigned r) {
  return static_cast<Mask>(1u << r);
}

struct UseDef {
  Mask use64 = 0; // registers whose upper half is read
  Mask def = 0;
};

UseDef use_def(const Program& p, size_t i) {
  UseDef u;
  const auto& ii = p.insns[i];
  const auto& raw = ii.raw;
  const uint8_t cls = raw.code & 0x07, op = raw.code & 0xf0;
  const bool x = raw.code & 0x08;
  auto use = [&](unsigned r) {
    if (r < 11) u.use64 |= bit(r);
  };
  auto def = [&](unsigned r) {
    if (r < 11) u.def |= bit(r);
  };
  switch (cls) {
  case bpf::kClassAlu64:
    if (op != kOpMov) use(raw.dst);
    if (x && op != kOpNeg && op != kOpEnd) use(raw.src);
    def(raw.dst);
    break;
  case bpf::kClassAlu:
    if (op == kOpEnd && raw.imm == 64) use(raw.dst);
    def(raw.dst);
    break;
  case bpf::kClassJmp:
    if (op == kCall) {
      for (unsigned r = 1; r <= 5; ++r) use(r);
      for (unsigned r = 0; r <= 5; ++r) def(r);
    } else if (op == kExit) {
      if (ii.func != 0) use(0);
    } else if (op != kJa) {
      use(raw.dst);
      if (x) use(raw.src);
    }
    break;
  case bpf::kClassLdx:
    use(raw.src);
    def(raw.dst);
    break;
  case bpf::kClassSt:
    use(raw.dst);
    break;
  case bpf::kClassStx:
    use(raw.dst);
    if ((raw.code & 0x18) == 0x18) use(raw.src);
    if ((raw.code & 0xe0) == 0xc0 && (raw.imm & 1)) def(raw.src); // fetch
    if ((raw.code & 0xe0) == 0xc0 && raw.imm == 0xf1) def(0);     // cmpxchg
    break;
  case bpf::kClassLd:
    if (ii.insn && ii.insn->op->form == bpf::Form::LdImm64) {
      def(raw.dst);
    } else {
      use(6);
      if ((raw.code & 0xe0) == 0x40) use(raw.src);
      for (unsigned r = 0; r <= 5; ++r) def(r);
    }
    break;
  default:
    break;
  }
  return u;
}

// Backward liveness of "the upper 32 bits are read": an alu32 result needs its high half
// zeroed (one more NFP instruction) only when some later use reads it (FLAG_INSN_DO_ZEXT).
std::vector<Mask> hi32_live_out(const Program& p) {
  const size_t n = p.insns.size();
  std::vector<UseDef> ud(n);
  for (size_t i = 0; i < n; ++i)
    if (!p.insns[i].continuation) ud[i] = use_def(p, i);
  std::vector<Mask> in(n, 0), out(n, 0);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t k = n; k-- > 0;) {
      if (p.insns[k].continuation) continue;
      Mask o = 0;
      const auto& ii = p.insns[k];
      const bool local_call = ii.insn && ii.insn->op->form == bpf::Form::CallLocal;
      for (size_t s : p.succs[k])
        if (!(local_call && ii.target && s == *ii.target)) o |= in[s];
      const Mask i2 = static_cast<Mask>(ud[k].use64 | (o & ~ud[k].def));
      if (o != out[k] || i2 != in[k]) {
        out[k] = o;
        in[k] = i2;
        changed = true;
      }
    }
  }
  return out;
}

bool is_stack_base(const State& st, uint8_t reg, int func) {
  return reg < 11 && st.regs[reg].kind == Kind::Stack && st.regs[reg].frame == func;
}

// 1-3 NFP instructions in the lowest 64 bytes of the frame (LM pointer 0), ~5-10 elsewhere.
uint32_t stack_access_cost(const State& st, uint8_t reg, int16_t off, unsigned size, int func,
                           int64_t depth) {
  if (!is_stack_base(st, reg, func)) return 7;
  const auto vals = st.regs[reg].s.path_values();
  if (vals.empty()) return 7;
  for (auto v : vals)
    if (depth + static_cast<int64_t>(v) + off + static_cast<int64_t>(size) > 64) return 7;
  return 2;
}

} // namespace

bool needs_reg_push(const Program& p, size_t func) {
  if (func == 0 || func >= p.funcs.size()) return false;
  for (size_t i = p.funcs[func].start; i < p.funcs[func].end; ++i) {
    const auto& ii = p.insns[i];
    if (!ii.continuation && ii.raw.dst >= 6 && ii.raw.dst <= 9) return true;
  }
  return false;
}

CostEstimate estimate_cost(const Program& p, const Analysis& a,
                           const std::vector<int64_t>& frame_depth) {
  CostEstimate c;
  const size_t n = p.insns.size();
  c.per_insn.assign(n, 0);
  const auto live = hi32_live_out(p);

  // Packet-read cache: consecutive loads through the same pointer value within 64 bytes share
  // one bus read (nfp_bpf_opt_pkt_cache); reset by jump targets, calls and packet stores.
  struct Cache {
    bool valid = false;
    uint8_t reg = 0;
    int def = -2;
    int64_t start = 0;
  } cache;

  for (size_t i = 0; i < n; ++i) {
    const auto& ii = p.insns[i];
    if (ii.continuation || !a.in[i] || !ii.insn) continue;
    if (p.is_jump_target[i]) cache.valid = false;
    const State& st = *a.in[i];
    const auto& raw = ii.raw;
    const auto& insn = *ii.insn;
    const uint8_t cls = raw.code & 0x07, op = raw.code & 0xf0;
    const bool x = raw.code & 0x08;
    const bool alu64 = cls == bpf::kClassAlu64;
    const int func = ii.func;
    const int64_t depth =
        static_cast<size_t>(func) < frame_depth.size() ? frame_depth[static_cast<size_t>(func)] : 0;
    const int zext = (cls == bpf::kClassAlu && raw.dst < 11 && (live[i] & bit(raw.dst))) ? 1 : 0;
    auto src_scalar = [&]() -> const Scalar* {
      if (!x) return nullptr;
      return raw.src < 11 ? &st.regs[raw.src].s : nullptr;
    };
    uint32_t cost = 0;
    switch (insn.op->form) {
    case bpf::Form::Alu: {
      switch (op) {
      case kOpMov:
        if (x)
          cost = (alu64 && raw.src == 10) ? 3 : 2;
        else
          cost = 1 + static_cast<uint32_t>(immed_cost(static_cast<uint32_t>(raw.imm)));
        break;
      case kOpAdd:
      case kOpSub:
      case kOpAnd:
      case kOpOr:
      case kOpXor: {
        const bool identity =
            !x && ((op == kOpAnd && raw.imm == -1) || (op != kOpAnd && raw.imm == 0));
        if (alu64)
          cost = identity ? 1 : 2 + (x ? 0 : static_cast<uint32_t>(operand_imm_cost(raw.imm)));
        else
          cost = 1 + (x ? 0 : static_cast<uint32_t>(operand_imm_cost(raw.imm))) +
                 static_cast<uint32_t>(zext);
        break;
      }
      case kOpMul: {
        const Scalar* s = src_scalar();
        const bool small_src = x ? (s && s->umax <= 0xffff) : (raw.imm >= 0 && raw.imm <= 0xffff);
        const bool small = raw.dst < 11 && st.regs[raw.dst].s.umax <= 0xffff && small_src;
        cost = (small ? 4 : 7) + (x ? 0 : static_cast<uint32_t>(operand_imm_cost(raw.imm))) +
               static_cast<uint32_t>(zext);
        break;
      }
      case kOpDiv: {
        std::optional<uint64_t> d;
        if (!x)
          d = static_cast<uint64_t>(static_cast<uint32_t>(raw.imm));
        else if (const Scalar* s = src_scalar(); s && s->umin == s->umax)
          d = s->umin;
        if (d && *d && !(*d & (*d - 1)))
          cost = 1;
        else if (d && *d > (1ULL << 31))
          cost = 3;
        else
          cost = 13;
        cost += static_cast<uint32_t>(zext);
        break;
      }
      case kOpLsh:
      case kOpRsh:
      case kOpArsh: {
        const bool arsh = op == kOpArsh;
        std::optional<uint64_t> amount;
        if (!x)
          amount = static_cast<uint64_t>(raw.imm);
        else if (const Scalar* s = src_scalar(); s && s->is_const())
          amount = s->var.value;
        if (alu64) {
          if (amount)
            cost = *amount == 0 ? 0 : (arsh ? 3 : 2);
          else if (const Scalar* s = src_scalar(); s && (s->umax < 32 || s->umin >= 32))
            cost = 4;
          else
            cost = 11;
        } else {
          cost = (amount ? (arsh ? 2 : 1) : 2) + static_cast<uint32_t>(zext);
        }
        break;
      }
      default:
        cost = 0; // MOD: not translated
      }
      break;
    }
    case bpf::Form::Neg:
      cost = alu64 ? 2 : 1 + static_cast<uint32_t>(zext);
      break;
    case bpf::Form::Endian:
      cost = (raw.code & 0x08) ? (raw.imm == 64 ? 5 : 3) : 0;
      break;
    case bpf::Form::LdImm64: {
      const auto u = static_cast<uint64_t>(insn.imm);
      cost = static_cast<uint32_t>(immed_cost(static_cast<uint32_t>(u)) +
                                   immed_cost(static_cast<uint32_t>(u >> 32)));
      break;
    }
    case bpf::Form::Ja:
      cost = 1;
      break;
    case bpf::Form::Jump:
      if (cls == bpf::kClassJmp32)
        cost = 2 + (x ? 0 : static_cast<uint32_t>(operand_imm_cost(raw.imm)));
      else if (x)
        cost = (op == kJeq || op == kJne || op == kJset) ? 4 : 3;
      else
        cost = 3 + static_cast<uint32_t>(operand_imm_cost(raw.imm)) +
               ((op == kJsgt || op == kJsge || op == kJslt || op == kJsle) ? 1 : 0);
      break;
    case bpf::Form::Load: {
      const Value& base = raw.src < 11 ? st.regs[raw.src] : Value{};
      const unsigned size = static_cast<unsigned>(insn.op->access_bytes());
      switch (base.kind) {
      case Kind::Ctx:
        cost = 2;
        break;
      case Kind::Stack:
        cost = stack_access_cost(st, raw.src, raw.off, size, func, depth);
        break;
      case Kind::Packet: {
        const int64_t at = base.s.smin + raw.off;
        if (cache.valid && cache.reg == raw.src && cache.def == base.def && at >= cache.start &&
            at + static_cast<int64_t>(size) <= cache.start + 64) {
          cost = 2;
        } else {
          cost = 5;
          cache = {true, raw.src, base.def, at};
        }
        break;
      }
      case Kind::MapValue:
        cost = 5;
        break;
      default:
        cost = 0;
      }
      break;
    }
    case bpf::Form::Store: {
      const Value& base = raw.dst < 11 ? st.regs[raw.dst] : Value{};
      const unsigned size = static_cast<unsigned>(insn.op->access_bytes());
      if (base.kind == Kind::Packet) {
        cost = 4;
        cache.valid = false;
      } else if (base.kind == Kind::Stack) {
        cost = stack_access_cost(st, raw.dst, raw.off, size, func, depth);
      } else if (base.kind == Kind::Ctx) {
        cost = 5;
      }
      break;
    }
    case bpf::Form::Atomic: {
      const Scalar* s = raw.src < 11 ? &st.regs[raw.src].s : nullptr;
      const bool small = s && (s->var.value | s->var.mask) <= 0xffff;
      cost = (small && raw.off == 0) ? 4 : 8;
      break;
    }
    case bpf::Form::Call: {
      cache.valid = false;
      switch (raw.imm) {
      case 1:
      case 2:
      case 3:
        cost = stack_access_cost(st, 2, 0, 4, func, depth) == 2 ? 3 : 9;
        break;
      case 7:
        cost = 3;
        break;
      case 25:
        cost = 5;
        break;
      case 44:
        cost = 16;
        break;
      case 65:
        cost = 11;
        break;
      default:
        cost = 0;
      }
      break;
    }
    case bpf::Form::CallLocal:
      cache.valid = false;
      cost = 8;
      break;
    case bpf::Form::Exit:
      cost = func == 0 ? 1 : 3;
      break;
    case bpf::Form::LdAbs:
    case bpf::Form::LdInd:
      cache.valid = false;
      cost = 6;
      break;
    default:
      cost = 0;
    }
    c.per_insn[i] = cost;
    c.total += cost;
  }
  c.overhead = p.type == ProgType::Xdp ? 23 : 28;
  for (size_t f = 1; f < p.funcs.size(); ++f)
    if (needs_reg_push(p, f)) {
      c.overhead += 18;
      break;
    }
  c.total += c.overhead;
  return c;
}

} // namespace xdpml::nfp
