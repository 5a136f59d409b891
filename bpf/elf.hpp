// Relocatable ELF64 BPF objects through libelf: the same layout llvm-mc writes (one .strtab
// for section and symbol names, .rel<name> after each section, .symtab last).
#pragma once

#include "bpf/object.hpp"
#include "support/result.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace xdpml::bpf {

Result<std::vector<uint8_t>> write_elf(const ObjectFile& object);
// Writes atomically (temporary file + rename) so a failed run never leaves a half object.
Status write_elf_file(const ObjectFile& object, const std::string& path);

// `origin` names the input in diagnostics (a path, or "<memory>").
Result<ObjectFile> read_elf(std::span<const uint8_t> bytes, const std::string& origin);
Result<ObjectFile> read_elf_file(const std::string& path);

Result<std::vector<uint8_t>> read_file_bytes(const std::string& path);

} // namespace xdpml::bpf
