// Code generation: instruction selection from the IR onto virtual registers, linear-scan
// register allocation with spilling to the stack, late label resolution. Every instruction
// keeps the model node it came from.
#pragma once

#include "bpf/isa.hpp"
#include "compiler/ir.hpp"
#include "support/result.hpp"

#include <string>
#include <vector>

namespace xdpml::compiler {

struct CodegenOptions {
  bool store_immediate = true; // BPF_ST available (the NFP JIT has no store-immediate)
  int max_registers = 8;       // allocatable registers (r1, r3..r9); tests lower it to force spills
  // Make bounds the compiler proved visible to a verifier that cannot see them (the NFP's
  // verifier loses every bound after a shift by a register, then refuses 64-bit multiplies).
  bool verifier_visible_bounds = false;
};

struct MachineProgram {
  std::vector<bpf::Insn> insns;
  std::vector<int> origins; // per instruction, index into origin_names (-1: none)
  std::vector<std::string> origin_names;
  int stack_bytes = 0;
  int spilled_values = 0;
  int registers_used = 0; // distinct r0..r9 written or read
  size_t slots() const;   // 8-byte slots (ld_imm64 counts two)
};

Result<MachineProgram> generate(const Function& f, const CodegenOptions& options = {});

} // namespace xdpml::compiler
