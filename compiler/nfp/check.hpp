// The Netronome NFP offload checker: applies the rules of docs/nfp-offload.md §7 to
// every program of a BPF object, with a path-sensitive abstract interpretation modelled on the
// kernel verifier (the NFP hook sees the verifier's register state), and estimates the NFP
// instruction count (§4.2).
#pragma once

#include "bpf/object.hpp"
#include "support/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace xdpml::nfp {

// What the device offers (§7 "Device profile parameters"). Firmware values are not in the
// driver; the defaults are the spec's conservative field-reported ones.
struct NfpProfile {
  uint32_t max_nfp_insns = 2800;
  std::optional<uint32_t> fw_stack_bytes; // unknown: assume 512 and warn once
  std::optional<uint32_t> fw_inl_mtu;     // usable packet split point; unknown: warn
  std::optional<uint32_t> netdev_mtu;
  std::set<int> helpers = {1, 2, 3, 25}; // helper ids the FW implements (7, 44, 65 optional)
  bool queue_select = false;             // FW can set xdp_md.rx_queue_index
  std::set<uint32_t> map_types = {1, 2}; // BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_ARRAY
  std::optional<uint32_t> max_maps;
  uint64_t max_map_elems = 3072000;
  std::optional<uint32_t> max_key_size;
  std::optional<uint32_t> max_value_size;
  uint32_t max_elem_size = 64;

  static constexpr uint32_t kAssumedStack = 512;
  nlohmann::json to_json() const;
};

enum class ProgType { Xdp, SchedCls };

// E = the load fails or the program is miscompiled; F = fails unless the FW has the capability
// (only reported when the profile says it has not); W = works, but differently or slowly.
enum class FindingSeverity { E, F, W };
char severity_letter(FindingSeverity s);

struct Finding {
  std::string rule; // "R-ALU-1"
  FindingSeverity severity = FindingSeverity::E;
  std::string program;        // entry symbol of the program it was found in ("" for object-level)
  std::string section;        // section of the instruction, or the object part (map, data section)
  std::optional<size_t> insn; // instruction (slot) index inside `section`
  std::string asm_text;       // the instruction in LLVM syntax
  std::string node;           // model node from the xdpml contract's provenance, if any
  std::string message;        // quotes the kernel/driver text where the spec gives one
  std::string hint;           // what to change
};

struct ProgramSummary {
  std::string name;
  std::string section;
  std::string type; // "xdp" / "sched_cls"
  size_t insns = 0; // eBPF instructions (slots), including subprograms
  size_t functions = 1;
  uint64_t estimated_nfp_insns = 0;    // §4.2 estimate including the fixed overhead
  std::vector<uint32_t> per_insn_cost; // the estimate per slot of `section` (fixed part excluded)
  uint32_t budget = 0;
  uint32_t stack_bytes = 0; // NFP stack use (nfp_bpf_get_stack_usage)
  std::optional<uint64_t> max_packet_offset;
};

struct CheckReport {
  std::vector<Finding> findings;
  std::vector<ProgramSummary> programs;
  std::vector<std::string> notes; // facts the object cannot tell (attach-time conditions)

  // No E or F finding.
  bool passed() const;
  size_t count(FindingSeverity s) const;
};

// Checks every program in the object. Fails only when the object cannot be analysed at all.
Result<CheckReport> check_nfp(const bpf::ObjectFile& object, const NfpProfile& profile,
                              std::optional<ProgType> forced_type = std::nullopt);

// The 115 opcode bytes the NFP JIT has a callback for (docs/nfp-offload.md §1.1), derived
// from the opcode table: every encoding except MOD and BPF_END to_le (cpu-v4 forms are not in
// the table).
const std::set<uint8_t>& nfp_jit_opcodes();

// Compiler-style text: "OBJ: section 'xdp' insn 17 (model node 'B[2]'): error R-ALU-1: ...".
std::string render_text(const CheckReport& report, const std::string& object_name);
nlohmann::json render_json(const CheckReport& report, const std::string& object_name,
                           const NfpProfile& profile);

} // namespace xdpml::nfp
