// check_nfp: every rule of docs/nfp-offload.md §7 over every program of an object.
// Rule ids are the spec's; R-CFG-1 (malformed control flow) and R-LOOP-1 (back edges) are
// the checker's own.
#include "asm/disassembler.hpp"
#include "compiler/driver.hpp"
#include "compiler/nfp/analysis.hpp"
#include "compiler/nfp/check.hpp"
#include "compiler/nfp/cost.hpp"
#include "compiler/nfp/program.hpp"

#include <linux/bpf.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <tuple>

namespace xdpml::nfp {

namespace {

constexpr uint64_t kU32Max = UINT32_MAX;

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string code_str(uint8_t code) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%#02x", code);
  return buf;
}

// The 115 opcode bytes of the JIT's instr_cb table (§1.1): the opcode table's encodings minus
// what the JIT has no callback for (MOD, BPF_END to_le). cpu-v4 encodings are not in our
// table at all. BPF_ST is in the JIT table (its translation fails: R-OP-2).
} // namespace

const std::set<uint8_t>& nfp_jit_opcodes() {
  static const std::set<uint8_t> codes = [] {
    std::set<uint8_t> s;
    for (const auto& e : bpf::opcode_table()) {
      if (e.parse_only) continue;
      const uint8_t cls = e.insn_class();
      const uint8_t op = e.code & 0xf0;
      if ((cls == bpf::kClassAlu || cls == bpf::kClassAlu64) && op == kOpMod) continue;
      if (e.code == 0xd4) continue;
      s.insert(e.code);
    }
    return s;
  }();
  return codes;
}

namespace {

const std::set<int> kNfpHelpers = {1, 2, 3, 7, 25, 44, 65};
const std::set<int> kCallbackHelpers = {164, 170, 180, 181, 209};

std::string fw_message(int id) {
  switch (id) {
  case 1:
    return "map_lookup: not supported by FW";
  case 2:
    return "map_update: not supported by FW";
  case 3:
    return "map_delete: not supported by FW";
  case 7:
    return "FW doesn't support random number generation";
  case 25:
    return "event_output: not supported by FW";
  case 44:
    return "adjust_head not supported by FW";
  case 65:
    return "adjust_tail not supported by FW";
  default:
    return "unsupported function id: " + std::to_string(id);
  }
}

std::string helper_hint(int id) {
  switch (id) {
  case 12:
    return "the NFP has no tail calls: merge the programs into one";
  case 23:
  case 51:
    return "the NFP cannot redirect: return XDP_TX (3) or XDP_PASS (2)";
  case 5:
  case 6:
    return "timestamps and trace_printk do not exist on the NFP; debug the program on the host";
  default:
    return "the NFP implements helpers 1 (map_lookup_elem), 2 (map_update_elem), 3 "
           "(map_delete_elem), 7 (get_prandom_u32), 25 (perf_event_output), 44 "
           "(xdp_adjust_head) and 65 (xdp_adjust_tail) only";
  }
}

// C's truncating remainder, as the driver computes it on s64/s32 offsets.
int64_t c_mod4(int64_t v) {
  return v % 4;
}

int64_t sat_add(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
  if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
  return a + b;
}

struct WordUse {
  std::vector<std::pair<size_t, Finding>> reads, atomics; // (word offset, where)
};

struct PendingUpdate {
  int map;
  std::vector<bool> zero; // per value byte: known zero on the stack
  Finding where;
};

class Checker {
public:
  Checker(const bpf::ObjectFile& o, const ObjectModel& m, const NfpProfile& prof, CheckReport& r)
      : o_(o), m_(m), prof_(prof), rep_(r) {
    if (auto secs = assembler::decode_code_sections(o)) {
      for (const auto& ds : *secs) {
        const int si = o.find_section(ds.name);
        for (const auto& di : ds.insns)
          if (di.valid) text_[{si, di.index}] = di.text;
      }
    }
    if (auto c = contract::read_contract(o); c && c->contains("provenance")) {
      contract_section_ = c->value("section", std::string(compiler::kProgramSection));
      for (const auto& e : (*c)["provenance"])
        if (e.contains("insn") && e.contains("node"))
          provenance_.emplace_back(e["insn"].get<size_t>(), e["node"].get<std::string>());
      std::sort(provenance_.begin(), provenance_.end());
    }
  }

  void run() {
    for (const auto& pr : m_.problems)
      add({pr.rule, pr.severity, pr.program, pr.section, std::nullopt, "", "", pr.message,
           pr.hint});
    check_maps();
    check_data_sections();
    for (const auto& p : m_.programs) check_program(p);
    check_map_word_uses();
    if (!prof_.fw_stack_bytes && !m_.programs.empty())
      add({"R-STK-3", FindingSeverity::W, "", "", std::nullopt, "", "",
           "the FW stack size is unknown (NFP_NET_CFG_BPF_STACK_SZ): assuming " +
               std::to_string(NfpProfile::kAssumedStack) + " bytes",
           "pass the device's value with --nfp-stack BYTES"});
    if (m_.programs.size() > 1)
      add({"R-LOAD-1", FindingSeverity::W, "", "", std::nullopt, "", "",
           "the object has " + std::to_string(m_.programs.size()) +
               " programs; an NFP vNIC runs one offloaded program (XDP-HW and TC offload are "
               "mutually exclusive; no libxdp dispatcher in HW mode)",
           "load only one of them with XDP_FLAGS_HW_MODE / skip_sw"});
  }

private:
  // ---- locations and findings ------------------------------------------------------------

  std::string sec_name(int si) const {
    return si >= 0 && static_cast<size_t>(si) < o_.sections.size()
               ? o_.sections[static_cast<size_t>(si)].name
               : "?";
  }

  std::string asm_text(const ImageInsn& ii) const {
    if (auto it = text_.find({ii.section, ii.slot}); it != text_.end()) return it->second;
    const auto& r = ii.raw;
    char buf[128];
    switch (r.code) {
    case 0xd7:
      std::snprintf(buf, sizeof buf, "r%u = bswap%d r%u", r.dst, r.imm, r.dst);
      return buf;
    case 0x06:
      std::snprintf(buf, sizeof buf, "gotol %+d", r.imm);
      return buf;
    case 0xe5:
      std::snprintf(buf, sizeof buf, "may_goto %+d", r.off);
      return buf;
    case 0x81:
    case 0x89:
    case 0x91: {
      const char* t = r.code == 0x91 ? "s8" : r.code == 0x89 ? "s16" : "s32";
      std::snprintf(buf, sizeof buf, "r%u = *(%s *)(r%u %+d)", r.dst, t, r.src, r.off);
      return buf;
    }
    default:
      break;
    }
    if (r.code == 0x85 && r.src == 2) {
      std::snprintf(buf, sizeof buf, "call kfunc %d", r.imm);
      return buf;
    }
    std::snprintf(buf, sizeof buf, "<code %#04x dst r%u src r%u off %d imm %d>", r.code, r.dst,
                  r.src, r.off, r.imm);
    return buf;
  }

  std::string node_for(int si, size_t slot) const {
    if (provenance_.empty() || sec_name(si) != contract_section_) return {};
    std::string node;
    for (const auto& [start, name] : provenance_) {
      if (start > slot) break;
      node = name;
    }
    return node;
  }

  Finding at(const Program& p, size_t i, std::string rule, FindingSeverity sev, std::string msg,
             std::string hint) const {
    const auto& ii = p.insns[i];
    Finding f;
    f.rule = std::move(rule);
    f.severity = sev;
    f.program = p.name;
    f.section = sec_name(ii.section);
    f.insn = ii.slot;
    f.asm_text = asm_text(ii);
    f.node = node_for(ii.section, ii.slot);
    f.message = std::move(msg);
    f.hint = std::move(hint);
    return f;
  }

  void add(Finding f) {
    const auto key =
        std::make_tuple(f.rule, f.section, f.insn ? static_cast<int64_t>(*f.insn) : -1, f.message);
    if (!seen_.insert(key).second) return;
    rep_.findings.push_back(std::move(f));
  }

  void add_at(const Program& p, size_t i, std::string rule, FindingSeverity sev, std::string msg,
              std::string hint) {
    add(at(p, i, std::move(rule), sev, std::move(msg), std::move(hint)));
  }

  // Why the kernel has no u32 bound for a value: the kind of instruction that lost it.
  std::string lost_reason(size_t at) const {
    const auto& ii = cur_prog_->insns[at];
    const auto& r = ii.raw;
    const uint8_t cls = r.code & 0x07, op = r.code & 0xf0;
    bool src_const = !(r.code & 0x08);
    if (!src_const && r.src < 11 && cur_analysis_ && cur_analysis_->in[at]) {
      const Value& v = cur_analysis_->in[at]->regs[r.src];
      src_const = v.kind == Kind::Scalar && v.s.per_path_const();
    }
    if (cls == bpf::kClassAlu || cls == bpf::kClassAlu64) {
      if (!src_const && (op == kOpLsh || op == kOpRsh || op == kOpArsh))
        return "the verifier does not bound a shift by a register";
      if (!src_const && (op == kOpMul || op == kOpOr || op == kOpXor))
        return "the verifier (before Linux 6.10) does not bound MUL/OR/XOR with a "
               "non-constant register, not even in 32-bit code";
      if (op == kOpNeg || op == kOpEnd) return "older verifiers do not track NEG and byte swaps";
      if (op == kOpDiv || op == kOpMod)
        return "the verifier does not track DIV/MOD results, not even 32-bit ones";
      return "the result may exceed 32 bits";
    }
    if (cls == bpf::kClassLdx) return "a 64-bit load is not bounded";
    if (cls == bpf::kClassJmp && op == kCall) return "the call's result is not bounded";
    return {};
  }

  // "r3 in [0, 0xffffffff] (set by insn 12 `r3 = r1`)"
  std::string describe(const Program& p, uint8_t reg, const Value& v, bool full = true) const {
    std::string out = "r" + std::to_string(reg) + " ";
    if (v.kind == Kind::Scalar)
      out += "is " + v.s.describe();
    else if (v.is_pointer())
      out += "is a " + v.describe_kind() + " pointer (offset " + v.s.describe_signed() + ")";
    else
      out += "is " + std::string(v.kind == Kind::Uninit ? "" : "a ") + v.describe_kind();
    if (full && v.def >= 0 && static_cast<size_t>(v.def) < p.insns.size()) {
      const auto& d = p.insns[static_cast<size_t>(v.def)];
      out += " (set by insn " + std::to_string(d.slot) +
             (d.section != p.section ? " of section '" + sec_name(d.section) + "'" : "") + ": `" +
             asm_text(d) + "`)";
    }
    if (full && v.kind == Kind::Scalar && v.lost >= 0 && &p == cur_prog_ &&
        static_cast<size_t>(v.lost) < p.insns.size()) {
      const auto& d = p.insns[static_cast<size_t>(v.lost)];
      const std::string why = lost_reason(static_cast<size_t>(v.lost));
      if (v.lost != v.def)
        out += "; unbounded since insn " + std::to_string(d.slot) + " `" + asm_text(d) + "`" +
               (why.empty() ? "" : " (" + why + ")");
      else if (!why.empty())
        out += ": " + why;
    }
    return out;
  }

  // ---- object-level rules ----------------------------------------------------------------

  void check_maps() {
    uint64_t elems = 0;
    size_t offloaded = 0;
    bool btf_note = false, perf_note = false;
    for (const auto& m : m_.maps) {
      const std::string where = sec_name(m.section);
      const std::string name = "map '" + m.name + "'";
      auto map_finding = [&](std::string rule, FindingSeverity s, std::string msg,
                             std::string hint) {
        add({std::move(rule), s, "", where, std::nullopt, "", "", name + ": " + msg,
             std::move(hint)});
      };
      if (!m.problem.empty()) {
        map_finding("R-MAP-1", FindingSeverity::E, "cannot read its definition: " + m.problem,
                    "define maps with __uint(type, ...)/__type(key, ...) or .bpf_map");
        continue;
      }
      const std::string tname = bpf::map_type_name(m.type);
      if (m.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
        perf_note = true;
        continue; // offload-neutral host map
      }
      if (m.type != BPF_MAP_TYPE_ARRAY && m.type != BPF_MAP_TYPE_HASH) {
        std::string hint = "use a plain ARRAY or HASH map";
        if (m.type == BPF_MAP_TYPE_PROG_ARRAY) hint = "the NFP has no tail calls: merge programs";
        if (m.type == BPF_MAP_TYPE_RINGBUF)
          hint = "send events with perf_event_output into a PERF_EVENT_ARRAY (a host map)";
        map_finding("R-MAP-2", FindingSeverity::E,
                    "a " + tname +
                        " map cannot be offloaded: only ARRAY and HASH maps live on the device "
                        "(bpf_map_offload_map_alloc returns -EINVAL; left on the host it fails "
                        "\"offload device mismatch between prog and map\")",
                    hint);
        continue;
      }
      ++offloaded;
      elems += m.max_entries;
      if (!prof_.map_types.count(m.type))
        map_finding("R-MAP-1", FindingSeverity::F,
                    "map type not supported (the FW MAPS capability lacks " + tname + ")",
                    "the profile's FW map types exclude it; check the FW's MAPS TLV");
      if (m.inner_map)
        map_finding("R-MAP-2", FindingSeverity::E,
                    "map-in-map / initialised values are not offloadable",
                    "use a flat ARRAY or HASH map");
      if (m.map_flags)
        map_finding("R-MAP-1", FindingSeverity::E,
                    "map flags are not supported (map_flags = " + hex(m.map_flags) +
                        "; the driver accepts none, incl. BPF_F_NO_PREALLOC, BPF_F_MMAPABLE, "
                        "BPF_F_RDONLY_PROG)",
                    "drop __uint(map_flags, ...)");
      if (m.numa_node)
        map_finding("R-MAP-1", FindingSeverity::E,
                    "map flags are not supported (a NUMA node is set; offloaded maps take none)",
                    "drop __uint(numa_node, ...)");
      const uint64_t elem = ((m.key_size + 7ULL) & ~7ULL) + ((m.value_size + 7ULL) & ~7ULL);
      if (elem > prof_.max_elem_size)
        map_finding("R-MAP-1", FindingSeverity::E,
                    "map elements too large: round_up(key " + std::to_string(m.key_size) +
                        ", 8) + round_up(value " + std::to_string(m.value_size) +
                        ", 8) = " + std::to_string(elem) + " bytes > " +
                        std::to_string(prof_.max_elem_size) + " (FW max_elem_sz)",
                    "split the value over several maps or shrink key/value");
      if (prof_.max_key_size && m.key_size > *prof_.max_key_size)
        map_finding("R-MAP-1", FindingSeverity::E,
                    "map key size " + std::to_string(m.key_size) + " > FW max_key_sz " +
                        std::to_string(*prof_.max_key_size),
                    "use a smaller key");
      if (prof_.max_value_size && m.value_size > *prof_.max_value_size)
        map_finding("R-MAP-1", FindingSeverity::E,
                    "map value size " + std::to_string(m.value_size) + " > FW max_val_sz " +
                        std::to_string(*prof_.max_value_size),
                    "use a smaller value");
      if (m.btf_key_value) btf_note = true;
    }
    if (elems > prof_.max_map_elems)
      add({"R-MAP-1", FindingSeverity::E, "", ".maps", std::nullopt, "", "",
           "map with too many elements: the maps hold " + std::to_string(elems) +
               " entries in total, the device " + std::to_string(prof_.max_map_elems) +
               " (max_elems, shared by all maps on the NIC)",
           "lower max_entries"});
    if (prof_.max_maps && offloaded > *prof_.max_maps)
      add({"R-MAP-1", FindingSeverity::E, "", ".maps", std::nullopt, "", "",
           "too many maps for a device: " + std::to_string(offloaded) + " > FW max_maps " +
               std::to_string(*prof_.max_maps),
           "merge maps"});
    if (btf_note)
      rep_.notes.push_back(
          "R-MAP-1: the maps carry BTF key/value types; the kernel refuses BTF on offloaded maps "
          "(map_check_no_btf). libbpf retries without BTF; a loader of its own must create "
          "device maps without btf_key_type_id/btf_value_type_id");
    if (perf_note)
      rep_.notes.push_back(
          "R-MAP-2: PERF_EVENT_ARRAY stays a host map: give it no map_ifindex (libxdp's HW "
          "mode sets one on every map, which the kernel refuses)");
  }

  void check_data_sections() {
    for (const auto& s : o_.sections) {
      const bool data = s.name.rfind(".data", 0) == 0 || s.name.rfind(".bss", 0) == 0 ||
                        s.name.rfind(".rodata", 0) == 0 || s.name == ".kconfig";
      if (!data || s.is_code() || !(s.flags & bpf::kShfAlloc) || s.size() == 0) continue;
      add({"R-MAP-2", FindingSeverity::E, "", s.name, std::nullopt, "", "",
           "global data section '" + s.name +
               "': libbpf turns it into an internal ARRAY map with direct value access and "
               "BPF_F_MMAPABLE/BPF_F_RDONLY_PROG; offloaded maps support neither (\"map flags are "
               "not supported\", \"no direct value access support for this map type\")",
           "keep constants in immediates and state in an explicit ARRAY/HASH map"});
    }
  }

  void check_map_word_uses() {
    for (const auto& [map, words] : word_uses_) {
      for (const auto& [word, use] : words) {
        if (use.reads.empty() || use.atomics.empty()) continue;
        for (const auto& [off, f] : use.atomics) {
          Finding g = f;
          g.rule = "R-PTR-4";
          g.severity = FindingSeverity::E;
          g.message = "map value use type conflict read vs atomic off: " + std::to_string(off) +
                      " (map '" + m_.maps[static_cast<size_t>(map)].name + "' word " +
                      std::to_string(word) + " is also read with a load at insn " +
                      std::to_string(*use.reads.front().second.insn) + "; the classification " +
                      "holds for every program sharing the map)";
          g.hint = "keep counters (atomic add) and plain data in different 4-byte words; read "
                   "counters from user space only";
          add(std::move(g));
        }
      }
    }
    for (const auto& u : updates_) {
      const auto& mi = m_.maps[static_cast<size_t>(u.map)];
      auto it = word_uses_.find(u.map);
      if (it == word_uses_.end()) continue;
      for (const auto& [word, use] : it->second) {
        if (use.atomics.empty()) continue;
        for (size_t b = word * 4; b < word * 4 + 4 && b < u.zero.size(); ++b) {
          if (u.zero[b]) continue;
          Finding g = u.where;
          g.rule = "R-PTR-5";
          g.severity = FindingSeverity::E;
          g.message = "value at offset " + std::to_string(b) +
                      " may be non-zero, bpf_map_update_elem() is required to initialize atomic "
                      "counters to zero to avoid offload endian issues (map '" +
                      mi.name + "' word " + std::to_string(word) + " is an atomic counter)";
          g.hint = "store zero into the counter words of the value on the stack before the "
                   "update (e.g. `w1 = 0; *(u32 *)(r10 - 8) = w1`)";
          add(std::move(g));
          break;
        }
      }
    }
  }

  // ---- per program -----------------------------------------------------------------------

  void check_program(const Program& p) {
    const Analysis a = analyze(p, m_, o_);
    cur_prog_ = &p;
    cur_analysis_ = &a;
    const size_t n = p.insns.size();

    // Structural reachability (the kernel's check_cfg): unreachable code is rejected.
    std::vector<bool> reach(n, false);
    std::deque<size_t> q{0};
    reach[0] = true;
    while (!q.empty()) {
      const size_t i = q.front();
      q.pop_front();
      for (size_t s : p.succs[i])
        if (!reach[s]) {
          reach[s] = true;
          q.push_back(s);
        }
    }
    for (size_t i = 0; i < n;) {
      if (reach[i] || p.insns[i].continuation) {
        ++i;
        continue;
      }
      size_t j = i, count = 0;
      while (j < n && !reach[j] && p.insns[j].section == p.insns[i].section) {
        if (!p.insns[j].continuation) ++count;
        ++j;
      }
      add_at(p, i, "R-DEAD-1", FindingSeverity::E,
             std::to_string(count) + " unreachable instruction" + (count > 1 ? "s" : "") +
                 " (insn " + std::to_string(p.insns[i].slot) + ".." +
                 std::to_string(p.insns[j - 1].slot) +
                 "): the kernel rejects unreachable code (\"unreachable insn\") and the driver "
                 "depends on the verifier removing dead code",
             "delete the unreachable code (or the jump that skips over it)");
      i = j;
    }
    for (const auto& [from, to] : a.back_edges)
      add_at(p, from, "R-LOOP-1", FindingSeverity::W,
             "back edge to insn " + std::to_string(p.insns[to].slot) +
                 ": a loop. The NFP accepts bounded loops, but it unions the verifier's ranges "
                 "over all iterations; this checker widened the registers the loop changes",
             "unroll the loop (the programs xdpml compiles are loop-free)");
    for (size_t c : a.recursive_calls)
      add_at(p, c, "R-CFG-1", FindingSeverity::E,
             "recursive bpf-to-bpf call: the kernel rejects recursion", "remove the recursion");

    depth_.assign(p.funcs.size(), 0);
    max_pkt_ = -1;
    max_pkt_insn_ = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!reach[i] || p.insns[i].continuation) continue;
      static_checks(p, i);
      if (a.in[i]) state_checks(p, i, *a.in[i]);
    }

    const CostEstimate cost = estimate_cost(p, a, depth_);
    ProgramSummary sum;
    sum.name = p.name;
    sum.section = p.section_name;
    sum.type = prog_type_name(p.type);
    sum.insns = p.insns.size();
    sum.functions = p.funcs.size();
    sum.estimated_nfp_insns = cost.total;
    sum.per_insn_cost = cost.per_insn;
    sum.budget = prof_.max_nfp_insns;
    sum.stack_bytes = stack_usage(p);
    if (max_pkt_ >= 0) sum.max_packet_offset = static_cast<uint64_t>(max_pkt_);

    // R-STK-3
    const uint32_t fw_stack = prof_.fw_stack_bytes.value_or(NfpProfile::kAssumedStack);
    if (sum.stack_bytes > fw_stack)
      add({"R-STK-3", FindingSeverity::E, p.name, p.section_name, std::nullopt, "", "",
           "stack too large: program " + std::to_string(sum.stack_bytes) + "B > FW stack " +
               std::to_string(fw_stack) + "B" + (prof_.fw_stack_bytes ? "" : " (assumed)") +
               " (each frame rounded up to 64 bytes; callees add 4 bytes, 32 more if they write "
               "R6-R9)",
           "keep fewer values on the stack, or pass the FW's real size with --nfp-stack"});
    // R-PKT-1
    if (max_pkt_ >= 0) {
      const std::string what =
          "the program accesses the packet up to byte offset " +
          (max_pkt_ == INT64_MAX ? std::string("(unbounded)") : std::to_string(max_pkt_));
      if (!prof_.fw_inl_mtu) {
        add_at(p, max_pkt_insn_, "R-PKT-1", FindingSeverity::W,
               what + "; the FW packet split point (fw_inl_mtu = NFP_NET_CFG_BPF_INL_MTU*64 - 32) "
                      "is unknown: the load fails with \"BPF offload not supported with "
                      "potential packet access beyond HW packet split boundary\" if min(this, "
                      "MTU) exceeds it",
               "pass --nfp-inl-mtu BYTES (and --nfp-mtu) for the target device");
      } else {
        uint64_t eff = static_cast<uint64_t>(max_pkt_);
        if (prof_.netdev_mtu) eff = std::min<uint64_t>(eff, *prof_.netdev_mtu);
        if (eff > *prof_.fw_inl_mtu)
          add_at(p, max_pkt_insn_, "R-PKT-1", FindingSeverity::E,
                 "BPF offload not supported with potential packet access beyond HW packet split "
                 "boundary: " +
                     what + " > fw_inl_mtu " + std::to_string(*prof_.fw_inl_mtu) +
                     (prof_.netdev_mtu ? " (netdev MTU " + std::to_string(*prof_.netdev_mtu) + ")"
                                       : ""),
                 "bound the packet offsets (the verifier's max_pkt_offset), or lower the MTU "
                 "to the split point");
      }
    }
    // R-SIZE-1
    const uint64_t budget = prof_.max_nfp_insns;
    if (cost.total > budget) {
      // Point at the instruction where the running estimate passes the budget: with xdpml's
      // provenance, the finding then names the model node (layer) that does not fit.
      uint64_t running = cost.overhead;
      std::optional<size_t> over;
      for (size_t i = 0; i < cost.per_insn.size() && !over; ++i)
        if ((running += cost.per_insn[i]) > budget) over = i;
      const std::string msg = "program too long: an estimated " + std::to_string(cost.total) +
                              " NFP instructions (incl. " + std::to_string(cost.overhead) +
                              " fixed) exceed the budget of " + std::to_string(budget) +
                              (over ? "; the budget runs out at this instruction" : "") +
                              " (dmesg \"instruction limit reached\", extack \"program too long\")";
      const std::string hint =
          "prefer alu32, fewer 64-bit multiplies and fewer packet/stack accesses; calibrate "
          "with `bpftool prog dump jited` and --nfp-max-insns";
      if (over)
        add_at(p, *over, "R-SIZE-1", FindingSeverity::E, msg, hint);
      else
        add({"R-SIZE-1", FindingSeverity::E, p.name, p.section_name, std::nullopt, "", "", msg,
             hint});
    } else if (cost.total * 10 > budget * 9)
      add({"R-SIZE-1", FindingSeverity::W, p.name, p.section_name, std::nullopt, "", "",
           "an estimated " + std::to_string(cost.total) +
               " NFP instructions is within 10% of "
               "the budget of " +
               std::to_string(budget) +
               "; the estimate is ±1-2 per "
               "instruction",
           "calibrate with `bpftool prog dump jited` on the device"});
    perf_checks(p, a);
    if (p.type == ProgType::SchedCls)
      rep_.notes.push_back("R-TYPE-1: program '" + p.name +
                           "' is SCHED_CLS: offload only as clsact ingress, chain 0, protocol "
                           "all, direct-action without legacy actions, with skip_sw");
    rep_.programs.push_back(std::move(sum));
    cur_prog_ = nullptr;
    cur_analysis_ = nullptr;
  }

  uint32_t stack_usage(const Program& p) const {
    // nfp_bpf_get_stack_usage: deepest call chain of round_up(frame, 64); callee frames
    // add the 4-byte return address and 32 bytes when they save R6-R9.
    std::vector<uint32_t> frame(p.funcs.size());
    for (size_t f = 0; f < p.funcs.size(); ++f) {
      int64_t d = depth_[f];
      if (f > 0) d += 4 + (needs_reg_push(p, f) ? 32 : 0);
      frame[f] = static_cast<uint32_t>((d + 63) / 64 * 64);
    }
    std::vector<std::set<size_t>> callees(p.funcs.size());
    for (const auto& ii : p.insns)
      if (ii.insn && ii.insn->op->form == bpf::Form::CallLocal && ii.target)
        callees[static_cast<size_t>(ii.func)].insert(static_cast<size_t>(p.insns[*ii.target].func));
    std::vector<int> busy(p.funcs.size(), 0);
    std::function<uint32_t(size_t)> deepest = [&](size_t f) -> uint32_t {
      if (busy[f]) return 0; // recursion is reported elsewhere
      busy[f] = 1;
      uint32_t best = 0;
      for (size_t g : callees[f]) best = std::max(best, deepest(g));
      busy[f] = 0;
      return frame[f] + best;
    };
    return deepest(0);
  }

  void perf_checks(const Program& p, const Analysis& a) {
    size_t alu64 = 0, alu32 = 0;
    std::optional<size_t> far_stack;
    for (size_t i = 0; i < p.insns.size(); ++i) {
      const auto& ii = p.insns[i];
      if (!a.in[i] || !ii.insn) continue;
      const auto form = ii.insn->op->form;
      if (form == bpf::Form::Alu || form == bpf::Form::Neg) {
        const uint8_t op = ii.raw.code & 0xf0;
        if (op == kOpMov) continue;
        (ii.insn->op->is_alu64() ? alu64 : alu32)++;
      }
      const bool mem = form == bpf::Form::Load || form == bpf::Form::Store;
      if (mem && !far_stack) {
        const uint8_t base = form == bpf::Form::Load ? ii.raw.src : ii.raw.dst;
        if (base >= 11) continue;
        const Value& v = a.in[i]->regs[base];
        if (v.kind != Kind::Stack || v.frame != ii.func) continue;
        const int64_t d = depth_[static_cast<size_t>(ii.func)];
        for (auto o : v.s.path_values())
          if (d + static_cast<int64_t>(o) + ii.raw.off + ii.insn->op->access_bytes() > 64)
            far_stack = i;
      }
    }
    if (alu64 >= 8 && alu32 == 0)
      add({"R-PERF-1", FindingSeverity::W, p.name, p.section_name, std::nullopt, "", "",
           "no 32-bit ALU instructions (" + std::to_string(alu64) +
               " 64-bit ones): each costs 2 NFP instructions instead of 1, and 32-bit values "
               "are what the verifier can keep within u32 for MUL/DIV",
           "compile with -mcpu=v3 (alu32)"});
    if (far_stack)
      add_at(p, *far_stack, "R-PERF-1", FindingSeverity::W,
             "stack access outside the lowest 64 bytes of the frame: ~5-10 NFP instructions "
             "instead of 1-3 (LM pointer setup)",
             "keep hot stack slots in the lowest 64 bytes (the most negative r10 offsets)");
  }

  // ---- rules that need no register state -------------------------------------------------

  void static_checks(const Program& p, size_t i) {
    const auto& ii = p.insns[i];
    const auto& r = ii.raw;
    const uint8_t cls = r.code & 0x07, op = r.code & 0xf0;
    const bool alu = cls == bpf::kClassAlu || cls == bpf::kClassAlu64;
    const std::string code = code_str(r.code);
    const std::string not_supported = "instruction " + code + " not supported";
    const std::string v3 = "compile with -mcpu=v3 (cpu v4 encodings are not in the NFP JIT)";

    if (!ii.cfg_problem.empty())
      add_at(p, i, "R-CFG-1", FindingSeverity::E,
             ii.cfg_problem + " (the kernel rejects the program)",
             "fix the control flow; every path must end in `exit`");

    const bool ext_regs = r.dst >= 11 || r.src >= 11;
    if (ext_regs)
      add_at(p, i, "R-REG-1", FindingSeverity::E,
             "program uses extended registers - jit hardening?",
             "registers r11+ only appear after constant blinding: disable "
             "net.core.bpf_jit_harden for offloaded programs and use r0-r10");

    bool specific = false;
    auto op3 = [&](const std::string& msg, const std::string& hint) {
      add_at(p, i, "R-OP-3", FindingSeverity::E, msg, hint);
      specific = true;
    };
    if (alu && op == kOpMod)
      op3(not_supported + ": the NFP has no modulo" +
              (r.off ? std::string(" (and smod, off != 0, would be unsigned)") : ""),
          "use x - (x / c) * c with a constant divisor, or x & (c - 1) for a power of two");
    else if (alu && op == kOpDiv && r.off != 0)
      op3("sdiv (DIV with off = " + std::to_string(r.off) +
              ") is translated as unsigned reciprocal division (silent miscompile)",
          "divide non-negative values with unsigned DIV; " + v3);
    else if (alu && op == kOpMov && r.off != 0)
      op3("movsx (MOV with off = " + std::to_string(r.off) +
              ") is translated as a plain move without sign extension (silent miscompile)",
          "sign-extend with `r <<= 64 - n; r s>>= 64 - n`; " + v3);
    else if (r.code == 0xd4)
      op3(not_supported + ": BPF_END to_le; the JIT byte-swaps only to_be (0xdc)",
          "on the little-endian host to_le is a truncation: use `w1 = w1` or `& 0xffff`");
    else if (r.code == 0xd7)
      op3(not_supported + ": the cpu v4 unconditional byte swap (ALU64 END)",
          "use `r1 = be16/32/64 r1` (0xdc); " + v3);
    else if (r.code == 0x06)
      op3(not_supported + ": JMP32 JA (gotol, cpu v4)", "use `goto` (JMP JA); " + v3);
    else if (r.code == 0x81 || r.code == 0x89 || r.code == 0x91 || r.code == 0x99)
      op3(not_supported + ": sign-extending load (MEMSX, cpu v4)",
          "load unsigned and sign-extend with shifts; " + v3);
    else if (r.code == 0xe5)
      op3(not_supported + ": may_goto", "bound loops explicitly, or unroll them");

    if (!specific) {
      if (cls == bpf::kClassSt) {
        if (nfp_jit_opcodes().count(r.code))
          add_at(p, i, "R-OP-2", FindingSeverity::E,
                 "BPF_ST (store immediate) is never translated: the NFP verifier hook records "
                 "no pointer type for class ST, so mem_st fails (-EOPNOTSUPP, dmesg \"NFP net "
                 "bpf: Translation failed with error -95\")",
                 "store through a register: `w1 = " + std::to_string(r.imm) + "` then `*(u" +
                     std::to_string(8 * (ii.insn ? ii.insn->op->access_bytes() : 4)) +
                     " *)(rX + off) = w1` (newer LLVM emits BPF_ST with -mcpu=v4)");
        else
          add_at(p, i, "R-OP-1", FindingSeverity::E, not_supported,
                 "BPF_ST exists only in MEM mode");
        specific = true;
      } else if (cls == bpf::kClassStx && (r.code & 0xe0) == 0xc0) {
        const int size = ii.insn ? ii.insn->op->access_bytes() : 0;
        if ((r.code & 0x18) == 0x10 || (r.code & 0x18) == 0x08)
          add_at(p, i, "R-OP-4", FindingSeverity::E, not_supported + ": 8- and 16-bit atomics",
                 "use 32- or 64-bit atomic add");
        else if (r.imm != BPF_ADD)
          add_at(p, i, "R-OP-4", FindingSeverity::E,
                 "atomic op not implemented: " + std::to_string(r.imm) +
                     " (only BPF_ADD without BPF_FETCH)",
                 "use `lock *(u" + std::to_string(size ? size * 8 : 32) +
                     " *)(rX + off) += rY` and do not use its result (no fetch, xchg, cmpxchg, "
                     "and/or/xor)");
        specific = true;
      } else if (r.code == 0x85 && r.src == 2) {
        specific = true; // kfunc: reported with the helper rules
      } else if (!nfp_jit_opcodes().count(r.code)) {
        add_at(p, i, "R-OP-1", FindingSeverity::E,
               not_supported + (ii.insn ? "" : " (" + ii.decode_error + ")"),
               "the NFP JIT translates the 115 opcodes of docs/nfp-offload.md §1.1 only");
        specific = true;
      } else if (!ii.insn) {
        add_at(p, i, "R-OP-1", FindingSeverity::E, "malformed instruction: " + ii.decode_error,
               "the kernel rejects it too");
        specific = true;
      }
    }
    if (r.code == 0x85 && r.src == 2) helper_static(p, i); // kfunc: not in the opcode table
    if (!ii.insn) return;
    const bpf::Insn& insn = *ii.insn;
    const auto form = insn.op->form;

    if (!specific && !ext_regs) {
      const std::string v = bpf::validate(insn);
      if (!v.empty() && v.find("r10") != std::string::npos)
        add_at(p, i, "R-REG-2", FindingSeverity::E, v,
               "copy the frame pointer first: `r1 = r10; r1 += -8`");
      else if (!v.empty())
        add_at(p, i, "R-OP-1", FindingSeverity::E, "malformed instruction: " + v,
               "the kernel verifier rejects it as well");
    }

    // R-REG-2: R10 only as MOV64 X source or memory base.
    if (!ext_regs) {
      std::string role;
      const bool x = r.code & 0x08;
      switch (form) {
      case bpf::Form::Alu:
        if (x && r.src == 10 && !(insn.op->is_alu64() && op == kOpMov))
          role = insn.op->is_alu64() ? "the source of a 64-bit " + std::string(insn.op->name)
                                     : "the source of a 32-bit operation";
        break;
      case bpf::Form::Jump:
        if (r.dst == 10 || (x && r.src == 10)) role = "an operand of a comparison";
        break;
      case bpf::Form::Store:
      case bpf::Form::Atomic:
      case bpf::Form::AtomicFetch:
      case bpf::Form::Xchg:
      case bpf::Form::Cmpxchg:
        if (r.src == 10) role = "the stored value";
        break;
      case bpf::Form::LdInd:
        if (r.src == 10) role = "the packet offset of LD_IND";
        break;
      default:
        break;
      }
      if (!role.empty())
        add_at(p, i, "R-REG-2", FindingSeverity::E,
               "r10 used as " + role +
                   ": the NFP emulates the frame pointer only as a MOV64 source or a memory "
                   "base; anywhere else it reads scratch registers (wrong result, no error)",
               "copy it first (`r1 = r10`) and use the copy");
    }

    if (form == bpf::Form::LdImm64) ldimm_checks(p, i);
    if ((form == bpf::Form::LdAbs || form == bpf::Form::LdInd) && p.type == ProgType::Xdp)
      add_at(p, i, "R-PKT-2", FindingSeverity::E,
             "LD_ABS/LD_IND are not allowed in XDP programs (kernel)",
             "read the packet through the data/data_end pointers");
    if (form == bpf::Form::Call) helper_static(p, i);
    if (form == bpf::Form::CallLocal && ii.target) {
      const auto& callee = p.funcs[static_cast<size_t>(p.insns[*ii.target].func)];
      if (callee.global_btf)
        add_at(p, i, "R-CALL-5", FindingSeverity::E,
               "subprogram '" + callee.name +
                   "' is global: the kernel verifies it on its own with BTF-typed arguments, "
                   "whose pointer types the NFP rejects (\"unsupported ptr type\")",
               "make the subprogram static");
    }
  }

  void ldimm_checks(const Program& p, size_t i) {
    const auto& ii = p.insns[i];
    if (ii.reloc) {
      const auto t = m_.resolve(o_, *ii.reloc, ii.insn->imm);
      using RK = ObjectModel::RelocKind;
      if (t.kind == RK::GlobalData)
        add_at(p, i, "R-MAP-2", FindingSeverity::E,
               "global data: '" + t.symbol + "' lives in section '" + t.section +
                   "', which libbpf loads as BPF_PSEUDO_MAP_VALUE into an internal map; "
                   "offloaded maps have \"no direct value access support for this map type\"",
               "use immediates for constants and an explicit ARRAY map (map_lookup_elem) for "
               "state");
      else if (t.kind == RK::Extern)
        add_at(p, i, "R-LDIMM-1", FindingSeverity::E,
               "extern '" + t.symbol +
                   "': libbpf resolves it to BPF_PSEUDO_BTF_ID (ksym) or a .kconfig map value; "
                   "the NFP JIT rewrites only BPF_PSEUDO_MAP_FD",
               "pass the value as a constant at compile time");
      else if (t.kind == RK::Function)
        add_at(p, i, "R-CALL-5", FindingSeverity::E,
               "callback '" + t.symbol +
                   "': a function address (BPF_PSEUDO_FUNC) is only for bpf_loop and other "
                   "callback helpers, which the NFP does not support",
               "call the function directly");
      return;
    }
    const uint8_t src = ii.raw.src;
    switch (src) {
    case bpf::kPseudoNone:
    case bpf::kPseudoMapFd:
      return;
    case bpf::kPseudoMapIdx:
      add_at(p, i, "R-LDIMM-1", FindingSeverity::E,
             "LD_IMM64 with BPF_PSEUDO_MAP_IDX (5): nfp_bpf_replace_map_ptrs rewrites only "
             "BPF_PSEUDO_MAP_FD, so the kernel map pointer becomes the map id (silent "
             "miscompile)",
             "reference maps through BPF_PSEUDO_MAP_FD (`r1 = map ll` with a relocation), not "
             "fd_array / light-skeleton style");
      return;
    case bpf::kPseudoMapValue:
    case bpf::kPseudoMapIdxValue:
      add_at(p, i, "R-LDIMM-1", FindingSeverity::E,
             "LD_IMM64 of a map value address (BPF_PSEUDO_MAP_VALUE, global data): \"no direct "
             "value access support for this map type\"",
             "look the value up with map_lookup_elem");
      return;
    case bpf::kPseudoBtfId:
      add_at(p, i, "R-LDIMM-1", FindingSeverity::E,
             "LD_IMM64 of a BTF id (ksym): not supported on the NFP", "remove the ksym access");
      return;
    case bpf::kPseudoFunc:
      add_at(p, i, "R-CALL-5", FindingSeverity::E,
             "LD_IMM64 of a function (BPF_PSEUDO_FUNC): callbacks are not supported",
             "call the function directly");
      return;
    default:
      add_at(p, i, "R-LDIMM-1", FindingSeverity::E,
             "LD_IMM64 with unknown src_reg " + std::to_string(src), "use src_reg 0 or 1");
    }
  }

  void helper_static(const Program& p, size_t i) {
    const auto& ii = p.insns[i];
    const int id = ii.raw.imm;
    std::optional<std::string> kfunc;
    if (ii.raw.src == 2) kfunc = "BTF id " + std::to_string(id);
    if (ii.reloc) {
      const auto t = m_.resolve(o_, *ii.reloc, id);
      if (t.kind == ObjectModel::RelocKind::Extern) kfunc = "'" + t.symbol + "'";
    }
    if (kfunc) {
      const bool meta = kfunc->find("bpf_xdp_metadata") != std::string::npos;
      add_at(p, i, "R-CALL-1", FindingSeverity::E,
             "unsupported function id: " + std::to_string(id) + " (kfunc " + *kfunc +
                 "; kfuncs reach the NFP hook with a BTF id)" +
                 (meta ? "; the kernel also says \"metadata kfuncs can't be offloaded\"" : ""),
             "the NFP calls no kfuncs: use one of helpers 1, 2, 3, 7, 25, 44, 65");
      return;
    }
    if (kCallbackHelpers.count(id)) {
      add_at(p, i, "R-CALL-5", FindingSeverity::E,
             "unsupported function id: " + std::to_string(id) + " (bpf_" + helper_name(id) +
                 " runs a callback; bpf_loop and callbacks are not supported)",
             "unroll the loop / inline the callback");
      return;
    }
    if (!kNfpHelpers.count(id)) {
      add_at(p, i, "R-CALL-1", FindingSeverity::E,
             "unsupported function id: " + std::to_string(id) + " (bpf_" + helper_name(id) + ")",
             helper_hint(id));
      return;
    }
    if (!prof_.helpers.count(id))
      add_at(p, i, "R-CALL-1", FindingSeverity::F,
             fw_message(id) + " (helper " + std::to_string(id) + " bpf_" + helper_name(id) +
                 " is not in the device profile)",
             "the FW must advertise it (capability TLV); if yours does, add it with "
             "--nfp-helpers");
  }

  // ---- rules that need the register state ------------------------------------------------

  // The kernel's stack_depth of the function: the deepest byte below its r10 it touches.
  void record_stack(const Program& p, size_t i, const Value& base, int64_t off) {
    const auto& ii = p.insns[i];
    if (base.kind != Kind::Stack || base.frame != ii.func) return;
    for (auto v : base.s.path_values()) {
      const int64_t lo = static_cast<int64_t>(v) + off;
      if (lo < 0)
        depth_[static_cast<size_t>(ii.func)] = std::max(depth_[static_cast<size_t>(ii.func)], -lo);
    }
  }

  void state_checks(const Program& p, size_t i, const State& st) {
    const auto& ii = p.insns[i];
    if (!ii.insn || ii.raw.dst >= 11 || ii.raw.src >= 11) return;
    const auto& insn = *ii.insn;
    switch (insn.op->form) {
    case bpf::Form::Alu:
      alu_checks(p, i, st);
      break;
    case bpf::Form::Load:
      mem_checks(p, i, st, ii.raw.src, Access::Load);
      break;
    case bpf::Form::Store:
      mem_checks(p, i, st, ii.raw.dst, Access::Store);
      break;
    case bpf::Form::StoreImm:
      mem_checks(p, i, st, ii.raw.dst, Access::StoreImm);
      break;
    case bpf::Form::Atomic:
    case bpf::Form::AtomicFetch:
    case bpf::Form::Xchg:
    case bpf::Form::Cmpxchg:
      mem_checks(p, i, st, ii.raw.dst, Access::Atomic);
      break;
    case bpf::Form::Call:
      helper_args(p, i, st);
      break;
    case bpf::Form::Exit:
      exit_checks(p, i, st);
      break;
    default:
      break;
    }
  }

  void alu_checks(const Program& p, size_t i, const State& st) {
    const auto& r = p.insns[i].raw;
    const uint8_t op = r.code & 0xf0;
    const bool x = r.code & 0x08;
    const bool alu64 = (r.code & 0x07) == bpf::kClassAlu64;
    const Value& dst = st.regs[r.dst];
    const Value& src = st.regs[r.src];
    const std::string mul_hint =
        "bound the operand before the multiply where the verifier can see it: a 32-bit "
        "(alu32) result, a mask (`r1 &= 0xffff`) or a compare with a constant; the NFP "
        "multiplies at most 32x32 bits";
    if (op == kOpMul) {
      if (dst.s.umax > kU32Max)
        add_at(p, i, "R-ALU-1", FindingSeverity::E,
               "multiplier is not within u32 value range: " + describe(p, r.dst, dst), mul_hint);
      if (x && r.src != r.dst && src.s.umax > kU32Max)
        add_at(p, i, "R-ALU-1", FindingSeverity::E,
               "multiplicand is not within u32 value range: " + describe(p, r.src, src), mul_hint);
      if (alu64 && !x && r.imm < 0)
        add_at(p, i, "R-ALU-1", FindingSeverity::E,
               "sign extended multiplicand won't be within u32 value range (imm " +
                   std::to_string(r.imm) + ")",
               "multiply by the positive constant and negate (`r1 = -r1`)");
    }
    if (op == kOpDiv && r.off == 0) {
      if (dst.s.umax > kU32Max)
        add_at(p, i, "R-ALU-2", FindingSeverity::E,
               "dividend is not within u32 value range: " + describe(p, r.dst, dst),
               "bound the dividend below 2^32 (alu32 or a mask) before dividing");
      if (x) {
        if (src.s.umin != src.s.umax)
          add_at(p, i, "R-ALU-2", FindingSeverity::E,
                 "divisor is not constant: " + describe(p, r.src, src),
                 "the NFP divides by constants only (reciprocal multiplication): use a "
                 "constant divisor");
        else if (src.s.umax > kU32Max)
          add_at(p, i, "R-ALU-2", FindingSeverity::E,
                 "divisor is not within u32 value range: " + describe(p, r.src, src),
                 "use a divisor below 2^32");
        else if (src.s.umax == 0)
          add_at(p, i, "R-ALU-6", FindingSeverity::E,
                 "division by a register that is always 0: the kernel defines the result as "
                 "0, the JIT computes a reciprocal of 0 (WARN in reciprocal_value_adv) and "
                 "produces garbage",
                 "write the result directly (`r = 0`) instead of dividing");
      } else if (r.imm < 0) {
        add_at(p, i, "R-ALU-2", FindingSeverity::E, "divide by negative constant is not supported",
               "divide by the positive constant and negate");
      }
    }
  }

  enum class Access { Load, Store, StoreImm, Atomic };

  void mem_checks(const Program& p, size_t i, const State& st, uint8_t base_reg, Access acc) {
    const auto& ii = p.insns[i];
    const auto& r = ii.raw;
    const Value& base = st.regs[base_reg];
    const auto size = static_cast<unsigned>(ii.insn->op->access_bytes());
    record_stack(p, i, base, r.off);
    if (acc == Access::StoreImm) {
      // R-OP-2 already rejects it; map values still count as a write.
      if (base.kind == Kind::MapValue)
        add_at(p, i, "R-PTR-2", FindingSeverity::E, "map writes not supported",
               "update map values with map_update_elem or an atomic add");
      return;
    }
    const std::string hint_kinds =
        "loads/stores may go through ctx, stack, map value and packet pointers only, and one "
        "instruction must see the same kind on every path";
    const uint32_t allowed = (1u << unsigned(Kind::Ctx)) | (1u << unsigned(Kind::Stack)) |
                             (1u << unsigned(Kind::MapValue)) | (1u << unsigned(Kind::Packet));
    if (base.kind == Kind::Mixed) {
      if (base.kinds & ~allowed)
        add_at(p, i, "R-PTR-1", FindingSeverity::E,
               "unsupported ptr type: r" + std::to_string(base_reg) + " is a " +
                   base.describe_kind() + " on different paths",
               hint_kinds);
      else
        add_at(p, i, "R-PTR-1", FindingSeverity::E,
               "ptr type changed for instruction: r" + std::to_string(base_reg) + " is a " +
                   base.describe_kind() + " pointer depending on the path",
               "do not share the access between paths with different pointer kinds (duplicate "
               "the code per kind)");
      return;
    }
    if (base.kind == Kind::PacketMeta) {
      add_at(p, i, "R-PKT-2", FindingSeverity::E,
             "access through data_meta: the NFP has no packet metadata (unsupported ptr type)",
             "do not use xdp_md.data_meta");
      return;
    }
    if (!(allowed & (1u << unsigned(base.kind)))) {
      add_at(p, i, "R-PTR-1", FindingSeverity::E,
             "unsupported ptr type: " + describe(p, base_reg, base), hint_kinds);
      return;
    }
    if (acc == Access::Atomic) {
      if (base.kind != Kind::MapValue) {
        add_at(p, i, "R-PTR-1", FindingSeverity::E,
               "atomic add not to a map value pointer: r" + std::to_string(base_reg) + " is a " +
                   base.describe_kind() + " pointer",
               "atomic add works on map values only; use load/add/store elsewhere");
        return;
      }
      if (st.regs[r.src].kind != Kind::Scalar)
        add_at(p, i, "R-PTR-1", FindingSeverity::E,
               "atomic add not of a scalar: " + describe(p, r.src, st.regs[r.src]), "add a number");
    }
    switch (base.kind) {
    case Kind::Ctx:
      ctx_access(p, i, base, acc, size);
      break;
    case Kind::Stack:
      stack_access(p, i, base);
      break;
    case Kind::MapValue:
      if (acc == Access::Store) {
        add_at(p, i, "R-PTR-2", FindingSeverity::E, "map writes not supported",
               "update map values with map_update_elem, or count with an atomic add");
        return;
      }
      map_access(p, i, base, acc == Access::Atomic, size);
      break;
    case Kind::Packet: {
      int64_t hi = base.s.smax;
      if (!base.s.per_path_const() && base.s.umax > static_cast<uint64_t>(INT64_MAX))
        hi = INT64_MAX;
      const int64_t last = sat_add(sat_add(hi, r.off), static_cast<int64_t>(size) - 1);
      if (last > max_pkt_) {
        max_pkt_ = last;
        max_pkt_insn_ = i;
      }
      break;
    }
    default:
      break;
    }
  }

  void ctx_access(const Program& p, size_t i, const Value& base, Access acc, unsigned size) {
    const auto& r = p.insns[i].raw;
    if (!base.s.is_const() || base.s.var.value != 0) {
      add_at(p, i, "R-CTX-1", FindingSeverity::E,
             "context pointer with an offset (" + base.s.describe_signed() +
                 "): the JIT matches raw context offsets (the kernel: \"dereference of modified "
                 "ctx ptr\")",
             "access context fields as `*(u32 *)(r1 + FIELD)` on the unmodified pointer");
      return;
    }
    const int64_t field = r.off;
    const bool xdp = p.type == ProgType::Xdp;
    if (acc == Access::Load) {
      const bool meta = field == (xdp ? 8 : 140);
      if (meta) {
        add_at(p, i, "R-PKT-2", FindingSeverity::E,
               "context load of data_meta: the NFP has no packet metadata", "do not use data_meta");
        return;
      }
      const bool ok = xdp ? (field == 0 || field == 4) : (field == 0 || field == 76 || field == 80);
      if (!ok || size != 4)
        add_at(p, i, "R-CTX-1", FindingSeverity::E,
               "context load at offset " + std::to_string(field) + " size " + std::to_string(size) +
                   " is not translated: the JIT reads " +
                   (xdp ? "xdp_md.data (0) and data_end (4)"
                        : "__sk_buff len (0), data (76) and "
                          "data_end (80)") +
                   " as 4-byte loads only (translation fails, dmesg \"NFP net bpf: Translation "
                   "failed with error -95\")",
               xdp ? "only data and data_end are available on the NFP (no ingress_ifindex, "
                     "rx_queue_index reads or data_meta)"
                   : "only len, data and data_end are available on the NFP");
      return;
    }
    if (xdp && field == 16 && size == 4 && acc == Access::Store) {
      if (!prof_.queue_select)
        add_at(p, i, "R-CTX-1", FindingSeverity::F, "queue selection not supported by FW",
               "the FW needs the QUEUE_SELECT capability; pass --nfp-queue-select if it has it");
      return;
    }
    add_at(p, i, "R-CTX-1", FindingSeverity::E, "unsupported store to context field",
           xdp ? "only xdp_md.rx_queue_index (offset 16, 4 bytes) can be written, with FW "
                 "QUEUE_SELECT"
               : "TC programs cannot write the context on the NFP");
  }

  void stack_access(const Program& p, size_t i, const Value& base) {
    if (!base.s.per_path_const()) {
      add_at(p, i, "R-STK-1", FindingSeverity::E,
             "variable ptr stack access: the stack offset is " + base.s.describe_signed() +
                 " (the NFP needs a constant offset on every path)",
             "index stack buffers with constants only (unroll), or keep the array in a map");
      return;
    }
    const auto vals = base.s.path_values();
    for (size_t k = 1; k < vals.size(); ++k) {
      const auto a = static_cast<int32_t>(vals[0]), b = static_cast<int32_t>(vals[k]);
      if (c_mod4(a) != c_mod4(b)) {
        add_at(p, i, "R-STK-2", FindingSeverity::E,
               "stack access changed location was:" + std::to_string(a) +
                   " is:" + std::to_string(b) +
                   " (offsets differ in alignment mod 4 across "
                   "paths)",
               "give the paths their own access, or keep the offsets 4-byte aligned");
        return;
      }
    }
  }

  void map_access(const Program& p, size_t i, const Value& base, bool atomic, unsigned size) {
    const auto& r = p.insns[i].raw;
    if (!base.s.per_path_const()) {
      add_at(p, i, "R-PTR-3", FindingSeverity::E,
             "map value offset is variable (" + base.s.describe_signed() + ")",
             "access map values at constant offsets; look up another key instead of indexing");
      return;
    }
    const MapInfo* mi = base.map >= 0 ? &m_.maps[static_cast<size_t>(base.map)] : nullptr;
    for (auto v : base.s.path_values()) {
      const int64_t off = static_cast<int64_t>(v) + r.off;
      if (mi && (off < 0 || off + static_cast<int64_t>(size) > mi->value_size)) {
        add_at(p, i, "R-PTR-3", FindingSeverity::E,
               "map value access out-of-bounds: offset " + std::to_string(off) + " size " +
                   std::to_string(size) + " in map '" + mi->name + "' (value_size " +
                   std::to_string(mi->value_size) + ")",
               "stay inside the map's value");
        continue;
      }
      if (!mi || off < 0) continue;
      Finding where = at(p, i, "", FindingSeverity::E, "", "");
      for (int64_t k = 0; k < static_cast<int64_t>(size); k += 4 - (off + k) % 4) {
        const auto word = static_cast<size_t>((off + k) / 4);
        auto& use = word_uses_[base.map][word];
        (atomic ? use.atomics : use.reads).push_back({static_cast<size_t>(off + k), where});
      }
    }
  }

  // nfp_bpf_stack_arg_ok
  bool stack_arg(const Program& p, size_t i, const std::string& fname, uint8_t reg, const Value& v,
                 const std::string& rule) {
    if (v.kind != Kind::Stack) {
      add_at(p, i, rule, FindingSeverity::E,
             fname + ": unsupported ptr type (" + describe(p, reg, v) + ")",
             "the NFP takes helper keys/values from the stack only: copy them to the stack "
             "first (4-byte aligned, constant offset)");
      return false;
    }
    if (!v.s.per_path_const()) {
      add_at(p, i, rule, FindingSeverity::E,
             fname + ": variable pointer (" + describe(p, reg, v) + ")",
             "pass a constant stack offset (`r2 = r10; r2 += -8`)");
      return false;
    }
    for (auto c : v.s.path_values()) {
      const auto off = static_cast<int64_t>(c);
      if (c_mod4(-off) != 0) {
        add_at(p, i, rule, FindingSeverity::E,
               fname + ": unaligned stack pointer " + std::to_string(-off),
               "place the key/value at a 4-byte aligned stack offset (e.g. r10 - 8)");
        return false;
      }
    }
    return true;
  }

  void helper_args(const Program& p, size_t i, const State& st) {
    const auto& ii = p.insns[i];
    const int id = ii.raw.imm;
    if (ii.reloc) return; // kfunc
    const Value& r1 = st.regs[1];
    const MapInfo* mi =
        r1.kind == Kind::MapPtr && r1.map >= 0 ? &m_.maps[static_cast<size_t>(r1.map)] : nullptr;
    if (id == 1 || id == 2 || id == 3) {
      const std::string fname = id == 1 ? "map_lookup" : id == 2 ? "map_update" : "map_delete";
      if (stack_arg(p, i, fname, 2, st.regs[2], "R-CALL-2")) record_stack(p, i, st.regs[2], 0);
      if (id == 2 && stack_arg(p, i, fname, 3, st.regs[3], "R-CALL-2")) {
        record_stack(p, i, st.regs[3], 0);
        const Value& v = st.regs[3];
        if (mi && r1.map >= 0 && v.frame == ii.func) {
          for (auto c : v.s.path_values()) {
            PendingUpdate u;
            u.map = r1.map;
            for (uint32_t b = 0; b < mi->value_size; ++b)
              u.zero.push_back(stack_bytes_zero(st, static_cast<int64_t>(c) + b, 1));
            u.where = at(p, i, "", FindingSeverity::E, "", "");
            updates_.push_back(std::move(u));
          }
        }
      }
    }
    if (id == 25) {
      const Value& flags = st.regs[3];
      bool ok = flags.kind == Kind::Scalar;
      std::string shown =
          flags.kind == Kind::Scalar ? tnum_str(flags.s.var) : flags.describe_kind();
      if (ok) {
        const auto vals = flags.s.path_values();
        if (vals.empty())
          ok = !(flags.s.var.mask & BPF_F_INDEX_MASK) &&
               (flags.s.var.value & BPF_F_INDEX_MASK) == BPF_F_CURRENT_CPU;
        for (auto c : vals)
          if ((c & BPF_F_INDEX_MASK) != BPF_F_CURRENT_CPU) {
            ok = false;
            shown = tnum_str(Tnum::constant(c));
          }
      }
      if (!ok)
        add_at(p, i, "R-CALL-3", FindingSeverity::E,
               "event_output: must use BPF_F_CURRENT_CPU, var_off: " + shown,
               "pass flags = BPF_F_CURRENT_CPU (0xffffffff) as a constant in r3");
      const Value& data = st.regs[4];
      const uint32_t allowed = (1u << unsigned(Kind::Scalar)) | (1u << unsigned(Kind::Stack)) |
                               (1u << unsigned(Kind::MapValue)) | (1u << unsigned(Kind::Packet));
      if (data.kind == Kind::Mixed && !(data.kinds & ~allowed))
        add_at(p, i, "R-CALL-3", FindingSeverity::E,
               "event_output: ptr type changed: r4 is a " + data.describe_kind() +
                   " depending on the path",
               "pass the same kind of data pointer on every path");
      else if (!(allowed & data.kind_bits()))
        add_at(p, i, "R-CALL-3", FindingSeverity::E,
               "event_output: unsupported ptr type: " + describe(p, 4, data),
               "pass NULL, or data on the stack, in a map value or in the packet");
      else if (data.kind == Kind::Stack && stack_arg(p, i, "event_output", 4, data, "R-CALL-3"))
        record_stack(p, i, data, 0);
    }
    if (!prof_.helpers.count(id)) return;
    if (id == 25)
      add_at(p, i, "R-CALL-4", FindingSeverity::W,
             "warning: return codes and behavior of event_output helper differ for offload! "
             "(always returns 0; events may be lost or reordered, the FW limits their length)",
             "do not rely on the return value; have user space tolerate gaps");
    if (id == 65) {
      const Value& delta = st.regs[2];
      const bool grows = delta.kind == Kind::Scalar && delta.s.smin >= 0;
      add_at(p, i, "R-CALL-4", FindingSeverity::W,
             grows ? "xdp_adjust_tail with delta >= 0 (" + delta.s.describe() +
                         ") always fails on the NFP: it can only shrink the packet"
                   : "xdp_adjust_tail can only shrink on the NFP: a positive delta, or a "
                     "result shorter than 14 bytes, returns -EINVAL at run time",
             "shrink only (negative delta)");
    }
    if (id == 44)
      add_at(p, i, "R-CALL-4", FindingSeverity::W,
             "xdp_adjust_head is checked at run time against the FW's off_min/off_max: an "
             "out-of-range delta, or a packet left shorter than 14 bytes, returns -EINVAL",
             "use one call site with a constant delta within the FW's guaranteed range (the "
             "cheap 5-instruction path)");
  }

  void exit_checks(const Program& p, size_t i, const State& st) {
    const auto& ii = p.insns[i];
    const Value& r0 = st.regs[0];
    if (p.type == ProgType::Xdp) {
      if (ii.func != 0) return; // a subprogram return
      if (r0.kind != Kind::Scalar) {
        add_at(p, i, "R-EXIT-2", FindingSeverity::E,
               "R0 at exit is " +
                   (r0.kind == Kind::Uninit ? std::string("not set")
                                            : "a " + r0.describe_kind() + " pointer") +
                   ": the NFP outro drops every value outside {0, 1, 2, 3}",
               "return XDP_ABORTED (0), XDP_DROP (1), XDP_PASS (2) or XDP_TX (3)");
        return;
      }
      const auto vals = r0.s.path_values();
      std::vector<uint64_t> bad;
      for (auto v : vals)
        if ((v & 0xffffffffULL) > 3) bad.push_back(v & 0xffffffffULL);
      const bool may_be_bad = vals.empty() ? r0.s.u32max > 3 : !bad.empty();
      if (may_be_bad) {
        const bool redirect = std::find(bad.begin(), bad.end(), 4) != bad.end();
        add_at(p, i, "R-EXIT-2", FindingSeverity::E,
               std::string("R0 at exit ") + (redirect ? "may be XDP_REDIRECT (4): " : "") +
                   describe(p, 0, r0, false) +
                   "; the NFP outro drops every value outside {0, 1, 2, 3} (XDP_REDIRECT and "
                   "others silently drop)",
               "return XDP_ABORTED (0), XDP_DROP (1), XDP_PASS (2) or XDP_TX (3) only");
      }
      return;
    }
    // SCHED_CLS: the hook checks every exit.
    if (r0.kind != Kind::Scalar || !r0.s.per_path_const()) {
      add_at(p, i, "R-EXIT-1", FindingSeverity::E,
             "unsupported exit state: " + std::string(kind_name(r0.kind)) + ", var_off: " +
                 tnum_str(r0.s.var) + " (R0 must be a known constant at every exit)",
             "return a constant TC action: TC_ACT_SHOT (2), TC_ACT_STOLEN (4), TC_ACT_QUEUED "
             "(5) or a value > 7 such as TC_ACT_UNSPEC (-1)");
      return;
    }
    for (auto v : r0.s.path_values())
      if (v <= 7 && v != 2 && v != 4 && v != 5) {
        add_at(p, i, "R-EXIT-1", FindingSeverity::E,
               "unsupported exit state: " + std::to_string(SCALAR_VALUE_ID) + ", imm: " + hex(v) +
                   " (TC_ACT_OK, RECLASSIFY, PIPE, REPEAT and REDIRECT are rejected)",
               "return TC_ACT_SHOT (2), TC_ACT_STOLEN (4), TC_ACT_QUEUED (5) or TC_ACT_UNSPEC "
               "(-1, passes)");
        return;
      }
  }

  static constexpr int SCALAR_VALUE_ID = 1; // enum bpf_reg_type SCALAR_VALUE

  const bpf::ObjectFile& o_;
  const ObjectModel& m_;
  const NfpProfile& prof_;
  CheckReport& rep_;
  std::map<std::pair<int, size_t>, std::string> text_;
  std::string contract_section_;
  std::vector<std::pair<size_t, std::string>> provenance_;
  std::set<std::tuple<std::string, std::string, int64_t, std::string>> seen_;
  std::vector<int64_t> depth_;
  const Program* cur_prog_ = nullptr;
  const Analysis* cur_analysis_ = nullptr;
  int64_t max_pkt_ = -1;
  size_t max_pkt_insn_ = 0;
  std::map<int, std::map<size_t, WordUse>> word_uses_;
  std::vector<PendingUpdate> updates_;
};

} // namespace

char severity_letter(FindingSeverity s) {
  switch (s) {
  case FindingSeverity::E:
    return 'E';
  case FindingSeverity::F:
    return 'F';
  case FindingSeverity::W:
    return 'W';
  }
  return '?';
}

bool CheckReport::passed() const {
  return count(FindingSeverity::E) == 0 && count(FindingSeverity::F) == 0;
}

size_t CheckReport::count(FindingSeverity s) const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(),
                                           [s](const Finding& f) { return f.severity == s; }));
}

Result<CheckReport> check_nfp(const bpf::ObjectFile& object, const NfpProfile& profile,
                              std::optional<ProgType> forced_type) {
  auto model = build_model(object, forced_type);
  if (!model) return model.failure();
  CheckReport report;
  Checker(object, *model, profile, report).run();
  return report;
}

} // namespace xdpml::nfp
