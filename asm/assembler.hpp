// LLVM-syntax BPF assembler: accepts what llvm-mc 14 accepts in clang's -S output (labels,
// section/symbol/data directives, ll immediates, symbol references), newer spellings LLVM 14
// rejects, and range-checks what LLVM 14 silently truncates.
#pragma once

#include "bpf/object.hpp"
#include "support/result.hpp"

#include <string>
#include <string_view>

namespace xdpml::assembler {

struct AssembleOptions {
  std::string file_name = "<input>"; // used in diagnostics
};

// Assembles source text into an object model (maps materialised, function symbols ensured).
Result<bpf::ObjectFile> assemble(std::string_view source, const AssembleOptions& options = {});

} // namespace xdpml::assembler
