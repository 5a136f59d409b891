#include "compiler/passes.hpp"

#include <algorithm>
#include <map>

namespace xdpml::compiler {

namespace {

constexpr Int kU32Max = (Int{1} << 32) - 1;
constexpr Int kU64Max = (Int{1} << 64) - 1;
constexpr Int kI64Min = -(Int{1} << 63);
constexpr Int kI64Max = (Int{1} << 63) - 1;

// x * y saturated to Int's range. Two bounds that fit 64 bits can multiply past 2^127 (u64 * u64
// reaches 2^128), which overflows Int; the saturated bound is outside 64 bits as the exact one is.
Int mul_saturated(Int x, Int y) {
  Int r;
  if (!__builtin_mul_overflow(x, y, &r)) return r;
  const Int max = static_cast<Int>(~static_cast<unsigned __int128>(0) >> 1);
  return (x < 0) != (y < 0) ? -max - 1 : max;
}

Diagnostic node_error(const Function& f, int node, std::string message, std::string hint = {}) {
  const Node& n = f.nodes[node];
  SourceLocation loc{"<model>", 0, 0, 1,
                     n.origin >= 0 ? "model node '" + f.origins[n.origin] + "'"
                                   : "IR node %" + std::to_string(node)};
  return make_error(std::move(message) + " [" + describe(f, node) + "]", loc, std::move(hint));
}

bool is_const(const Function& f, int v) {
  return v >= 0 && f.nodes[v].op == Opcode::Const;
}

void replace_uses(Function& f, int from, int to) {
  for (auto& n : f.nodes)
    for (int a = 0; a < n.num_args(); ++a)
      if (n.args[a] == from) n.args[a] = to;
}

int bit_length(Int v) {
  int n = 0;
  while (v > 0) {
    v >>= 1;
    ++n;
  }
  return n;
}

} // namespace

Status
PassManager::run(Function& f,
                 const std::function<void(const std::string&, const Function&)>& trace) const {
  for (const auto& p : passes_) {
    if (auto st = p.run(f); !st) return st;
    if (trace) trace(p.name, f);
  }
  return ok_status();
}

Pass fold_constants_pass() {
  return {"fold-constants", [](Function& f) -> Status {
            for (size_t i = 0; i < f.nodes.size(); ++i) {
              Node& n = f.nodes[i];
              if (n.dead) continue;
              const bool binary = n.op == Opcode::Add || n.op == Opcode::Sub ||
                                  n.op == Opcode::Mul || n.op == Opcode::And ||
                                  n.op == Opcode::Or || n.op == Opcode::Xor ||
                                  n.op == Opcode::Shl || n.op == Opcode::Shr || n.op == Opcode::Sar;
              const bool minmax = n.op == Opcode::Min || n.op == Opcode::Max;
              if (minmax && is_const(f, n.args[0]) && is_const(f, n.args[1])) {
                const Int x = f.nodes[n.args[0]].imm0, y = f.nodes[n.args[1]].imm0;
                n.imm0 = n.op == Opcode::Min ? std::min(x, y) : std::max(x, y);
                n.op = Opcode::Const;
                n.args[0] = n.args[1] = -1;
                continue;
              }
              if (!binary) continue;
              const int a = n.args[0], b = n.args[1];
              if (is_const(f, a) && is_const(f, b)) {
                const Int x = f.nodes[a].imm0, y = f.nodes[b].imm0;
                Int r = 0;
                switch (n.op) {
                case Opcode::Add:
                  r = x + y;
                  break;
                case Opcode::Sub:
                  r = x - y;
                  break;
                case Opcode::Mul:
                  r = x * y;
                  break;
                case Opcode::And:
                  r = x & y;
                  break;
                case Opcode::Or:
                  r = x | y;
                  break;
                case Opcode::Xor:
                  r = x ^ y;
                  break;
                case Opcode::Shl:
                  r = x << static_cast<int>(y);
                  break;
                case Opcode::Shr:
                case Opcode::Sar:
                  r = x >> static_cast<int>(y);
                  break;
                default:
                  break;
                }
                n.op = Opcode::Const;
                n.imm0 = r;
                n.args[0] = n.args[1] = -1;
                continue;
              }
              // Canonicalise constants to the right for commutative operations.
              const bool commutative = n.op == Opcode::Add || n.op == Opcode::Mul ||
                                       n.op == Opcode::And || n.op == Opcode::Or ||
                                       n.op == Opcode::Xor;
              if (commutative && is_const(f, a) && !is_const(f, b)) std::swap(n.args[0], n.args[1]);
              if (!is_const(f, n.args[1])) continue;
              const Int c = f.nodes[n.args[1]].imm0;
              const bool identity =
                  (c == 0 && (n.op == Opcode::Add || n.op == Opcode::Sub || n.op == Opcode::Or ||
                              n.op == Opcode::Xor || n.op == Opcode::Shl || n.op == Opcode::Shr ||
                              n.op == Opcode::Sar)) ||
                  (c == 1 && n.op == Opcode::Mul);
              if (identity) {
                replace_uses(f, static_cast<int>(i), n.args[0]);
                n.dead = true;
              } else if (c == 0 && n.op == Opcode::Mul) {
                n.op = Opcode::Const;
                n.imm0 = 0;
                n.args[0] = n.args[1] = -1;
              } else if (n.op == Opcode::Mul && c > 0 && (c & (c - 1)) == 0) {
                // Strength reduction: multiply by 2^k is a shift (1 NFP cycle instead of a mul).
                // f.constant() appends to f.nodes, so `n` must not be used across it.
                const int shift = f.constant(bit_length(c) - 1, n.origin);
                f.nodes[i].op = Opcode::Shl;
                f.nodes[i].args[1] = shift;
              }
            }
            return ok_status();
          }};
}

Pass dead_code_pass() {
  return {"dead-code", [](Function& f) -> Status {
            bool changed = true;
            while (changed) {
              changed = false;
              std::vector<int> uses(f.nodes.size(), 0);
              for (const auto& n : f.nodes)
                if (!n.dead)
                  for (int a = 0; a < n.num_args(); ++a)
                    if (n.args[a] >= 0) ++uses[n.args[a]];
              for (size_t i = 0; i < f.nodes.size(); ++i) {
                Node& n = f.nodes[i];
                const bool effect = n.op == Opcode::ExitIf || n.op == Opcode::PacketStore ||
                                    n.op == Opcode::RequireLength || n.op == Opcode::F64ToFixed;
                if (!n.dead && !effect && uses[i] == 0) {
                  n.dead = true;
                  changed = true;
                }
              }
            }
            return ok_status();
          }};
}

Pass hoist_bounds_check_pass() {
  return {
      "hoist-bounds-check", [](Function& f) -> Status {
        int first = -1;
        Int need = 0;
        for (size_t i = 0; i < f.nodes.size(); ++i) {
          Node& n = f.nodes[i];
          if (n.dead) continue;
          if (n.op == Opcode::RequireLength) {
            if (first < 0) {
              first = static_cast<int>(i);
            } else {
              if (n.exit != f.nodes[first].exit)
                return fail(
                    node_error(f, static_cast<int>(i),
                               "length checks leave through different exits; cannot merge"));
              need = std::max(need, n.imm0);
              n.dead = true;
            }
          }
          if (n.op == Opcode::PacketLoad || n.op == Opcode::PacketStore) {
            if (first < 0)
              return fail(node_error(
                  f, static_cast<int>(i), "packet access before any length check",
                  "the front end must start with RequireLength so the verifier can see the bound"));
            need = std::max(need, n.imm0 + n.imm1);
          }
        }
        if (first >= 0) f.nodes[first].imm0 = std::max(f.nodes[first].imm0, need);
        // The check must come first: move it to the front if anything precedes it.
        if (first > 0) {
          for (int i = 0; i < first; ++i)
            if (!f.nodes[i].dead && f.nodes[i].op != Opcode::Const)
              return fail(node_error(f, first, "the length check is not the first operation"));
        }
        return ok_status();
      }};
}

Pass range_analysis_pass() {
  return {
      "range-analysis", [](Function& f) -> Status {
        f.info.assign(f.nodes.size(), {});
        std::vector<std::pair<Int, Int>> cur(f.nodes.size()); // current (refined) ranges
        Diagnostics diags;
        // Constants may be created by later passes and appended after their users.
        auto rng = [&](int v) {
          return f.nodes[v].op == Opcode::Const
                     ? std::pair<Int, Int>{f.nodes[v].imm0, f.nodes[v].imm0}
                     : cur[v];
        };
        auto fits64 = [](Int lo, Int hi) {
          return (lo >= kI64Min && hi <= kI64Max) || (lo >= 0 && hi <= kU64Max);
        };
        for (size_t idx = 0; idx < f.nodes.size(); ++idx) {
          const int i = static_cast<int>(idx);
          Node& n = f.nodes[i];
          if (n.dead) continue;
          Int lo = 0, hi = 0;
          auto a = n.num_args() > 0 ? rng(n.args[0]) : std::pair<Int, Int>{0, 0};
          auto b = n.num_args() > 1 ? rng(n.args[1]) : std::pair<Int, Int>{0, 0};
          switch (n.op) {
          case Opcode::Const:
            lo = hi = n.imm0;
            break;
          case Opcode::PacketLoad:
            lo = 0, hi = (Int{1} << (8 * static_cast<int>(n.imm1))) - 1;
            break;
          case Opcode::Add:
            lo = a.first + b.first, hi = a.second + b.second;
            break;
          case Opcode::Sub:
            lo = a.first - b.second, hi = a.second - b.first;
            break;
          case Opcode::Mul: {
            const Int c[4] = {mul_saturated(a.first, b.first), mul_saturated(a.first, b.second),
                              mul_saturated(a.second, b.first), mul_saturated(a.second, b.second)};
            lo = *std::min_element(c, c + 4);
            hi = *std::max_element(c, c + 4);
            break;
          }
          case Opcode::And:
            if (a.first >= 0 && b.first >= 0)
              lo = 0, hi = std::min(a.second, b.second);
            else if (a.first >= 0)
              lo = 0, hi = a.second;
            else if (b.first >= 0)
              lo = 0, hi = b.second;
            else
              lo = kI64Min, hi = kI64Max;
            break;
          case Opcode::Or:
          case Opcode::Xor:
            if (a.first >= 0 && b.first >= 0)
              lo = 0, hi = (Int{1} << bit_length(std::max(a.second, b.second))) - 1;
            else
              lo = kI64Min, hi = kI64Max;
            break;
          case Opcode::Shl:
            lo = a.first << static_cast<int>(b.first), hi = a.second << static_cast<int>(b.first);
            break;
          case Opcode::Shr:
            if (a.first < 0)
              diags.add(node_error(f, i, "logical shift of a value that may be negative"));
            lo = a.first >> static_cast<int>(b.first), hi = a.second >> static_cast<int>(b.first);
            break;
          case Opcode::Sar:
            lo = a.first >> static_cast<int>(b.first), hi = a.second >> static_cast<int>(b.first);
            break;
          case Opcode::Assume:
            lo = std::max(a.first, n.imm0), hi = std::min(a.second, n.imm1);
            if (lo > hi)
              diags.add(node_error(f, i, "assumed range is disjoint from the proven one"));
            break;
          case Opcode::CondAdd:
          case Opcode::CondAddOutside: {
            const auto inc = rng(n.args[4]);
            lo = a.first + std::min<Int>(0, inc.first);
            hi = a.second + std::max<Int>(0, inc.second);
            break;
          }
          case Opcode::F64ToFixed: // doubled: Y = floor(2x) < 2^32 where X = (Y + 1) / 2 <= 2^31
            lo = 0, hi = n.imm1 ? (Int{1} << 32) - 1 : Int{1} << 31;
            break;
          case Opcode::SignExtend: {
            const int bits = static_cast<int>(n.imm0);
            const Int half = Int{1} << (bits - 1);
            if (a.first < 0 || a.second >= 2 * half)
              diags.add(node_error(
                  f, i, "sign extension of a value outside [0, 2^" + std::to_string(bits) + ")"));
            if (a.second < half)
              lo = a.first, hi = a.second;
            else if (a.first >= half)
              lo = a.first - 2 * half, hi = a.second - 2 * half;
            else
              lo = -half, hi = half - 1;
            break;
          }
          case Opcode::Min:
            lo = std::min(a.first, b.first), hi = std::min(a.second, b.second);
            break;
          case Opcode::Max:
            lo = std::max(a.first, b.first), hi = std::max(a.second, b.second);
            break;
          case Opcode::Select: {
            const auto t = rng(n.args[2]), e = rng(n.args[3]);
            lo = std::min(t.first, e.first), hi = std::max(t.second, e.second);
            break;
          }
          case Opcode::Piecewise: {
            // Exact range over the segments x can reach; each leaf's multiply-add must also fit
            // the width the node is computed in (checked below).
            const auto& t = f.tables[static_cast<size_t>(n.imm0)];
            bool any = false;
            Int mid_lo = 0, mid_hi = 0;
            for (size_t k = 0; k < t.start.size(); ++k) {
              const Int s_lo = k == 0 ? a.first : std::max(a.first, t.start[k]);
              const Int s_hi =
                  k + 1 == t.start.size() ? a.second : std::min(a.second, t.start[k + 1] - 1);
              if (s_lo > s_hi) continue;
              const Int p = t.slope[k] * s_lo + t.offset[k], q = t.slope[k] * s_hi + t.offset[k];
              const Int m_lo = std::min(p, q), m_hi = std::max(p, q);
              mid_lo = any ? std::min(mid_lo, m_lo) : m_lo;
              mid_hi = any ? std::max(mid_hi, m_hi) : m_hi;
              lo = any ? std::min(lo, m_lo >> t.shift) : m_lo >> t.shift;
              hi = any ? std::max(hi, m_hi >> t.shift) : m_hi >> t.shift;
              any = true;
            }
            if (!any) diags.add(node_error(f, i, "piecewise function with no reachable segment"));
            if (!fits64(mid_lo, mid_hi) || !f.signed32)
              diags.add(node_error(f, i, "piecewise segment arithmetic does not fit 64 bits"));
            // Remember the leaves' range for the width decision.
            cur[i] = {mid_lo, mid_hi};
            break;
          }
          case Opcode::ExitIf:
          case Opcode::PacketStore:
          case Opcode::RequireLength:
            break;
          }
          const std::pair<Int, Int> leaves =
              n.op == Opcode::Piecewise ? cur[i] : std::pair<Int, Int>{lo, hi};
          cur[i] = {lo, hi};
          NodeInfo& info = f.info[i];
          info.lo = lo;
          info.hi = hi;
          if (n.has_value() && n.op != Opcode::Const && !fits64(lo, hi)) {
            diags.add(node_error(f, i,
                                 "value may not fit in 64 bits: proven range [" + to_string(lo) +
                                     ", " + to_string(hi) + "]",
                                 "bound the inputs (a validity check) or lower the scale"));
            // Reported; its users see it clamped to 64 bits so that their bounds stay inside Int.
            cur[i] = {std::clamp(lo, kI64Min, kU64Max), std::clamp(hi, kI64Min, kU64Max)};
          }
          auto fits32 = [&](Int l, Int h) {
            return (l >= 0 && h <= kU32Max) ||
                   (f.signed32 && l >= -(Int{1} << 31) && h < (Int{1} << 31));
          };
          info.alu32 = fits32(lo, hi);
          // Logical/arithmetic right shifts read the whole operand: alu32 only if it is 32-bit.
          if (n.op == Opcode::Shr && !(a.first >= 0 && a.second <= kU32Max)) info.alu32 = false;
          const Int sar_lo = f.signed32 ? -(Int{1} << 31) : 0;
          if (n.op == Opcode::Sar && !(a.first >= sar_lo && a.second < (Int{1} << 31)))
            info.alu32 = false;
          if (n.op == Opcode::F64ToFixed) info.alu32 = false;
          if (n.op == Opcode::Piecewise) info.alu32 = fits32(leaves.first, leaves.second);
          // Where the register holds a 32-bit result, or a 32-bit packet field read as signed.
          if (n.op == Opcode::Assume)
            info.sext_on_widen = f.info[n.args[0]].sext_on_widen;
          else if (n.op == Opcode::SignExtend)
            info.sext_on_widen = lo < 0;
          else if (n.op != Opcode::PacketLoad && n.op != Opcode::Const)
            info.sext_on_widen = info.alu32 && lo < 0;

          // Comparisons: choose signedness and whether 32-bit compares are exact.
          auto compare_info = [&](std::pair<Int, Int> x, std::pair<Int, Int> y, CmpInfo& out) {
            const bool unsigned_ok =
                x.first >= 0 && y.first >= 0 && x.second <= kU64Max && y.second <= kU64Max;
            const bool signed_ok = x.first >= kI64Min && y.first >= kI64Min &&
                                   x.second <= kI64Max && y.second <= kI64Max;
            if (!unsigned_ok && !signed_ok) {
              diags.add(
                  node_error(f, i, "operands cannot be compared in one 64-bit interpretation"));
              return;
            }
            out.is_signed = !unsigned_ok;
            out.is32 = !out.is_signed ? (x.second <= kU32Max && y.second <= kU32Max)
                                      : (x.first >= -(Int{1} << 31) && y.first >= -(Int{1} << 31) &&
                                         x.second < (Int{1} << 31) && y.second < (Int{1} << 31));
          };
          if (n.op == Opcode::ExitIf) {
            compare_info(a, b, info.cmp);
            // Fall-through refinement: the exit was not taken.
            if (is_const(f, n.args[1]) && !is_const(f, n.args[0])) {
              const Int c = f.nodes[n.args[1]].imm0;
              auto& r = cur[n.args[0]];
              switch (n.cmp) {
              case Cmp::Gt:
                r.second = std::min(r.second, c);
                break;
              case Cmp::Ge:
                r.second = std::min(r.second, c - 1);
                break;
              case Cmp::Lt:
                r.first = std::max(r.first, c);
                break;
              case Cmp::Le:
                r.first = std::max(r.first, c + 1);
                break;
              case Cmp::Ne:
                r = {c, c};
                break;
              case Cmp::Eq:
                break;
              }
            }
          }
          if (n.op == Opcode::Min || n.op == Opcode::Max || n.op == Opcode::Select)
            compare_info(a, b, info.cmp);
          if (n.op == Opcode::Piecewise) {
            const auto& t = f.tables[static_cast<size_t>(n.imm0)];
            compare_info(a, {t.start.size() > 1 ? t.start[1] : 0, t.start.back()}, info.cmp);
          }
          if (n.op == Opcode::CondAdd) {
            compare_info(rng(n.args[1]), rng(n.args[3]), info.cmp);
            compare_info(rng(n.args[1]), rng(n.args[2]), info.cmp2);
          }
          if (n.op == Opcode::CondAddOutside) {
            // t = x - c in a 64-bit register, compared unsigned with width: a negative t reads
            // as 2^64 + t >= 2^63 > width. Needs t to fit int64 and width in [0, 2^63).
            const auto x = rng(n.args[1]), c = rng(n.args[2]), width = rng(n.args[3]);
            const Int t_lo = x.first - c.second, t_hi = x.second - c.first;
            if (width.first < 0 || width.second > kI64Max || t_lo < kI64Min || t_hi > kI64Max)
              diags.add(
                  node_error(f, i,
                             "outlier test x - c < width (unsigned) is not exact: x - c in [" +
                                 to_string(t_lo) + ", " + to_string(t_hi) + "], width in [" +
                                 to_string(width.first) + ", " + to_string(width.second) + "]"));
            info.cmp.is_signed = false;
            // 32 bits suffice when t never wraps and both fit: then the compare is exact too.
            info.cmp.is32 = t_lo >= 0 && t_hi <= kU32Max && width.second <= kU32Max;
          }
        }
        if (diags.has_errors()) return fail(diags);
        return ok_status();
      }};
}

PassManager standard_pipeline() {
  PassManager pm;
  pm.add(fold_constants_pass());
  pm.add(dead_code_pass());
  pm.add(hoist_bounds_check_pass());
  pm.add(range_analysis_pass());
  return pm;
}

} // namespace xdpml::compiler
