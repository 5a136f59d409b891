// The ELF-level model of a relocatable BPF object: sections with bytes, symbols, REL
// relocations, and map definitions that are materialised into `.maps` + `.BTF`.
// The assembler produces it, the disassembler and checkers consume it, elf_writer/elf_reader
// convert it to and from bytes.
#pragma once

#include "support/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xdpml::bpf {

// ELF relocation types of the BPF backend (llvm BPFELFObjectWriter).
enum RelocType : uint32_t {
  kRelocNone = 0,
  kReloc64_64 = 1,    // ld_imm64 of a map / data address
  kRelocAbs64 = 2,    // .quad sym
  kRelocAbs32 = 3,    // .long sym (non-code)
  kRelocNoDyld32 = 4, // .long sym where sym lives in code (e.g. .BTF.ext)
  kReloc64_32 = 10,   // call to a function through a symbol
};

std::string reloc_type_name(uint32_t type);

struct Relocation {
  uint64_t offset = 0; // byte offset inside the section
  uint32_t type = kRelocNone;
  int symbol = -1; // index into ObjectFile::symbols
};

struct Section {
  std::string name;
  uint32_t type = 1;  // SHT_PROGBITS
  uint64_t flags = 0; // SHF_*
  uint64_t align = 1;
  uint64_t entsize = 0;
  std::vector<uint8_t> data; // empty for SHT_NOBITS
  uint64_t nobits_size = 0;
  std::vector<Relocation> relocations;

  bool is_code() const; // SHF_EXECINSTR
  uint64_t size() const { return type == 8 /*SHT_NOBITS*/ ? nobits_size : data.size(); }
};

constexpr int kSectionUndefined = -1, kSectionAbsolute = -2, kSectionCommon = -3;

struct Symbol {
  std::string name;
  int section = -1; // index into ObjectFile::sections; -1 undefined; -2 absolute; -3 common
  uint64_t value = 0;
  uint64_t size = 0;
  uint8_t type = 0; // STT_NOTYPE/OBJECT/FUNC/SECTION/FILE
  uint8_t bind = 0; // STB_LOCAL/GLOBAL/WEAK
};

// A BTF-defined map: the writer lays it out in `.maps` and describes it in `.BTF`.
struct MapDef {
  std::string name;
  uint32_t type = 2; // BPF_MAP_TYPE_ARRAY
  uint32_t key_size = 4;
  uint32_t value_size = 8;
  uint32_t max_entries = 1;
  uint32_t map_flags = 0;
};

struct ObjectFile {
  std::vector<Section> sections;
  std::vector<Symbol> symbols;
  std::vector<MapDef> maps; // not yet materialised
  std::string source_file;  // STT_FILE symbol, if any

  int find_section(std::string_view name) const;
  int find_symbol(std::string_view name) const;
  // Index of the STT_SECTION symbol for a section, creating it if needed.
  int section_symbol(int section_index);
  Section& add_section(std::string name, uint32_t type, uint64_t flags, uint64_t align);
};

// Section flag bits we use (from elf.h, repeated so headers don't need <elf.h>).
constexpr uint64_t kShfWrite = 0x1, kShfAlloc = 0x2, kShfExec = 0x4, kShfMerge = 0x10,
                   kShfStrings = 0x20, kShfExclude = 0x80000000;

// The letters of `.section NAME,"flags"` and the SHF_* bits they stand for (LLVM's spelling);
// the assembler parses them and the disassembler prints them from this one table.
struct SectionFlagLetter {
  char letter;
  uint64_t flag;
};
inline constexpr SectionFlagLetter kSectionFlagLetters[] = {
    {'a', kShfAlloc}, {'w', kShfWrite},   {'x', kShfExec},
    {'M', kShfMerge}, {'S', kShfStrings}, {'e', kShfExclude},
};

// The types of `.section NAME,"flags",@type` (LLVM's spelling, SHT_* values from elf.h); any
// other type is written as a number, `@0x3`, which llvm-mc accepts as well.
struct SectionTypeName {
  const char* name;
  uint32_t type;
};
inline constexpr SectionTypeName kSectionTypeNames[] = {
    {"progbits", 1}, {"nobits", 8}, {"note", 7}, {"init_array", 14}, {"fini_array", 15},
};

// Gives every code section an STT_FUNC symbol for each program entry (libbpf 1.x finds
// programs only through them): global labels without .type become functions, sizes are
// filled in, and a section without any symbol at offset 0 gets one named after it.
void ensure_function_symbols(ObjectFile& object);

// Lays out each MapDef in `.maps` and describes it with BTF built through libbpf's btf__*
// API (merged into an existing `.BTF` section if the object already has one).
Status materialize_maps(ObjectFile& object);

// libxdp's run configuration of one XDP program: what XDP_RUN_CONFIG() declares in C.
struct XdpRunConfig {
  uint32_t priority = 50; // libxdp's default; lower runs first
  // Actions after which libxdp's dispatcher runs the next program (XDP_PASS = 2).
  std::vector<uint32_t> chain_call_actions = {2};
};

// What the BTF of a generated XDP program says about it.
struct XdpProgramDescription {
  std::string section;  // the code section; the program starts at its offset 0
  std::string function; // the program's symbol
  XdpRunConfig run;
  // BTF line info: from instruction slot `insn` on, the program comes from `text` (a model
  // node), so `bpftool prog dump` and verifier logs show it. The first must start at slot 0.
  struct Line {
    uint32_t insn;
    std::string text;
  };
  std::string file = "xdpml"; // the "file" of the line records (the model's name)
  std::vector<Line> lines;
};

// Describes a program with BTF: `int function(struct xdp_md *ctx)` in .BTF, its func_info and
// line info in .BTF.ext (the kernel needs the former to attach the program as an extension,
// freplace, of libxdp's dispatcher; libbpf warns without the latter), and libxdp's run
// configuration as the static variable `_function` in the `.xdp_run_config` datasec (BTF only:
// no ELF section, so loaders see no data to map). Fails if the object has a .BTF.ext already.
Status describe_xdp_program(ObjectFile& object, const XdpProgramDescription& program);

// Map type names accepted by the assembler's .bpf_map directive ("array", "hash", ...).
std::optional<uint32_t> map_type_from_name(std::string_view name);
std::string map_type_name(uint32_t type);

} // namespace xdpml::bpf
