// An instruction builder whose calls read like the assembly:
//   auto out = b.new_label();
//   b.jgt(r1, r2, out);        // if r1 > r2 goto out
//   b.mov(w0, 2);              // w0 = 2
//   b.bind(out);
//   b.exit();
// The register's spelling picks the width (w: alu32/jmp32, r: alu64/jmp). Labels are symbolic
// until finish(), which resolves them and range-checks every jump. Each instruction carries an
// origin tag (e.g. the model node it came from) for annotated listings and verifier errors.
#pragma once

#include "bpf/isa.hpp"
#include "support/result.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace xdpml::bpf {

struct Reg {
  uint8_t n;
  bool is32;
  constexpr Reg wide() const { return {n, false}; }
  constexpr Reg narrow() const { return {n, true}; }
};

inline constexpr Reg r0{0, false}, r1{1, false}, r2{2, false}, r3{3, false}, r4{4, false},
    r5{5, false}, r6{6, false}, r7{7, false}, r8{8, false}, r9{9, false}, r10{10, false};
inline constexpr Reg w0{0, true}, w1{1, true}, w2{2, true}, w3{3, true}, w4{4, true}, w5{5, true},
    w6{6, true}, w7{7, true}, w8{8, true}, w9{9, true};

struct Label {
  int id = -1;
};

enum class AluOp : uint8_t { Add, Sub, Mul, Div, Or, And, Lsh, Rsh, Mod, Xor, Mov, Arsh };
enum class MemSize : uint8_t { B = 1, H = 2, W = 4, DW = 8 };

class Builder {
public:
  Label new_label();
  void bind(Label label);

  // Every instruction emitted from now on carries this origin (-1: none).
  void set_origin(int origin) { origin_ = origin; }

  void alu(AluOp op, Reg dst, Reg src);
  void alu(AluOp op, Reg dst, int32_t imm);
  void mov(Reg dst, Reg src) { alu(AluOp::Mov, dst, src); }
  void mov(Reg dst, int32_t imm) { alu(AluOp::Mov, dst, imm); }
  void add(Reg dst, Reg src) { alu(AluOp::Add, dst, src); }
  void add(Reg dst, int32_t imm) { alu(AluOp::Add, dst, imm); }
  void sub(Reg dst, Reg src) { alu(AluOp::Sub, dst, src); }
  void sub(Reg dst, int32_t imm) { alu(AluOp::Sub, dst, imm); }
  void mul(Reg dst, Reg src) { alu(AluOp::Mul, dst, src); }
  void mul(Reg dst, int32_t imm) { alu(AluOp::Mul, dst, imm); }
  void div(Reg dst, Reg src) { alu(AluOp::Div, dst, src); }
  void div(Reg dst, int32_t imm) { alu(AluOp::Div, dst, imm); }
  void and_(Reg dst, Reg src) { alu(AluOp::And, dst, src); }
  void and_(Reg dst, int32_t imm) { alu(AluOp::And, dst, imm); }
  void or_(Reg dst, Reg src) { alu(AluOp::Or, dst, src); }
  void or_(Reg dst, int32_t imm) { alu(AluOp::Or, dst, imm); }
  void xor_(Reg dst, Reg src) { alu(AluOp::Xor, dst, src); }
  void xor_(Reg dst, int32_t imm) { alu(AluOp::Xor, dst, imm); }
  void lsh(Reg dst, int32_t imm) { alu(AluOp::Lsh, dst, imm); }
  void rsh(Reg dst, int32_t imm) { alu(AluOp::Rsh, dst, imm); }
  void arsh(Reg dst, int32_t imm) { alu(AluOp::Arsh, dst, imm); }
  void neg(Reg dst);
  void bswap(Reg dst, int bits, bool to_big_endian = true);
  void ld_imm64(Reg dst, int64_t value);

  void load(MemSize size, Reg dst, Reg base, int16_t off);  // dst = *(size *)(base + off)
  void store(MemSize size, Reg base, int16_t off, Reg src); // *(size *)(base + off) = src
  void store_imm(MemSize size, Reg base, int16_t off, int32_t imm);

  void jmp(Cond cond, Reg a, Reg b, Label target);
  void jmp(Cond cond, Reg a, int32_t imm, Label target);
  void jeq(Reg a, Reg b, Label t) { jmp(Cond::Eq, a, b, t); }
  void jeq(Reg a, int32_t imm, Label t) { jmp(Cond::Eq, a, imm, t); }
  void jne(Reg a, Reg b, Label t) { jmp(Cond::Ne, a, b, t); }
  void jne(Reg a, int32_t imm, Label t) { jmp(Cond::Ne, a, imm, t); }
  void jgt(Reg a, Reg b, Label t) { jmp(Cond::Gt, a, b, t); }
  void jgt(Reg a, int32_t imm, Label t) { jmp(Cond::Gt, a, imm, t); }
  void jge(Reg a, Reg b, Label t) { jmp(Cond::Ge, a, b, t); }
  void jge(Reg a, int32_t imm, Label t) { jmp(Cond::Ge, a, imm, t); }
  void jlt(Reg a, Reg b, Label t) { jmp(Cond::Lt, a, b, t); }
  void jlt(Reg a, int32_t imm, Label t) { jmp(Cond::Lt, a, imm, t); }
  void jle(Reg a, Reg b, Label t) { jmp(Cond::Le, a, b, t); }
  void jle(Reg a, int32_t imm, Label t) { jmp(Cond::Le, a, imm, t); }
  void jsgt(Reg a, Reg b, Label t) { jmp(Cond::Sgt, a, b, t); }
  void jsgt(Reg a, int32_t imm, Label t) { jmp(Cond::Sgt, a, imm, t); }
  void jsge(Reg a, int32_t imm, Label t) { jmp(Cond::Sge, a, imm, t); }
  void jslt(Reg a, int32_t imm, Label t) { jmp(Cond::Slt, a, imm, t); }
  void jsle(Reg a, int32_t imm, Label t) { jmp(Cond::Sle, a, imm, t); }
  void ja(Label target);
  void call(int32_t helper);
  void exit();

  size_t size() const { return insns_.size(); }

  struct Output {
    std::vector<Insn> insns;
    std::vector<int> origins; // parallel to insns
  };
  // Resolves labels; fails (never asserts) on unbound labels, out-of-range jumps or
  // instructions the validator refuses.
  Result<Output> finish() const;

private:
  struct Pending {
    Insn insn;
    int label = -1; // jump target label id
    int origin = -1;
  };
  void emit(const char* name, Reg dst, Reg src, int16_t off, int64_t imm, int label = -1);
  std::vector<Pending> insns_;
  std::vector<int> label_pos_; // label id -> index of the instruction that follows it
  int origin_ = -1;
  std::vector<std::string> errors_;
};

} // namespace xdpml::bpf
