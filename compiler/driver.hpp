// From a front end's IR to a loadable object: pass pipeline, code generation, the ELF object
// (program section, STT_FUNC symbol, license, I/O contract) and a report.
#pragma once

#include "bpf/object.hpp"
#include "compiler/codegen.hpp"
#include "compiler/ir.hpp"
#include "contract/contract.hpp"
#include "support/result.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace xdpml::compiler {

constexpr const char* kProgramSection = "xdp";

enum class Target { Kernel, Nfp };

struct CompileOptions {
  Target target = Target::Kernel;
  int max_registers = 8;
  bool print_ir = false;          // collect the IR after every pass into CompiledModel::ir_trace
  uint32_t nfp_max_insns = 2800;  // --target nfp: the firmware's instruction budget
  uint32_t nfp_stack_bytes = 512; // --target nfp: the firmware's stack size
};

struct CompiledModel {
  Function ir;
  MachineProgram program;
  bpf::ObjectFile object;
  nlohmann::json contract;
  std::string ir_trace;
  double compile_ms = 0;
};

// Runs the pipeline and codegen, then builds the object with `contract` embedded in
// contract::kSection (the driver adds program, instruction counts and provenance to it; reading
// it back is contract::read_contract).
Result<CompiledModel> compile_function(Function f, nlohmann::json contract,
                                       const CompileOptions& options);

// An annotated LLVM-syntax listing: each run of instructions is preceded by the model node it
// came from (`# A[3]`). Reassembles with `xdpml asm`.
Result<std::string> listing(const CompiledModel& model, bool annotate = true);

} // namespace xdpml::compiler
