// Disassembler: prints an object in LLVM syntax, in one documented spelling (clang
// -mcpu=v3 -S: w registers for alu32 and narrow memory operands), with labels, symbols and
// relocations, such that `xdpml asm` of the listing reproduces the same section bytes.
#pragma once

#include "bpf/isa.hpp"
#include "bpf/object.hpp"
#include "support/result.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xdpml::assembler {

struct DisasmOptions {
  std::optional<std::string> only_section;
  bool show_bytes = false; // "# idx: bytes" comments after each instruction
  // Per code section, a note for each instruction slot (e.g. the model node it came from);
  // printed as a "# note" line whenever it changes.
  std::map<std::string, std::vector<std::string>> notes;
};

struct DecodedInsn {
  size_t index = 0;  // slot index in its section
  size_t offset = 0; // byte offset
  std::vector<uint8_t> bytes;
  std::string text;       // with symbols/labels applied
  std::string relocation; // "R_BPF_64_64 map" or ""
  bool valid = true;
};

struct DecodedSection {
  std::string name;
  std::vector<DecodedInsn> insns;
};

Result<std::string> disassemble(const bpf::ObjectFile& object, const DisasmOptions& options = {});
// Instruction-level view of the code sections, for --json and tests.
Result<std::vector<DecodedSection>> decode_code_sections(const bpf::ObjectFile& object);

} // namespace xdpml::assembler
