#include "compiler/nfp/scalar.hpp"

#include <algorithm>
#include <cstdio>

namespace xdpml::nfp {

namespace {

constexpr uint64_t kU64Max = UINT64_MAX;
constexpr uint32_t kU32Max = UINT32_MAX;
constexpr int64_t kS64Min = INT64_MIN, kS64Max = INT64_MAX;
constexpr int32_t kS32Min = INT32_MIN, kS32Max = INT32_MAX;

int fls64(uint64_t x) {
  return x ? 64 - __builtin_clzll(x) : 0;
}

// Wrapping arithmetic without signed-overflow UB.
int64_t wrap_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t wrap_sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int32_t wrap_add32(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
int32_t wrap_sub32(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
bool signed_add_overflows(int64_t a, int64_t b) {
  const int64_t res = wrap_add(a, b);
  return b < 0 ? res > a : res < a;
}
bool signed_add32_overflows(int32_t a, int32_t b) {
  const int32_t res = wrap_add32(a, b);
  return b < 0 ? res > a : res < a;
}
bool signed_sub_overflows(int64_t a, int64_t b) {
  const int64_t res = wrap_sub(a, b);
  return b < 0 ? res < a : res > a;
}
bool signed_sub32_overflows(int32_t a, int32_t b) {
  const int32_t res = wrap_sub32(a, b);
  return b < 0 ? res < a : res > a;
}

void mark_known(Scalar& r, uint64_t v) {
  r.var = Tnum::constant(v);
  r.umin = r.umax = v;
  r.smin = r.smax = static_cast<int64_t>(v);
  r.u32min = r.u32max = static_cast<uint32_t>(v);
  r.s32min = r.s32max = static_cast<int32_t>(v);
}

void mark_known32(Scalar& r, uint32_t v) {
  r.var = tnum_or(tnum_clear_subreg(r.var), Tnum::constant(v));
  r.u32min = r.u32max = v;
  r.s32min = r.s32max = static_cast<int32_t>(v);
}

void mark64_unbounded(Scalar& r) {
  r.umin = 0;
  r.umax = kU64Max;
  r.smin = kS64Min;
  r.smax = kS64Max;
}
void mark32_unbounded(Scalar& r) {
  r.u32min = 0;
  r.u32max = kU32Max;
  r.s32min = kS32Min;
  r.s32max = kS32Max;
}

void update_reg32_bounds(Scalar& r) {
  const Tnum v = tnum_subreg(r.var);
  const auto value = static_cast<uint32_t>(v.value), mask = static_cast<uint32_t>(v.mask);
  r.s32min = std::max(r.s32min, static_cast<int32_t>(value | (mask & 0x80000000u)));
  r.s32max = std::min(r.s32max, static_cast<int32_t>(value | (mask & 0x7fffffffu)));
  r.u32min = std::max(r.u32min, value);
  r.u32max = std::min(r.u32max, value | mask);
}

void update_reg64_bounds(Scalar& r) {
  r.smin = std::max(r.smin, static_cast<int64_t>(r.var.value | (r.var.mask & (1ULL << 63))));
  r.smax = std::min(r.smax, static_cast<int64_t>(r.var.value | (r.var.mask & ~(1ULL << 63))));
  r.umin = std::max(r.umin, r.var.value);
  r.umax = std::min(r.umax, r.var.value | r.var.mask);
}

void update_reg_bounds(Scalar& r) {
  update_reg32_bounds(r);
  update_reg64_bounds(r);
}

void reg32_deduce_bounds(Scalar& r) {
  // Same sign on both ends: signed and unsigned bounds describe the same interval.
  if (r.s32min >= 0 || r.s32max < 0) {
    const uint32_t lo = std::max(static_cast<uint32_t>(r.s32min), r.u32min);
    const uint32_t hi = std::min(static_cast<uint32_t>(r.s32max), r.u32max);
    r.s32min = static_cast<int32_t>(lo);
    r.u32min = lo;
    r.s32max = static_cast<int32_t>(hi);
    r.u32max = hi;
    return;
  }
  if (static_cast<int32_t>(r.u32max) >= 0) {
    r.s32min = static_cast<int32_t>(r.u32min);
    const uint32_t hi = std::min(static_cast<uint32_t>(r.s32max), r.u32max);
    r.s32max = static_cast<int32_t>(hi);
    r.u32max = hi;
  } else if (static_cast<int32_t>(r.u32min) < 0) {
    const uint32_t lo = std::max(static_cast<uint32_t>(r.s32min), r.u32min);
    r.s32min = static_cast<int32_t>(lo);
    r.u32min = lo;
    r.s32max = static_cast<int32_t>(r.u32max);
  }
}

void reg64_deduce_bounds(Scalar& r) {
  if (r.smin >= 0 || r.smax < 0) {
    const uint64_t lo = std::max(static_cast<uint64_t>(r.smin), r.umin);
    const uint64_t hi = std::min(static_cast<uint64_t>(r.smax), r.umax);
    r.smin = static_cast<int64_t>(lo);
    r.umin = lo;
    r.smax = static_cast<int64_t>(hi);
    r.umax = hi;
    return;
  }
  if (static_cast<int64_t>(r.umax) >= 0) {
    r.smin = static_cast<int64_t>(r.umin);
    const uint64_t hi = std::min(static_cast<uint64_t>(r.smax), r.umax);
    r.smax = static_cast<int64_t>(hi);
    r.umax = hi;
  } else if (static_cast<int64_t>(r.umin) < 0) {
    const uint64_t lo = std::max(static_cast<uint64_t>(r.smin), r.umin);
    r.smin = static_cast<int64_t>(lo);
    r.umin = lo;
    r.smax = static_cast<int64_t>(r.umax);
  }
}

void reg_bound_offset(Scalar& r) {
  const Tnum v64 = tnum_intersect(r.var, Tnum::range(r.umin, r.umax));
  const Tnum v32 = tnum_intersect(tnum_subreg(r.var), Tnum::range(r.u32min, r.u32max));
  r.var = tnum_or(tnum_clear_subreg(v64), v32);
}

bool bound_s32(int64_t a) {
  return a >= kS32Min && a <= kS32Max;
}
bool bound_u32(uint64_t a) {
  return a <= kU32Max;
}
bool s32_fits_s64_positive(int32_t a) {
  return a >= 0;
}

void assign_32_into_64(Scalar& r) {
  r.umin = r.u32min;
  r.umax = r.u32max;
  if (s32_fits_s64_positive(r.s32min) && s32_fits_s64_positive(r.s32max)) {
    r.smin = r.s32min;
    r.smax = r.s32max;
  } else {
    r.smin = 0;
    r.smax = kU32Max;
  }
}

void combine_64_into_32(Scalar& r) {
  mark32_unbounded(r);
  if (bound_s32(r.smin) && bound_s32(r.smax)) {
    r.s32min = static_cast<int32_t>(r.smin);
    r.s32max = static_cast<int32_t>(r.smax);
  }
  if (bound_u32(r.umin) && bound_u32(r.umax)) {
    r.u32min = static_cast<uint32_t>(r.umin);
    r.u32max = static_cast<uint32_t>(r.umax);
  }
  reg_bounds_sync(r);
}

void combine_32_into_64(Scalar& r) {
  // Upper half known zero (after zext or <<32 >>32): the 32-bit bounds are the 64-bit ones.
  if (tnum_clear_subreg(r.var) == Tnum::constant(0)) {
    assign_32_into_64(r);
  } else {
    mark64_unbounded(r);
  }
  reg_bounds_sync(r);
}

void normalize(Scalar& r) {
  if (r.var.is_const()) r.consts = {r.var.value};
}

// ---- ALU, kernel 6.1 adjust_scalar_min_max_vals ------------------------------------------

void add32(Scalar& d, const Scalar& s) {
  if (signed_add32_overflows(d.s32min, s.s32min) || signed_add32_overflows(d.s32max, s.s32max)) {
    d.s32min = kS32Min;
    d.s32max = kS32Max;
  } else {
    d.s32min = wrap_add32(d.s32min, s.s32min);
    d.s32max = wrap_add32(d.s32max, s.s32max);
  }
  if (static_cast<uint32_t>(d.u32min + s.u32min) < s.u32min ||
      static_cast<uint32_t>(d.u32max + s.u32max) < s.u32max) {
    d.u32min = 0;
    d.u32max = kU32Max;
  } else {
    d.u32min += s.u32min;
    d.u32max += s.u32max;
  }
}

void add64(Scalar& d, const Scalar& s) {
  if (signed_add_overflows(d.smin, s.smin) || signed_add_overflows(d.smax, s.smax)) {
    d.smin = kS64Min;
    d.smax = kS64Max;
  } else {
    d.smin = wrap_add(d.smin, s.smin);
    d.smax = wrap_add(d.smax, s.smax);
  }
  if (d.umin + s.umin < s.umin || d.umax + s.umax < s.umax) {
    d.umin = 0;
    d.umax = kU64Max;
  } else {
    d.umin += s.umin;
    d.umax += s.umax;
  }
}

void sub32(Scalar& d, const Scalar& s) {
  if (signed_sub32_overflows(d.s32min, s.s32max) || signed_sub32_overflows(d.s32max, s.s32min)) {
    d.s32min = kS32Min;
    d.s32max = kS32Max;
  } else {
    d.s32min = wrap_sub32(d.s32min, s.s32max);
    d.s32max = wrap_sub32(d.s32max, s.s32min);
  }
  if (d.u32min < s.u32max) {
    d.u32min = 0;
    d.u32max = kU32Max;
  } else {
    d.u32min -= s.u32max;
    d.u32max -= s.u32min;
  }
}

void sub64(Scalar& d, const Scalar& s) {
  if (signed_sub_overflows(d.smin, s.smax) || signed_sub_overflows(d.smax, s.smin)) {
    d.smin = kS64Min;
    d.smax = kS64Max;
  } else {
    d.smin = wrap_sub(d.smin, s.smax);
    d.smax = wrap_sub(d.smax, s.smin);
  }
  if (d.umin < s.umax) {
    d.umin = 0;
    d.umax = kU64Max;
  } else {
    d.umin -= s.umax;
    d.umax -= s.umin;
  }
}

void mul32(Scalar& d, const Scalar& s) {
  if (s.s32min < 0 || d.s32min < 0) { // "Ain't nobody got time to multiply that sign"
    mark32_unbounded(d);
    return;
  }
  if (s.u32max > 0xffff || d.u32max > 0xffff) {
    mark32_unbounded(d);
    return;
  }
  d.u32min *= s.u32min;
  d.u32max *= s.u32max;
  if (d.u32max > static_cast<uint32_t>(kS32Max)) {
    d.s32min = kS32Min;
    d.s32max = kS32Max;
  } else {
    d.s32min = static_cast<int32_t>(d.u32min);
    d.s32max = static_cast<int32_t>(d.u32max);
  }
}

void mul64(Scalar& d, const Scalar& s) {
  if (s.smin < 0 || d.smin < 0) {
    mark64_unbounded(d);
    return;
  }
  if (s.umax > kU32Max || d.umax > kU32Max) {
    mark64_unbounded(d);
    return;
  }
  d.umin *= s.umin;
  d.umax *= s.umax;
  if (d.umax > static_cast<uint64_t>(kS64Max)) {
    d.smin = kS64Min;
    d.smax = kS64Max;
  } else {
    d.smin = static_cast<int64_t>(d.umin);
    d.smax = static_cast<int64_t>(d.umax);
  }
}

void and32(Scalar& d, const Scalar& s) {
  const Tnum v32 = tnum_subreg(d.var);
  if (tnum_subreg_is_const(s.var) && tnum_subreg_is_const(d.var)) {
    mark_known32(d, static_cast<uint32_t>(v32.value));
    return;
  }
  d.u32min = static_cast<uint32_t>(v32.value);
  d.u32max = std::min(d.u32max, s.u32max);
  if (d.s32min < 0 || s.s32min < 0) {
    d.s32min = kS32Min;
    d.s32max = kS32Max;
  } else {
    d.s32min = static_cast<int32_t>(d.u32min);
    d.s32max = static_cast<int32_t>(d.u32max);
  }
}

void and64(Scalar& d, const Scalar& s) {
  if (s.var.is_const() && d.var.is_const()) {
    mark_known(d, d.var.value);
    return;
  }
  d.umin = d.var.value;
  d.umax = std::min(d.umax, s.umax);
  if (d.smin < 0 || s.smin < 0) {
    d.smin = kS64Min;
    d.smax = kS64Max;
  } else {
    d.smin = static_cast<int64_t>(d.umin);
    d.smax = static_cast<int64_t>(d.umax);
  }
  update_reg_bounds(d);
}

void or32(Scalar& d, const Scalar& s) {
  const Tnum v32 = tnum_subreg(d.var);
  if (tnum_subreg_is_const(s.var) && tnum_subreg_is_const(d.var)) {
    mark_known32(d, static_cast<uint32_t>(v32.value));
    return;
  }
  d.u32min = std::max(d.u32min, s.u32min);
  d.u32max = static_cast<uint32_t>(v32.value | v32.mask);
  if (d.s32min < 0 || s.s32min < 0) {
    d.s32min = kS32Min;
    d.s32max = kS32Max;
  } else {
    d.s32min = static_cast<int32_t>(d.u32min);
    d.s32max = static_cast<int32_t>(d.u32max);
  }
}

void or64(Scalar& d, const Scalar& s) {
  if (s.var.is_const() && d.var.is_const()) {
    mark_known(d, d.var.value);
    return;
  }
  d.umin = std::max(d.umin, s.umin);
  d.umax = d.var.value | d.var.mask;
  if (d.smin < 0 || s.smin < 0) {
    d.smin = kS64Min;
    d.smax = kS64Max;
  } else {
    d.smin = static_cast<int64_t>(d.umin);
    d.smax = static_cast<int64_t>(d.umax);
  }
  update_reg_bounds(d);
}

void xor32(Scalar& d, const Scalar& s) {
  const Tnum v32 = tnum_subreg(d.var);
  if (tnum_subreg_is_const(s.var) && tnum_subreg_is_const(d.var)) {
    mark_known32(d, static_cast<uint32_t>(v32.value));
    return;
  }
  d.u32min = static_cast<uint32_t>(v32.value);
  d.u32max = static_cast<uint32_t>(v32.value | v32.mask);
  if (d.s32min >= 0 && s.s32min >= 0) {
    d.s32min = static_cast<int32_t>(d.u32min);
    d.s32max = static_cast<int32_t>(d.u32max);
  } else {
    d.s32min = kS32Min;
    d.s32max = kS32Max;
  }
}

void xor64(Scalar& d, const Scalar& s) {
  if (s.var.is_const() && d.var.is_const()) {
    mark_known(d, d.var.value);
    return;
  }
  d.umin = d.var.value;
  d.umax = d.var.value | d.var.mask;
  if (d.smin >= 0 && s.smin >= 0) {
    d.smin = static_cast<int64_t>(d.umin);
    d.smax = static_cast<int64_t>(d.umax);
  } else {
    d.smin = kS64Min;
    d.smax = kS64Max;
  }
  update_reg_bounds(d);
}

void lsh32_bounds(Scalar& d, uint64_t umin_val, uint64_t umax_val) {
  d.s32min = kS32Min;
  d.s32max = kS32Max;
  if (umax_val > 31 || d.u32max > (1ULL << (31 - umax_val))) {
    d.u32min = 0;
    d.u32max = kU32Max;
  } else {
    d.u32min <<= umin_val;
    d.u32max <<= umax_val;
  }
}

void lsh32(Scalar& d, const Scalar& s) {
  const Tnum subreg = tnum_subreg(d.var);
  lsh32_bounds(d, s.u32min, s.u32max);
  d.var = tnum_subreg(tnum_lshift(subreg, s.u32min));
  mark64_unbounded(d);
  update_reg32_bounds(d);
}

void lsh64_bounds(Scalar& d, uint64_t umin_val, uint64_t umax_val) {
  // <<32 of a non-negative 32-bit value is the common sign-extension idiom; keep it exact.
  if (umin_val == 32 && umax_val == 32 && d.s32max >= 0)
    d.smax = static_cast<int64_t>(static_cast<uint64_t>(d.s32max) << 32);
  else
    d.smax = kS64Max;
  if (umin_val == 32 && umax_val == 32 && d.s32min >= 0)
    d.smin = static_cast<int64_t>(static_cast<uint64_t>(d.s32min) << 32);
  else
    d.smin = kS64Min;
  if (d.umax > (1ULL << (63 - umax_val))) {
    d.umin = 0;
    d.umax = kU64Max;
  } else {
    d.umin <<= umin_val;
    d.umax <<= umax_val;
  }
}

void lsh64(Scalar& d, const Scalar& s) {
  lsh64_bounds(d, s.umin, s.umax);
  lsh32_bounds(d, s.umin, s.umax);
  d.var = tnum_lshift(d.var, static_cast<unsigned>(s.umin));
  update_reg_bounds(d);
}

void rsh32(Scalar& d, const Scalar& s) {
  const Tnum subreg = tnum_subreg(d.var);
  d.s32min = kS32Min;
  d.s32max = kS32Max;
  d.var = tnum_rshift(subreg, s.u32min);
  d.u32min >>= s.u32max;
  d.u32max >>= s.u32min;
  mark64_unbounded(d);
  update_reg32_bounds(d);
}

void rsh64(Scalar& d, const Scalar& s) {
  d.smin = kS64Min;
  d.smax = kS64Max;
  d.var = tnum_rshift(d.var, static_cast<unsigned>(s.umin));
  d.umin >>= s.umax;
  d.umax >>= s.umin;
  mark32_unbounded(d);
  update_reg_bounds(d);
}

void arsh32(Scalar& d, const Scalar& s) {
  const unsigned sh = s.u32min;
  d.s32min = d.s32min >> sh;
  d.s32max = d.s32max >> sh;
  d.var = tnum_arshift(tnum_subreg(d.var), sh, 32);
  d.u32min = 0;
  d.u32max = kU32Max;
  mark64_unbounded(d);
  update_reg32_bounds(d);
}

void arsh64(Scalar& d, const Scalar& s) {
  const auto sh = static_cast<unsigned>(s.umin);
  d.smin = d.smin >> sh;
  d.smax = d.smax >> sh;
  d.var = tnum_arshift(d.var, sh, 64);
  d.umin = 0;
  d.umax = kU64Max;
  mark32_unbounded(d);
  update_reg_bounds(d);
}

Scalar kernel_alu(uint8_t op, bool alu32, Scalar d, const Scalar& s) {
  bool src_known;
  if (alu32) {
    src_known = tnum_subreg_is_const(s.var);
    if ((src_known && (s.s32min != s.s32max || s.u32min != s.u32max)) || s.s32min > s.s32max ||
        s.u32min > s.u32max)
      return Scalar::unknown();
  } else {
    src_known = s.var.is_const();
    if ((src_known && (s.smin != s.smax || s.umin != s.umax)) || s.smin > s.smax || s.umin > s.umax)
      return Scalar::unknown();
  }
  // The kernel tracks only ADD/SUB/AND with a non-constant operand. The early return skips
  // the alu32 zero-extension: the whole 64-bit register becomes unknown.
  if (!src_known && op != kOpAdd && op != kOpSub && op != kOpAnd) return Scalar::unknown();
  const unsigned bitness = alu32 ? 32 : 64;
  d.consts.clear();
  switch (op) {
  case kOpAdd:
    add32(d, s);
    add64(d, s);
    d.var = tnum_add(d.var, s.var);
    break;
  case kOpSub:
    sub32(d, s);
    sub64(d, s);
    d.var = tnum_sub(d.var, s.var);
    break;
  case kOpMul:
    d.var = tnum_mul(d.var, s.var);
    mul32(d, s);
    mul64(d, s);
    break;
  case kOpAnd:
    d.var = tnum_and(d.var, s.var);
    and32(d, s);
    and64(d, s);
    break;
  case kOpOr:
    d.var = tnum_or(d.var, s.var);
    or32(d, s);
    or64(d, s);
    break;
  case kOpXor:
    d.var = tnum_xor(d.var, s.var);
    xor32(d, s);
    xor64(d, s);
    break;
  case kOpLsh:
  case kOpRsh:
  case kOpArsh:
    // Shifts by >= the width are undefined: unknown, without the alu32 zero-extension
    // (Linux 6.10+ returns early; 6.1 zero-extends, which is more precise).
    if (s.umax >= bitness) return Scalar::unknown();
    if (op == kOpLsh)
      alu32 ? lsh32(d, s) : lsh64(d, s);
    else if (op == kOpRsh)
      alu32 ? rsh32(d, s) : rsh64(d, s);
    else
      alu32 ? arsh32(d, s) : arsh64(d, s);
    break;
  default: // DIV, MOD: not tracked
    d = Scalar::unknown();
    break;
  }
  if (alu32) zext_32_to_64(d);
  reg_bounds_sync(d);
  return d;
}

std::string num(uint64_t v) {
  if (v <= 0xffffffffULL) return std::to_string(v);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

} // namespace

// ---- tnum --------------------------------------------------------------------------------

Tnum Tnum::range(uint64_t min, uint64_t max) {
  const uint64_t chi = min ^ max;
  const int bits = fls64(chi);
  if (bits > 63) return unknown();
  const uint64_t delta = (1ULL << bits) - 1;
  return {min & ~delta, delta};
}

Tnum tnum_add(Tnum a, Tnum b) {
  const uint64_t sm = a.mask + b.mask, sv = a.value + b.value;
  const uint64_t sigma = sm + sv, chi = sigma ^ sv;
  const uint64_t mu = chi | a.mask | b.mask;
  return {sv & ~mu, mu};
}

Tnum tnum_sub(Tnum a, Tnum b) {
  const uint64_t dv = a.value - b.value;
  const uint64_t alpha = dv + a.mask, beta = dv - b.mask;
  const uint64_t chi = alpha ^ beta;
  const uint64_t mu = chi | a.mask | b.mask;
  return {dv & ~mu, mu};
}

Tnum tnum_and(Tnum a, Tnum b) {
  const uint64_t alpha = a.value | a.mask, beta = b.value | b.mask, v = a.value & b.value;
  return {v, alpha & beta & ~v};
}

Tnum tnum_or(Tnum a, Tnum b) {
  const uint64_t v = a.value | b.value, mu = a.mask | b.mask;
  return {v, mu & ~v};
}

Tnum tnum_xor(Tnum a, Tnum b) {
  const uint64_t v = a.value ^ b.value, mu = a.mask | b.mask;
  return {v & ~mu, mu};
}

Tnum tnum_mul(Tnum a, Tnum b) {
  const uint64_t acc_v = a.value * b.value;
  Tnum acc_m{0, 0};
  while (a.value || a.mask) {
    if (a.value & 1)
      acc_m = tnum_add(acc_m, Tnum{0, b.mask});
    else if (a.mask & 1)
      acc_m = tnum_add(acc_m, Tnum{0, b.value | b.mask});
    a = tnum_rshift(a, 1);
    b = tnum_lshift(b, 1);
  }
  return tnum_add(Tnum::constant(acc_v), acc_m);
}

Tnum tnum_lshift(Tnum a, unsigned shift) {
  if (shift >= 64) return Tnum::constant(0);
  return {a.value << shift, a.mask << shift};
}

Tnum tnum_rshift(Tnum a, unsigned shift) {
  if (shift >= 64) return Tnum::constant(0);
  return {a.value >> shift, a.mask >> shift};
}

Tnum tnum_arshift(Tnum a, unsigned shift, unsigned bitness) {
  if (bitness == 32) {
    shift &= 31;
    return {static_cast<uint32_t>(static_cast<int32_t>(a.value) >> shift),
            static_cast<uint32_t>(static_cast<int32_t>(a.mask) >> shift)};
  }
  shift &= 63;
  return {static_cast<uint64_t>(static_cast<int64_t>(a.value) >> shift),
          static_cast<uint64_t>(static_cast<int64_t>(a.mask) >> shift)};
}

Tnum tnum_intersect(Tnum a, Tnum b) {
  const uint64_t v = a.value | b.value, mu = a.mask & b.mask;
  return {v & ~mu, mu};
}

Tnum tnum_union(Tnum a, Tnum b) {
  const uint64_t mu = a.mask | b.mask | (a.value ^ b.value);
  return {a.value & ~mu, mu};
}

Tnum tnum_cast(Tnum a, unsigned bytes) {
  if (bytes >= 8) return a;
  const uint64_t m = (1ULL << (bytes * 8)) - 1;
  return {a.value & m, a.mask & m};
}

Tnum tnum_subreg(Tnum a) {
  return tnum_cast(a, 4);
}

Tnum tnum_clear_subreg(Tnum a) {
  return tnum_lshift(tnum_rshift(a, 32), 32);
}

bool tnum_subreg_is_const(Tnum a) {
  return tnum_subreg(a).mask == 0;
}

std::string tnum_str(Tnum a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "(%#llx; %#llx)", static_cast<unsigned long long>(a.value),
                static_cast<unsigned long long>(a.mask));
  return buf;
}

// ---- Scalar ------------------------------------------------------------------------------

Scalar Scalar::known(uint64_t v) {
  Scalar s;
  mark_known(s, v);
  s.consts = {v};
  return s;
}

Scalar Scalar::sized(unsigned bytes) {
  Scalar s;
  coerce_to_size(s, bytes);
  return s;
}

std::vector<uint64_t> Scalar::path_values() const {
  if (is_const()) return {var.value};
  return consts;
}

std::string Scalar::describe() const {
  if (is_const()) {
    const auto sv = static_cast<int64_t>(var.value);
    return "the constant " + (sv < 0 && sv > -65536 ? std::to_string(sv) : num(var.value));
  }
  if (!consts.empty()) {
    std::string out = "one of {";
    for (size_t i = 0; i < consts.size(); ++i) out += (i ? ", " : "") + num(consts[i]);
    return out + "}";
  }
  return "in [" + num(umin) + ", " + num(umax) + "]";
}

std::string Scalar::describe_signed() const {
  if (is_const()) return std::to_string(static_cast<int64_t>(var.value));
  if (!consts.empty()) {
    std::string out = "one of {";
    for (size_t i = 0; i < consts.size(); ++i)
      out += (i ? ", " : "") + std::to_string(static_cast<int64_t>(consts[i]));
    return out + "}";
  }
  return "in [" + std::to_string(smin) + ", " + std::to_string(smax) + "]";
}

Scalar scalar_join(const Scalar& a, const Scalar& b) {
  Scalar r;
  r.var = tnum_union(a.var, b.var);
  r.umin = std::min(a.umin, b.umin);
  r.umax = std::max(a.umax, b.umax);
  r.smin = std::min(a.smin, b.smin);
  r.smax = std::max(a.smax, b.smax);
  r.u32min = std::min(a.u32min, b.u32min);
  r.u32max = std::max(a.u32max, b.u32max);
  r.s32min = std::min(a.s32min, b.s32min);
  r.s32max = std::max(a.s32max, b.s32max);
  const auto av = a.path_values(), bv = b.path_values();
  if (!av.empty() && !bv.empty()) {
    std::vector<uint64_t> u;
    std::set_union(av.begin(), av.end(), bv.begin(), bv.end(), std::back_inserter(u));
    if (u.size() <= Scalar::kMaxConsts) r.consts = std::move(u);
  }
  normalize(r);
  return r;
}

void reg_bounds_sync(Scalar& s) {
  update_reg_bounds(s);
  reg32_deduce_bounds(s);
  reg64_deduce_bounds(s);
  reg_bound_offset(s);
  update_reg_bounds(s);
}

void zext_32_to_64(Scalar& s) {
  s.var = tnum_subreg(s.var);
  assign_32_into_64(s);
}

void coerce_to_size(Scalar& s, unsigned bytes) {
  if (bytes >= 8) return;
  s.var = tnum_cast(s.var, bytes);
  const uint64_t mask = (1ULL << (bytes * 8)) - 1;
  if ((s.umin & ~mask) == (s.umax & ~mask)) {
    s.umin &= mask;
    s.umax &= mask;
  } else {
    s.umin = 0;
    s.umax = mask;
  }
  s.smin = static_cast<int64_t>(s.umin);
  s.smax = static_cast<int64_t>(s.umax);
  if (!s.consts.empty()) {
    std::vector<uint64_t> v;
    for (auto c : s.consts) v.push_back(c & mask);
    set_from_consts(s, v);
    return;
  }
  if (bytes < 4) combine_64_into_32(s);
  normalize(s);
}

void set_from_consts(Scalar& s, std::vector<uint64_t> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  if (values.empty() || values.size() > Scalar::kMaxConsts) {
    s.consts.clear();
    normalize(s);
    return;
  }
  Scalar r = Scalar();
  mark_known(r, values.front());
  for (size_t i = 1; i < values.size(); ++i) {
    Scalar k;
    mark_known(k, values[i]);
    r.consts.clear();
    k.consts.clear();
    r = scalar_join(r, k);
  }
  r.consts = std::move(values);
  normalize(r);
  s = std::move(r);
}

std::optional<uint64_t> eval_alu(uint8_t op, bool alu32, uint64_t d, uint64_t s) {
  if (alu32) {
    d = static_cast<uint32_t>(d);
    s = static_cast<uint32_t>(s);
  }
  const unsigned bits = alu32 ? 32 : 64;
  uint64_t r;
  switch (op) {
  case kOpAdd:
    r = d + s;
    break;
  case kOpSub:
    r = d - s;
    break;
  case kOpMul:
    r = d * s;
    break;
  case kOpOr:
    r = d | s;
    break;
  case kOpAnd:
    r = d & s;
    break;
  case kOpXor:
    r = d ^ s;
    break;
  case kOpMov:
    r = s;
    break;
  case kOpLsh:
    if (s >= bits) return std::nullopt;
    r = d << s;
    break;
  case kOpRsh:
    if (s >= bits) return std::nullopt;
    r = d >> s;
    break;
  case kOpArsh:
    if (s >= bits) return std::nullopt;
    r = alu32 ? static_cast<uint32_t>(static_cast<int32_t>(d) >> s)
              : static_cast<uint64_t>(static_cast<int64_t>(d) >> s);
    break;
  default:
    return std::nullopt;
  }
  return alu32 ? static_cast<uint32_t>(r) : r;
}

bool eval_cond(uint8_t op, bool jmp32, uint64_t d, uint64_t s) {
  if (jmp32) {
    d = static_cast<uint32_t>(d);
    s = static_cast<uint32_t>(s);
  }
  const int64_t sd = jmp32 ? static_cast<int32_t>(d) : static_cast<int64_t>(d);
  const int64_t ss = jmp32 ? static_cast<int32_t>(s) : static_cast<int64_t>(s);
  switch (op) {
  case kJeq:
    return d == s;
  case kJne:
    return d != s;
  case kJgt:
    return d > s;
  case kJge:
    return d >= s;
  case kJlt:
    return d < s;
  case kJle:
    return d <= s;
  case kJset:
    return (d & s) != 0;
  case kJsgt:
    return sd > ss;
  case kJsge:
    return sd >= ss;
  case kJslt:
    return sd < ss;
  case kJsle:
    return sd <= ss;
  default:
    return true;
  }
}

Scalar scalar_alu(uint8_t op, bool alu32, const Scalar& dst, const Scalar& src) {
  if (op == kOpMov) {
    Scalar r = src;
    if (alu32) {
      std::vector<uint64_t> v;
      for (auto c : src.path_values()) v.push_back(static_cast<uint32_t>(c));
      zext_32_to_64(r);
      reg_bounds_sync(r);
      r.consts.clear();
      if (!v.empty()) set_from_consts(r, v);
    }
    normalize(r);
    return r;
  }
  // Per-path constants: the kernel sees them one path at a time, so compute per constant.
  const auto sv = src.path_values();
  Scalar r;
  if (!sv.empty() && sv.size() > 1) {
    bool first = true;
    for (auto c : sv) {
      Scalar one = kernel_alu(op, alu32, dst, Scalar::known(c));
      one.consts.clear();
      r = first ? one : scalar_join(r, one);
      first = false;
    }
  } else {
    r = kernel_alu(op, alu32, dst, src);
  }
  r.consts.clear();
  const auto dv = dst.path_values();
  if (!dv.empty() && !sv.empty() && dv.size() * sv.size() <= 64) {
    std::vector<uint64_t> out;
    bool exact = true;
    for (auto d : dv)
      for (auto s : sv) {
        const auto v = eval_alu(op, alu32, d, s);
        if (!v) {
          exact = false;
          break;
        }
        out.push_back(*v);
      }
    if (exact) set_from_consts(r, out);
  }
  normalize(r);
  return r;
}

int branch_taken(const Scalar& reg, uint64_t val, uint8_t op, bool jmp32) {
  if (jmp32) {
    const Tnum sub = tnum_subreg(reg.var);
    const auto v = static_cast<uint32_t>(val);
    const auto sv = static_cast<int32_t>(v);
    switch (op) {
    case kJeq:
      if (sub.is_const()) return sub.value == v;
      if (v < reg.u32min || v > reg.u32max) return 0;
      if (sv < reg.s32min || sv > reg.s32max) return 0;
      break;
    case kJne:
      if (sub.is_const()) return sub.value != v;
      if (v < reg.u32min || v > reg.u32max) return 1;
      if (sv < reg.s32min || sv > reg.s32max) return 1;
      break;
    case kJset:
      if ((~sub.mask & sub.value) & v) return 1;
      if (!((sub.mask | sub.value) & v)) return 0;
      break;
    case kJgt:
      if (reg.u32min > v) return 1;
      if (reg.u32max <= v) return 0;
      break;
    case kJsgt:
      if (reg.s32min > sv) return 1;
      if (reg.s32max <= sv) return 0;
      break;
    case kJlt:
      if (reg.u32max < v) return 1;
      if (reg.u32min >= v) return 0;
      break;
    case kJslt:
      if (reg.s32max < sv) return 1;
      if (reg.s32min >= sv) return 0;
      break;
    case kJge:
      if (reg.u32min >= v) return 1;
      if (reg.u32max < v) return 0;
      break;
    case kJsge:
      if (reg.s32min >= sv) return 1;
      if (reg.s32max < sv) return 0;
      break;
    case kJle:
      if (reg.u32max <= v) return 1;
      if (reg.u32min > v) return 0;
      break;
    case kJsle:
      if (reg.s32max <= sv) return 1;
      if (reg.s32min > sv) return 0;
      break;
    default:
      break;
    }
    return -1;
  }
  const auto sval = static_cast<int64_t>(val);
  switch (op) {
  case kJeq:
    if (reg.var.is_const()) return reg.var.value == val;
    if (val < reg.umin || val > reg.umax) return 0;
    if (sval < reg.smin || sval > reg.smax) return 0;
    break;
  case kJne:
    if (reg.var.is_const()) return reg.var.value != val;
    if (val < reg.umin || val > reg.umax) return 1;
    if (sval < reg.smin || sval > reg.smax) return 1;
    break;
  case kJset:
    if ((~reg.var.mask & reg.var.value) & val) return 1;
    if (!((reg.var.mask | reg.var.value) & val)) return 0;
    break;
  case kJgt:
    if (reg.umin > val) return 1;
    if (reg.umax <= val) return 0;
    break;
  case kJsgt:
    if (reg.smin > sval) return 1;
    if (reg.smax <= sval) return 0;
    break;
  case kJlt:
    if (reg.umax < val) return 1;
    if (reg.umin >= val) return 0;
    break;
  case kJslt:
    if (reg.smax < sval) return 1;
    if (reg.smin >= sval) return 0;
    break;
  case kJge:
    if (reg.umin >= val) return 1;
    if (reg.umax < val) return 0;
    break;
  case kJsge:
    if (reg.smin >= sval) return 1;
    if (reg.smax < sval) return 0;
    break;
  case kJle:
    if (reg.umax <= val) return 1;
    if (reg.umin > val) return 0;
    break;
  case kJsle:
    if (reg.smax <= sval) return 1;
    if (reg.smin > sval) return 0;
    break;
  default:
    break;
  }
  return -1;
}

void set_min_max(Scalar& t, Scalar& f, uint64_t val, uint32_t val32, uint8_t op, bool jmp32) {
  Tnum f32 = tnum_subreg(f.var), f64 = f.var, t32 = tnum_subreg(t.var), t64 = t.var;
  const auto sval = static_cast<int64_t>(val);
  const auto sval32 = static_cast<int32_t>(val32);
  t.consts.clear();
  f.consts.clear();
  switch (op) {
  case kJeq:
    if (jmp32) {
      mark_known32(t, val32);
      t32 = tnum_subreg(t.var);
    } else {
      mark_known(t, val);
      t64 = t.var;
    }
    break;
  case kJne:
    if (jmp32) {
      mark_known32(f, val32);
      f32 = tnum_subreg(f.var);
    } else {
      mark_known(f, val);
      f64 = f.var;
    }
    break;
  case kJset:
    if (jmp32) {
      f32 = tnum_and(f32, Tnum::constant(~val32 & 0xffffffffULL));
      if (val32 && !(val32 & (val32 - 1))) t32 = tnum_or(t32, Tnum::constant(val32));
    } else {
      f64 = tnum_and(f64, Tnum::constant(~val));
      if (val && !(val & (val - 1))) t64 = tnum_or(t64, Tnum::constant(val));
    }
    break;
  case kJge:
  case kJgt:
    if (jmp32) {
      const uint32_t false_umax = op == kJgt ? val32 : val32 - 1;
      const uint32_t true_umin = op == kJgt ? val32 + 1 : val32;
      f.u32max = std::min(f.u32max, false_umax);
      t.u32min = std::max(t.u32min, true_umin);
    } else {
      const uint64_t false_umax = op == kJgt ? val : val - 1;
      const uint64_t true_umin = op == kJgt ? val + 1 : val;
      f.umax = std::min(f.umax, false_umax);
      t.umin = std::max(t.umin, true_umin);
    }
    break;
  case kJsge:
  case kJsgt:
    if (jmp32) {
      const int32_t false_smax = op == kJsgt ? sval32 : wrap_sub32(sval32, 1);
      const int32_t true_smin = op == kJsgt ? wrap_add32(sval32, 1) : sval32;
      f.s32max = std::min(f.s32max, false_smax);
      t.s32min = std::max(t.s32min, true_smin);
    } else {
      const int64_t false_smax = op == kJsgt ? sval : wrap_sub(sval, 1);
      const int64_t true_smin = op == kJsgt ? wrap_add(sval, 1) : sval;
      f.smax = std::min(f.smax, false_smax);
      t.smin = std::max(t.smin, true_smin);
    }
    break;
  case kJle:
  case kJlt:
    if (jmp32) {
      const uint32_t false_umin = op == kJlt ? val32 : val32 + 1;
      const uint32_t true_umax = op == kJlt ? val32 - 1 : val32;
      f.u32min = std::max(f.u32min, false_umin);
      t.u32max = std::min(t.u32max, true_umax);
    } else {
      const uint64_t false_umin = op == kJlt ? val : val + 1;
      const uint64_t true_umax = op == kJlt ? val - 1 : val;
      f.umin = std::max(f.umin, false_umin);
      t.umax = std::min(t.umax, true_umax);
    }
    break;
  case kJsle:
  case kJslt:
    if (jmp32) {
      const int32_t false_smin = op == kJslt ? sval32 : wrap_add32(sval32, 1);
      const int32_t true_smax = op == kJslt ? wrap_sub32(sval32, 1) : sval32;
      f.s32min = std::max(f.s32min, false_smin);
      t.s32max = std::min(t.s32max, true_smax);
    } else {
      const int64_t false_smin = op == kJslt ? sval : wrap_add(sval, 1);
      const int64_t true_smax = op == kJslt ? wrap_sub(sval, 1) : sval;
      f.smin = std::max(f.smin, false_smin);
      t.smax = std::min(t.smax, true_smax);
    }
    break;
  default:
    return;
  }
  if (jmp32) {
    f.var = tnum_or(tnum_clear_subreg(f64), tnum_subreg(f32));
    t.var = tnum_or(tnum_clear_subreg(t64), tnum_subreg(t32));
    combine_32_into_64(f);
    combine_32_into_64(t);
  } else {
    f.var = f64;
    t.var = t64;
    combine_64_into_32(f);
    combine_64_into_32(t);
  }
  normalize(f);
  normalize(t);
}

void set_min_max_inv(Scalar& t, Scalar& f, uint64_t val, uint32_t val32, uint8_t op, bool jmp32) {
  uint8_t flipped = 0;
  switch (op) {
  case kJeq:
  case kJne:
  case kJset:
    flipped = op;
    break;
  case kJgt:
    flipped = kJlt;
    break;
  case kJge:
    flipped = kJle;
    break;
  case kJlt:
    flipped = kJgt;
    break;
  case kJle:
    flipped = kJge;
    break;
  case kJsgt:
    flipped = kJslt;
    break;
  case kJsge:
    flipped = kJsle;
    break;
  case kJslt:
    flipped = kJsgt;
    break;
  case kJsle:
    flipped = kJsge;
    break;
  default:
    return;
  }
  set_min_max(t, f, val, val32, flipped, jmp32);
}

namespace {
void combine_pair(Scalar& a, Scalar& b) {
  a.umin = b.umin = std::max(a.umin, b.umin);
  a.umax = b.umax = std::min(a.umax, b.umax);
  a.smin = b.smin = std::max(a.smin, b.smin);
  a.smax = b.smax = std::min(a.smax, b.smax);
  a.var = b.var = tnum_intersect(a.var, b.var);
  a.consts.clear();
  b.consts.clear();
  reg_bounds_sync(a);
  reg_bounds_sync(b);
  normalize(a);
  normalize(b);
}
} // namespace

void combine_min_max(Scalar& true_src, Scalar& true_dst, Scalar& false_src, Scalar& false_dst,
                     uint8_t op) {
  if (op == kJeq) combine_pair(true_src, true_dst);
  if (op == kJne) combine_pair(false_src, false_dst);
}

bool filter_consts(Scalar& s, uint8_t op, bool jmp32, const std::vector<uint64_t>& others,
                   bool outcome, bool constant_on_left) {
  const auto mine = s.path_values();
  if (mine.empty() || others.empty()) return true;
  std::vector<uint64_t> keep;
  for (auto c : mine)
    for (auto o : others)
      if ((constant_on_left ? eval_cond(op, jmp32, o, c) : eval_cond(op, jmp32, c, o)) == outcome) {
        keep.push_back(c);
        break;
      }
  if (keep.empty()) return false;
  set_from_consts(s, keep);
  return true;
}

} // namespace xdpml::nfp
