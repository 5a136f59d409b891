// The value domain of the NFP checker's abstract interpreter: the kernel verifier's scalar
// tracking (tnum + unsigned/signed 64- and 32-bit bounds), ported from kernel/bpf/tnum.c and
// the scalar parts of kernel/bpf/verifier.c as of Linux 6.1.
//
// Why copy the kernel instead of a sharper analysis: the NFP hook (nfp_bpf_check_alu and
// friends) decides with the bounds *the kernel verifier* computed. A checker that proves more
// than the kernel would accept programs the driver rejects, so wherever the kernel loses
// precision we lose it too (e.g. any MUL/OR/XOR/shift with a non-constant operand gives an
// unknown 64-bit value, even for alu32; NEG, END, DIV and MOD give unknown values). Linux 6.1
// is the oldest kernel we model; later kernels only track more, so this is the conservative
// choice.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace xdpml::nfp {

// Tristate number: bits set in `mask` are unknown, the others equal `value`.
struct Tnum {
  uint64_t value = 0;
  uint64_t mask = ~0ULL;

  static Tnum constant(uint64_t v) { return {v, 0}; }
  static Tnum unknown() { return {0, ~0ULL}; }
  static Tnum range(uint64_t min, uint64_t max);
  bool is_const() const { return mask == 0; }
  bool operator==(const Tnum&) const = default;
};

Tnum tnum_add(Tnum a, Tnum b);
Tnum tnum_sub(Tnum a, Tnum b);
Tnum tnum_and(Tnum a, Tnum b);
Tnum tnum_or(Tnum a, Tnum b);
Tnum tnum_xor(Tnum a, Tnum b);
Tnum tnum_mul(Tnum a, Tnum b);
Tnum tnum_lshift(Tnum a, unsigned shift);
Tnum tnum_rshift(Tnum a, unsigned shift);
Tnum tnum_arshift(Tnum a, unsigned shift, unsigned bitness);
Tnum tnum_intersect(Tnum a, Tnum b);
Tnum tnum_union(Tnum a, Tnum b); // least tnum containing both (join)
Tnum tnum_cast(Tnum a, unsigned bytes);
Tnum tnum_subreg(Tnum a);
Tnum tnum_clear_subreg(Tnum a);
bool tnum_subreg_is_const(Tnum a);
std::string tnum_str(Tnum a); // the kernel's "(0x0; 0xffff)" spelling

// BPF_OP values of the ALU and JMP classes.
enum AluOpcode : uint8_t {
  kOpAdd = 0x00,
  kOpSub = 0x10,
  kOpMul = 0x20,
  kOpDiv = 0x30,
  kOpOr = 0x40,
  kOpAnd = 0x50,
  kOpLsh = 0x60,
  kOpRsh = 0x70,
  kOpNeg = 0x80,
  kOpMod = 0x90,
  kOpXor = 0xa0,
  kOpMov = 0xb0,
  kOpArsh = 0xc0,
  kOpEnd = 0xd0,
};
enum JmpOpcode : uint8_t {
  kJa = 0x00,
  kJeq = 0x10,
  kJgt = 0x20,
  kJge = 0x30,
  kJset = 0x40,
  kJne = 0x50,
  kJsgt = 0x60,
  kJsge = 0x70,
  kCall = 0x80,
  kExit = 0x90,
  kJlt = 0xa0,
  kJle = 0xb0,
  kJslt = 0xc0,
  kJsle = 0xd0,
};

// A scalar register as the kernel tracks it, plus `consts`: when non-empty, every path that
// reaches this point carries one of these exact values. The kernel explores paths one by one
// and sees a constant on each; our analysis joins paths, so this set keeps what the kernel
// would know per path (exit codes, stack offsets, divisors). When it is non-empty, the numeric
// fields are exactly the hull of the set, which is what the NFP hook's per-instruction union
// of the kernel's per-path bounds gives.
struct Scalar {
  Tnum var;
  uint64_t umin = 0, umax = UINT64_MAX;
  int64_t smin = INT64_MIN, smax = INT64_MAX;
  uint32_t u32min = 0, u32max = UINT32_MAX;
  int32_t s32min = INT32_MIN, s32max = INT32_MAX;
  std::vector<uint64_t> consts; // sorted, unique, at most kMaxConsts

  static constexpr size_t kMaxConsts = 8;

  static Scalar unknown() { return {}; }
  static Scalar known(uint64_t v);
  // Zero-extended unknown value of a narrow load (`bytes` < 8), or unknown for 8.
  static Scalar sized(unsigned bytes);

  bool is_const() const { return var.is_const(); }
  // Constant on every path (what the kernel's tnum_is_const sees at each visit).
  bool per_path_const() const { return is_const() || !consts.empty(); }
  // The values the set / constant allow, if known per path.
  std::vector<uint64_t> path_values() const;
  bool bounds_valid() const {
    return umin <= umax && smin <= smax && u32min <= u32max && s32min <= s32max;
  }
  std::string describe() const;        // "in [umin, umax]" / "the constant 5" for messages
  std::string describe_signed() const; // the same with signed bounds (pointer offsets)
  bool operator==(const Scalar&) const = default;
};

Scalar scalar_join(const Scalar& a, const Scalar& b);

// The kernel's reg_bounds_sync and zero-extension.
void reg_bounds_sync(Scalar& s);
void zext_32_to_64(Scalar& s);
void coerce_to_size(Scalar& s, unsigned bytes);

// dst = dst op src for a scalar ALU instruction (adjust_scalar_min_max_vals, check_alu_op for
// MOV/NEG/END). For K forms pass Scalar::known(sign-extended imm) as src.
Scalar scalar_alu(uint8_t op, bool alu32, const Scalar& dst, const Scalar& src);

// Exact evaluation of one ALU op on concrete values (BPF semantics); nullopt for ops whose
// result the kernel does not track as a constant (DIV, MOD, NEG, END).
std::optional<uint64_t> eval_alu(uint8_t op, bool alu32, uint64_t dst, uint64_t src);
// Exact evaluation of a jump condition.
bool eval_cond(uint8_t op, bool jmp32, uint64_t dst, uint64_t src);

// is_branch_taken: 1 always, 0 never, -1 unknown, for `dst op val`.
int branch_taken(const Scalar& dst, uint64_t val, uint8_t op, bool jmp32);

// reg_set_min_max: refines `true_reg` / `false_reg` (copies of the compared register) with
// `reg op val`. reg_set_min_max_inv is the same with the constant on the left.
void set_min_max(Scalar& true_reg, Scalar& false_reg, uint64_t val, uint32_t val32, uint8_t op,
                 bool jmp32);
void set_min_max_inv(Scalar& true_reg, Scalar& false_reg, uint64_t val, uint32_t val32, uint8_t op,
                     bool jmp32);
// reg_combine_min_max for JEQ/JNE of two unknown scalars (64-bit only).
void combine_min_max(Scalar& true_src, Scalar& true_dst, Scalar& false_src, Scalar& false_dst,
                     uint8_t op);

// Keeps the per-path constants for which `c op other` has the given outcome; returns false
// when none is left (the edge is infeasible on every path). No-op when `s` has no set.
bool filter_consts(Scalar& s, uint8_t op, bool jmp32, const std::vector<uint64_t>& others,
                   bool outcome, bool constant_on_left);

// Replaces the numeric fields with the hull of `consts` (see Scalar).
void set_from_consts(Scalar& s, std::vector<uint64_t> values);

} // namespace xdpml::nfp
