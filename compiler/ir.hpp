// The compiler's IR: a straight-line SSA program over mathematical integers with side exits.
//
// Every value is an exact (unbounded) integer; there is no wrap-around in the IR. The range
// pass proves an interval for each value and from it picks the machine width: alu32 when the
// value provably lies in [0, 2^32), alu64 when it fits a 64-bit register, and a compile error
// naming the model node otherwise. Control flow is limited to what unrolled models need —
// side exits (ExitIf) to a small set of exit blocks, and local diamonds inside single nodes
// (CondAdd, F64ToFixed) — so the body is one line and register allocation is linear.
#pragma once

#include "support/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xdpml::compiler {

using Int = __int128; // exact values and range bounds

enum class Opcode : uint8_t {
  Const,      // imm0
  PacketLoad, // little-endian unsigned load: imm0 = frame offset, imm1 = bytes (1/2/4/8)
  Add,
  Sub,
  Mul,
  And,
  Or,
  Xor,
  Shl,     // arg1 must be a Const
  Shr,     // logical, arg1 Const
  Sar,     // arithmetic, arg1 Const
  Assume,  // arg0 proven (by the front end, see comment) to lie in [imm0, imm1]; no code
  CondAdd, // arg0 + (arg1 >= arg3 || arg1 <= arg2 ? arg4 : 0): args acc, x, lo, hi, inc
  // arg0 + (arg1 < arg2 || arg1 >= arg2 + arg3 ? arg4 : 0): args acc, x, c, width, inc, with
  // width >= 0 proven. The same outlier test as CondAdd with c = lo + 1 and width = hi - c, but
  // lowered to one unsigned compare of x - c against width (x - c < 0 wraps above any width).
  CondAddOutside,
  F64ToFixed,    // round-half-up(double(arg0 bits) * imm0); exit `exit` when invalid (see lowering)
                 // imm1 = 1: floor(2 * double * imm0) instead, unrounded, for compares only
  ExitIf,        // leave through exit `exit` when cmp(arg0, arg1) holds
  PacketStore,   // store arg0 (imm1 bytes) at frame offset imm0
  RequireLength, // leave through exit `exit` unless the frame has at least imm0 bytes
  // Signed integer operations for models (values held in 32 bits when their range allows,
  // see Function::signed32):
  SignExtend, // arg0 (in [0, 2^imm0)) read as a two's-complement imm0-bit number
  Min,        // min(arg0, arg1)
  Max,        // max(arg0, arg1)
  Select,     // cmp(arg0, arg1) ? arg2 : arg3
  Piecewise,  // Function::tables[imm0] applied to arg0: a compare tree picks the segment
};

enum class Cmp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };
std::string cmp_name(Cmp c);

struct Node {
  Opcode op = Opcode::Const;
  int args[5] = {-1, -1, -1, -1, -1};
  Int imm0 = 0, imm1 = 0;
  Cmp cmp = Cmp::Eq;
  int exit = -1;
  int origin = -1;     // index into Function::origins: the model node this came from
  std::string comment; // e.g. the justification of an Assume
  bool dead = false;   // removed by a pass

  int num_args() const;
  bool has_value() const;
};

// A piecewise-affine function of one integer: on segment k (x in [start[k], start[k+1]),
// start[0] = -inf, the last segment open to +inf) the value is
//   (slope[k] * x + offset[k]) >> shift      (arithmetic shift: floor)
// Lowered as a balanced compare tree (ceil(log2 K) branches), one multiply-add per leaf.
struct PiecewiseTable {
  std::vector<Int> start; // K entries, increasing; start[0] is ignored (-inf)
  std::vector<Int> slope, offset;
  int shift = 0;
  std::string what; // e.g. "tanh, 24 segments, max error 1.9e-3"
  Int eval(Int x) const;
  size_t segment(Int x) const;
};

// What a side exit does before returning: optionally store a constant tag, then return.
struct ExitBlock {
  std::string name;
  std::optional<uint32_t> tag; // value stored at the contract's tag offset
  uint32_t verdict = 2;        // XDP action (2 = XDP_PASS)
};

// Facts the range pass derives per node, consumed by code generation.
struct CmpInfo {
  bool is_signed = false; // operands may be negative: signed jump
  bool is32 = false;      // both operands fit the 32-bit interpretation: jmp32
};

struct NodeInfo {
  Int lo = 0, hi = 0; // value range at definition
  bool alu32 = false; // the value provably lies in [0, 2^32): 32-bit ALU is exact
  CmpInfo cmp;        // ExitIf; CondAdd's x >= hi test; CondAddOutside's (x - c) < width
  CmpInfo cmp2;       // CondAdd's x <= lo test
  // The register holds only the low 32 bits (zero-extended) of a value that may be negative:
  // a 64-bit operation reading it must sign-extend it first (Function::signed32).
  bool sext_on_widen = false;
};

struct Function {
  std::string name = "xdpml_prog";
  std::vector<Node> nodes;
  std::vector<ExitBlock> exits;
  std::vector<std::string> origins;
  int fallthrough_exit = -1; // exit taken when the body runs to its end
  uint32_t tag_offset = 0;   // where ExitBlock::tag is stored
  uint32_t tag_bytes = 1;
  std::vector<NodeInfo> info; // filled by the range pass
  std::vector<PiecewiseTable> tables;
  // Hold values in [-2^31, 2^31) in 32-bit registers too (alu32 on their low halves, sign
  // extended where a 64-bit operation reads them). Model front ends set it; ANOVA, whose
  // listings are pinned, keeps its unsigned-only choice.
  bool signed32 = false;

  int add(Node n);
  int origin(const std::string& name); // interns a model-node name
  int constant(Int value, int origin = -1);
};

std::string to_string(Int v);
std::string describe(const Function& f, int node); // one-line IR text
std::string print(const Function& f);

} // namespace xdpml::compiler
