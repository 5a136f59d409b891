// The programs the storm runs: the example configurations compiled through the compiler's own
// entry points (what `xdpml compile anova|model` does), or objects from disk. Either way the
// program is taken from the ELF object as it would be written, and its packet layout from the
// contract read back from that object.
#pragma once

#include "bpf/kernel.hpp"
#include "bpf/object.hpp"
#include "support/result.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace xdpml::storm {

struct Program {
  std::string name;    // "anova-u32", or the object's path
  std::string command; // the equivalent command line
  bool strict_align = false;
  std::vector<uint8_t> code; // the object's "xdp" section
  nlohmann::json contract;   // read back from the object
  size_t instructions() const { return code.size() / 8; }
};

struct BuiltinProgram {
  const char* name;
  const char* command; // `xdpml compile ...` with the same options
  bool strict_align;   // compiled with --strict-align: loaded with BPF_F_STRICT_ALIGNMENT
};
const std::vector<BuiltinProgram>& builtin_programs();

// Compiles the built-in program `name`; `source_dir` holds examples/models.
Result<Program> build_program(const std::string& name, const std::string& source_dir);

// An object compiled earlier (`xdpml compile ... -o path`).
Result<Program> read_program(const std::string& path, bool strict_align);

// `base` under another name with its code assembled from `source` (LLVM-syntax assembly, an
// "xdp" section): the self-test's deliberately wrong programs keep the contract they break.
Result<Program> with_code(Program base, const std::string& name, const std::string& source);

// Loads it into the kernel (with BPF_F_STRICT_ALIGNMENT when it was compiled for it).
Result<bpf::LoadedProgram> load(const Program& p);

} // namespace xdpml::storm
