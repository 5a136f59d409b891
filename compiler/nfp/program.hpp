// What the checker analyses: the object's maps (from `.maps` BTF or a legacy `maps` section)
// and its programs, each linked into one flat instruction image the way libbpf loads it (the
// entry function followed by every bpf-to-bpf callee, across sections), with its CFG.
#pragma once

#include "bpf/isa.hpp"
#include "bpf/object.hpp"
#include "compiler/nfp/check.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xdpml::nfp {

struct MapInfo {
  std::string name;
  std::string origin; // ".maps" (BTF-defined) or "maps" (legacy struct bpf_map_def)
  int section = -1;
  uint64_t offset = 0; // of the definition inside its section
  uint32_t type = 0, key_size = 0, value_size = 0, max_entries = 0, map_flags = 0;
  bool numa_node = false;
  bool btf_key_value = false; // key/value typed through BTF (kernel refuses on offloaded maps)
  bool inner_map = false;     // map-in-map or prog-array initialiser ("values")
  std::string problem;        // set when the definition could not be read
};

struct ImageInsn {
  int section = -1;
  size_t slot = 0; // index inside `section`
  bpf::RawInsn raw;
  std::optional<bpf::Insn> insn; // nullopt: not in the opcode table / malformed
  std::string decode_error;
  bool continuation = false; // second slot of ld_imm64
  const bpf::Relocation* reloc = nullptr;
  int func = 0; // index into Program::funcs
  // Jumps and local calls: the image index of the target.
  std::optional<size_t> target;
  std::string cfg_problem; // jump out of the function, into an ld_imm64, off the end ...
};

struct Function {
  size_t start = 0, end = 0; // image range [start, end)
  std::string name;
  bool global_btf = false; // BTF FUNC with global linkage: the kernel verifies it on its own
};

struct Program {
  std::string name;
  int section = -1;
  std::string section_name;
  ProgType type = ProgType::Xdp;
  std::vector<ImageInsn> insns;
  std::vector<Function> funcs;
  std::vector<std::vector<size_t>> succs; // CFG incl. call -> callee entry and call -> next
  std::vector<bool> is_jump_target;
};

// An object-level problem found while reading the object (type unknown, data sections ...).
struct ModelProblem {
  std::string rule;
  FindingSeverity severity = FindingSeverity::E;
  std::string program;
  std::string section;
  std::string message;
  std::string hint;
};

struct ObjectModel {
  std::vector<MapInfo> maps;
  std::vector<Program> programs;
  std::vector<ModelProblem> problems;
  // The BPF_PSEUDO_* kind a relocation resolves to, for ld_imm64.
  enum class RelocKind { None, Map, GlobalData, Extern, Function, Other };
  struct RelocTarget {
    RelocKind kind = RelocKind::None;
    int map = -1;
    std::string symbol;
    std::string section;
  };
  RelocTarget resolve(const bpf::ObjectFile& object, const bpf::Relocation& reloc,
                      int64_t imm) const;
};

Result<ObjectModel> build_model(const bpf::ObjectFile& object, std::optional<ProgType> forced_type);

// Names of well-known helpers for messages ("map_lookup_elem"), or "helper N".
std::string helper_name(int id);
std::string prog_type_name(ProgType t);

} // namespace xdpml::nfp
