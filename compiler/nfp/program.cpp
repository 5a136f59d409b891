#include "compiler/nfp/program.hpp"

#include <bpf/btf.h>
#include <elf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <set>

namespace xdpml::nfp {

namespace {

struct BtfDeleter {
  void operator()(btf* b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<btf, BtfDeleter>;

BtfPtr load_btf(const bpf::ObjectFile& object) {
  const int idx = object.find_section(".BTF");
  if (idx < 0) return nullptr;
  const auto& data = object.sections[static_cast<size_t>(idx)].data;
  if (data.empty()) return nullptr;
  return BtfPtr(btf__new(data.data(), static_cast<uint32_t>(data.size())));
}

const btf_type* skip_mods(const btf* b, uint32_t id, uint32_t* out_id = nullptr) {
  const btf_type* t = btf__type_by_id(b, id);
  while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
    id = t->type;
    t = btf__type_by_id(b, id);
  }
  if (out_id) *out_id = id;
  return t;
}

// __uint(name, N) is `int (*name)[N]`.
std::optional<uint32_t> uint_field(const btf* b, uint32_t type_id) {
  const btf_type* t = skip_mods(b, type_id);
  if (!t || !btf_is_ptr(t)) return std::nullopt;
  const btf_type* arr = skip_mods(b, t->type);
  if (!arr || !btf_is_array(arr)) return std::nullopt;
  return btf_array(arr)->nelems;
}

// __type(key, T) is `T *key`.
std::optional<uint32_t> type_field_size(const btf* b, uint32_t type_id) {
  const btf_type* t = skip_mods(b, type_id);
  if (!t || !btf_is_ptr(t)) return std::nullopt;
  const int64_t size = btf__resolve_size(b, t->type);
  if (size < 0) return std::nullopt;
  return static_cast<uint32_t>(size);
}

void parse_btf_maps(const btf* b, int maps_section, std::vector<MapInfo>& out) {
  const uint32_t n = btf__type_cnt(b);
  for (uint32_t id = 1; id < n; ++id) {
    const btf_type* sec = btf__type_by_id(b, id);
    if (!btf_is_datasec(sec)) continue;
    const char* name = btf__name_by_offset(b, sec->name_off);
    if (!name || std::strcmp(name, ".maps") != 0) continue;
    const btf_var_secinfo* vi = btf_var_secinfos(sec);
    for (uint16_t k = 0; k < btf_vlen(sec); ++k, ++vi) {
      const btf_type* var = btf__type_by_id(b, vi->type);
      MapInfo m;
      m.origin = ".maps";
      m.section = maps_section;
      m.offset = vi->offset;
      if (!var || !btf_is_var(var)) {
        m.problem = "its BTF variable is malformed";
        out.push_back(m);
        continue;
      }
      m.name = btf__name_by_offset(b, var->name_off);
      const btf_type* def = skip_mods(b, var->type);
      if (!def || !btf_is_struct(def)) {
        m.problem = "its definition is not a struct";
        out.push_back(m);
        continue;
      }
      const btf_member* mem = btf_members(def);
      for (uint16_t j = 0; j < btf_vlen(def); ++j, ++mem) {
        const std::string field = btf__name_by_offset(b, mem->name_off);
        if (field == "type") {
          m.type = uint_field(b, mem->type).value_or(0);
        } else if (field == "max_entries") {
          m.max_entries = uint_field(b, mem->type).value_or(0);
        } else if (field == "map_flags") {
          m.map_flags = uint_field(b, mem->type).value_or(0);
        } else if (field == "numa_node") {
          m.numa_node = true;
        } else if (field == "key_size") {
          m.key_size = uint_field(b, mem->type).value_or(0);
        } else if (field == "value_size") {
          m.value_size = uint_field(b, mem->type).value_or(0);
        } else if (field == "key") {
          m.key_size = type_field_size(b, mem->type).value_or(0);
          m.btf_key_value = true;
        } else if (field == "value") {
          m.value_size = type_field_size(b, mem->type).value_or(0);
          m.btf_key_value = true;
        } else if (field == "values") {
          m.inner_map = true;
        }
      }
      out.push_back(m);
    }
  }
}

std::vector<MapInfo> parse_maps(const bpf::ObjectFile& object,
                                std::vector<ModelProblem>& problems) {
  std::vector<MapInfo> maps;
  const int btf_maps = object.find_section(".maps");
  if (btf_maps >= 0) {
    auto b = load_btf(object);
    if (!b) {
      problems.push_back({"R-MAP-1", FindingSeverity::E, "", ".maps",
                          "the map definitions in '.maps' cannot be read: the object has no "
                          "readable .BTF section",
                          "BTF-defined maps need their .BTF; rebuild the object with clang -g "
                          "or declare maps with .bpf_map"});
    } else {
      parse_btf_maps(b.get(), btf_maps, maps);
    }
  }
  // Legacy struct bpf_map_def { u32 type, key_size, value_size, max_entries, map_flags; }.
  const int legacy = object.find_section("maps");
  if (legacy >= 0) {
    const auto& sec = object.sections[static_cast<size_t>(legacy)];
    for (const auto& sym : object.symbols) {
      if (sym.section != legacy || sym.type == STT_SECTION || sym.type == STT_FILE) continue;
      MapInfo m;
      m.name = sym.name;
      m.origin = "maps";
      m.section = legacy;
      m.offset = sym.value;
      if (sym.value + 20 > sec.data.size()) {
        m.problem = "its definition is shorter than struct bpf_map_def (20 bytes)";
        maps.push_back(m);
        continue;
      }
      uint32_t f[5];
      std::memcpy(f, sec.data.data() + sym.value, sizeof f);
      m.type = f[0];
      m.key_size = f[1];
      m.value_size = f[2];
      m.max_entries = f[3];
      m.map_flags = f[4];
      maps.push_back(m);
    }
  }
  return maps;
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

struct TypeGuess {
  std::optional<ProgType> type; // nullopt: not offloadable
  bool frags = false;
  bool known = true;
  std::string what; // libbpf's name of the type / attach point
};

// libbpf's SEC() conventions (libbpf.c section_defs), plus the lenient prefixes iproute2 and
// older libbpf accept ("xdp_prog", "classifier_x").
TypeGuess classify_section(std::string_view name) {
  if (starts_with(name, "xdp.frags")) {
    if (name.find("devmap") != std::string_view::npos ||
        name.find("cpumap") != std::string_view::npos)
      return {std::nullopt, true, true, "XDP devmap/cpumap program"};
    return {ProgType::Xdp, true, true, "XDP (multi-buffer)"};
  }
  if (name == "xdp/devmap" || name == "xdp/cpumap" || starts_with(name, "xdp_devmap") ||
      starts_with(name, "xdp_cpumap"))
    return {std::nullopt, false, true, "XDP devmap/cpumap program"};
  if (starts_with(name, "xdp")) return {ProgType::Xdp, false, true, "XDP"};
  if (starts_with(name, "tcx") || starts_with(name, "netkit"))
    return {std::nullopt, false, true, "tcx/netkit attachment (not cls_bpf)"};
  if (starts_with(name, "tc") || starts_with(name, "classifier"))
    return {ProgType::SchedCls, false, true, "SCHED_CLS"};
  static const char* const kOther[] = {
      "action", "socket",         "kprobe",         "kretprobe",  "uprobe",     "uretprobe",
      "usdt",   "ksyscall",       "kretsyscall",    "tracepoint", "tp/",        "tp_btf",
      "raw_tp", "raw_tracepoint", "fentry",         "fexit",      "fmod_ret",   "freplace",
      "lsm",    "iter",           "perf_event",     "cgroup",     "sockops",    "sk_skb",
      "sk_msg", "lirc_mode2",     "flow_dissector", "sk_lookup",  "struct_ops", "syscall",
      "lwt_",   "sk_reuseport",   "seccomp",        "tracing"};
  for (const char* p : kOther)
    if (starts_with(name, p)) return {std::nullopt, false, true, std::string(name)};
  return {ProgType::Xdp, false, false, ""};
}

std::string section_name(const bpf::ObjectFile& o, int idx) {
  return idx >= 0 && static_cast<size_t>(idx) < o.sections.size()
             ? o.sections[static_cast<size_t>(idx)].name
             : "?";
}

size_t section_slots(const bpf::Section& s) {
  return s.data.size() / bpf::kInsnBytes;
}

// Function symbols of a code section, sorted by slot.
std::vector<const bpf::Symbol*> function_symbols(const bpf::ObjectFile& o, int si) {
  std::vector<const bpf::Symbol*> out;
  for (const auto& s : o.symbols)
    if (s.section == si && s.type == STT_FUNC) out.push_back(&s);
  std::sort(out.begin(), out.end(),
            [](const bpf::Symbol* a, const bpf::Symbol* b) { return a->value < b->value; });
  return out;
}

// The slot range of the function starting at `slot` in section `si`: its symbol's size, or up
// to the next function symbol, or the section end.
std::pair<size_t, size_t> function_range(const bpf::ObjectFile& o, int si, size_t slot) {
  const auto& sec = o.sections[static_cast<size_t>(si)];
  const size_t total = section_slots(sec);
  size_t end = total;
  for (const auto* s : function_symbols(o, si)) {
    const size_t start = s->value / bpf::kInsnBytes;
    if (start == slot && s->size > 0) {
      end = std::min(total, slot + s->size / bpf::kInsnBytes);
      break;
    }
    if (start > slot) {
      end = std::min(end, start);
      break;
    }
  }
  if (end <= slot) end = std::min(total, slot + 1);
  return {slot, end};
}

class ImageBuilder {
public:
  ImageBuilder(const bpf::ObjectFile& o, const btf* b) : o_(o), btf_(b) {}

  Program build(int si, size_t entry, std::string name) {
    Program p;
    p.name = std::move(name);
    p.section = si;
    p.section_name = section_name(o_, si);
    std::vector<size_t> entries;
    add_chunk(p, si, entry, entries);
    // Pull in callees the way libbpf does (bpf_object__reloc_code): each newly called
    // function is appended, then its own calls are resolved before the caller's next one, so
    // image indexes match the kernel's.
    std::function<void(size_t, size_t)> link = [&](size_t from, size_t to) {
      for (size_t i = from; i < to; ++i) {
        const auto& ii = p.insns[i];
        if (!ii.insn || ii.insn->op->form != bpf::Form::CallLocal) continue;
        int tsec = ii.section;
        int64_t tslot = static_cast<int64_t>(ii.slot) + 1 + ii.insn->imm;
        if (ii.reloc) {
          if (ii.reloc->symbol < 0 || static_cast<size_t>(ii.reloc->symbol) >= o_.symbols.size())
            continue;
          const auto& sym = o_.symbols[static_cast<size_t>(ii.reloc->symbol)];
          if (sym.section < 0) continue; // extern: a kfunc, reported by the rules
          tsec = sym.section;
          tslot = static_cast<int64_t>(sym.value / bpf::kInsnBytes) + ii.insn->imm + 1;
        }
        if (tsec < 0 || static_cast<size_t>(tsec) >= o_.sections.size()) continue;
        const auto& tsect = o_.sections[static_cast<size_t>(tsec)];
        if (tslot < 0 || static_cast<size_t>(tslot) >= section_slots(tsect)) {
          p.insns[i].cfg_problem = "call target outside section '" + tsect.name + "'";
          continue;
        }
        auto found = index_of(tsec, static_cast<size_t>(tslot));
        if (!found) {
          const size_t a = p.insns.size();
          add_chunk(p, tsec, static_cast<size_t>(tslot), entries);
          found = index_of(tsec, static_cast<size_t>(tslot));
          link(a, p.insns.size());
        }
        p.insns[i].target = found;
        entries.push_back(*found);
      }
    };
    link(0, p.insns.size());
    // Functions: the kernel splits subprograms at call targets.
    std::sort(entries.begin(), entries.end());
    entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
    if (entries.empty() || entries.front() != 0) entries.insert(entries.begin(), 0);
    for (size_t k = 0; k < entries.size() && !p.insns.empty(); ++k) {
      Function f;
      f.start = entries[k];
      f.end = k + 1 < entries.size() ? entries[k + 1] : p.insns.size();
      const auto& first = p.insns[f.start];
      f.name = symbol_at(first.section, first.slot);
      if (f.name.empty())
        f.name =
            k == 0 ? p.name : section_name(o_, first.section) + "+" + std::to_string(first.slot);
      f.global_btf = k > 0 && is_global_btf_func(f.name);
      for (size_t i = f.start; i < f.end; ++i) p.insns[i].func = static_cast<int>(k);
      p.funcs.push_back(f);
    }
    resolve_jumps(p);
    return p;
  }

private:
  std::optional<size_t> index_of(int si, size_t slot) const {
    auto it = where_.find({si, slot});
    if (it == where_.end()) return std::nullopt;
    return it->second;
  }

  std::string symbol_at(int si, size_t slot) const {
    for (const auto* s : function_symbols(o_, si))
      if (s->value / bpf::kInsnBytes == slot) return s->name;
    return {};
  }

  bool is_global_btf_func(const std::string& name) const {
    if (!btf_ || name.empty()) return false;
    const int id = btf__find_by_name_kind(btf_, name.c_str(), BTF_KIND_FUNC);
    if (id <= 0) return false;
    return btf_vlen(btf__type_by_id(btf_, static_cast<uint32_t>(id))) == BTF_FUNC_GLOBAL;
  }

  void add_chunk(Program& p, int si, size_t start, std::vector<size_t>& entries) {
    const auto& sec = o_.sections[static_cast<size_t>(si)];
    auto [from, to] = function_range(o_, si, start);
    // Do not overlap code already in the image (a callee inside the entry's range).
    for (const auto& [key, idx] : where_)
      if (key.first == si && key.second > from && key.second < to) to = key.second;
    std::map<uint64_t, const bpf::Relocation*> relocs;
    for (const auto& r : sec.relocations) relocs[r.offset] = &r;
    entries.push_back(p.insns.size());
    for (size_t slot = from; slot < to; ++slot) {
      ImageInsn ii;
      ii.section = si;
      ii.slot = slot;
      const size_t off = slot * bpf::kInsnBytes;
      ii.raw = bpf::RawInsn::from_bytes(
          std::span<const uint8_t, bpf::kInsnBytes>(sec.data.data() + off, bpf::kInsnBytes));
      if (auto it = relocs.find(off); it != relocs.end()) ii.reloc = it->second;
      const bool cont = !p.insns.empty() && p.insns.back().section == si &&
                        p.insns.back().slot + 1 == slot && p.insns.back().insn &&
                        p.insns.back().insn->op->form == bpf::Form::LdImm64 &&
                        !p.insns.back().continuation;
      if (cont) {
        ii.continuation = true;
      } else {
        bpf::DecodeError err;
        auto insn = bpf::decode(sec.data, off, &err);
        if (insn)
          ii.insn = *insn;
        else
          ii.decode_error = err.message;
      }
      where_[{si, slot}] = p.insns.size();
      p.insns.push_back(std::move(ii));
    }
    // An ld_imm64 cut by the range end has no second slot in the image.
    if (!p.insns.empty() && p.insns.back().insn &&
        p.insns.back().insn->op->form == bpf::Form::LdImm64 && !p.insns.back().continuation)
      p.insns.back().cfg_problem = "ld_imm64 is cut off by the end of its function";
  }

  void resolve_jumps(Program& p) {
    const size_t n = p.insns.size();
    p.succs.assign(n, {});
    p.is_jump_target.assign(n, false);
    for (size_t i = 0; i < n; ++i) {
      auto& ii = p.insns[i];
      if (ii.continuation) continue;
      const auto& fn = p.funcs[static_cast<size_t>(ii.func)];
      auto local = [&](int64_t rel) -> std::optional<size_t> {
        const int64_t slot = static_cast<int64_t>(ii.slot) + 1 + rel;
        if (slot < 0) return std::nullopt;
        auto idx = index_of(ii.section, static_cast<size_t>(slot));
        if (!idx || *idx < fn.start || *idx >= fn.end) return std::nullopt;
        return idx;
      };
      auto fallthrough = [&](size_t next) {
        if (next >= fn.end) {
          if (ii.cfg_problem.empty())
            ii.cfg_problem = "execution falls off the end of function '" + fn.name + "'";
          return;
        }
        if (p.insns[next].continuation) {
          ii.cfg_problem = "falls into the middle of an ld_imm64";
          return;
        }
        p.succs[i].push_back(next);
      };
      auto jump_to = [&](int64_t rel) {
        auto t = local(rel);
        if (!t) {
          ii.cfg_problem = "jump target " +
                           std::to_string(static_cast<int64_t>(ii.slot) + 1 + rel) +
                           " is outside function '" + fn.name + "'";
          return;
        }
        if (p.insns[*t].continuation) {
          ii.cfg_problem = "jump into the middle of an ld_imm64";
          return;
        }
        ii.target = t;
        p.is_jump_target[*t] = true;
        p.succs[i].push_back(*t);
      };
      const uint8_t cls = ii.raw.code & 0x07;
      const uint8_t op = ii.raw.code & 0xf0;
      const size_t next = ii.insn && ii.insn->op->form == bpf::Form::LdImm64 ? i + 2 : i + 1;
      if (cls == bpf::kClassJmp || cls == bpf::kClassJmp32) {
        if (op == 0x90 && cls == bpf::kClassJmp) continue; // exit
        if (op == 0x80 && cls == bpf::kClassJmp) {         // call
          if (ii.insn && ii.insn->op->form == bpf::Form::CallLocal && ii.target) {
            p.succs[i].push_back(*ii.target);
            p.is_jump_target[*ii.target] = true;
          }
          fallthrough(next);
          continue;
        }
        if (op == 0x00) { // ja; jmp32 ja (gotol) carries its offset in imm
          jump_to(cls == bpf::kClassJmp32 ? ii.raw.imm : ii.raw.off);
          continue;
        }
        if (op == 0xe0 || op == 0xf0) { // may_goto and unknown: treat as conditional
          jump_to(ii.raw.off);
          fallthrough(next);
          continue;
        }
        fallthrough(next);
        jump_to(ii.raw.off);
        continue;
      }
      fallthrough(next);
    }
  }

  const bpf::ObjectFile& o_;
  const btf* btf_;
  std::map<std::pair<int, size_t>, size_t> where_;
};

} // namespace

std::string helper_name(int id) {
  switch (id) {
  case 1:
    return "map_lookup_elem";
  case 2:
    return "map_update_elem";
  case 3:
    return "map_delete_elem";
  case 5:
    return "ktime_get_ns";
  case 6:
    return "trace_printk";
  case 7:
    return "get_prandom_u32";
  case 8:
    return "get_smp_processor_id";
  case 12:
    return "tail_call";
  case 23:
    return "redirect";
  case 25:
    return "perf_event_output";
  case 28:
    return "csum_diff";
  case 44:
    return "xdp_adjust_head";
  case 51:
    return "redirect_map";
  case 54:
    return "xdp_adjust_meta";
  case 65:
    return "xdp_adjust_tail";
  case 69:
    return "fib_lookup";
  case 130:
    return "ringbuf_output";
  case 131:
    return "ringbuf_reserve";
  case 164:
    return "for_each_map_elem";
  case 170:
    return "timer_set_callback";
  case 180:
    return "find_vma";
  case 181:
    return "loop";
  case 209:
    return "user_ringbuf_drain";
  default:
    return "helper " + std::to_string(id);
  }
}

std::string prog_type_name(ProgType t) {
  return t == ProgType::Xdp ? "xdp" : "sched_cls";
}

ObjectModel::RelocTarget ObjectModel::resolve(const bpf::ObjectFile& object,
                                              const bpf::Relocation& reloc, int64_t imm) const {
  RelocTarget r;
  if (reloc.symbol < 0 || static_cast<size_t>(reloc.symbol) >= object.symbols.size()) return r;
  const auto& sym = object.symbols[static_cast<size_t>(reloc.symbol)];
  r.symbol = sym.name;
  if (sym.section < 0) {
    r.kind = RelocKind::Extern;
    return r;
  }
  const auto& sec = object.sections[static_cast<size_t>(sym.section)];
  r.section = sec.name;
  if (sec.is_code()) {
    r.kind = RelocKind::Function;
    // A section symbol plus the byte offset in imm: name the function found there.
    if (sym.type == STT_SECTION)
      for (const auto& s : object.symbols)
        if (s.section == sym.section && s.type != STT_SECTION &&
            s.value == static_cast<uint32_t>(static_cast<uint64_t>(imm)))
          r.symbol = s.name;
    return r;
  }
  if (sec.name == ".maps" || sec.name == "maps") {
    const uint64_t off =
        sym.value +
        (sym.type == STT_SECTION ? static_cast<uint32_t>(static_cast<uint64_t>(imm)) : 0);
    for (size_t m = 0; m < maps.size(); ++m)
      if (maps[m].section == sym.section && maps[m].offset == off) {
        r.kind = RelocKind::Map;
        r.map = static_cast<int>(m);
        r.symbol = maps[m].name;
        return r;
      }
    r.kind = RelocKind::Map;
    return r;
  }
  if (starts_with(sec.name, ".data") || starts_with(sec.name, ".bss") ||
      starts_with(sec.name, ".rodata") || sec.name == ".kconfig" || (sec.flags & bpf::kShfAlloc)) {
    r.kind = RelocKind::GlobalData;
    return r;
  }
  r.kind = RelocKind::Other;
  return r;
}

Result<ObjectModel> build_model(const bpf::ObjectFile& object,
                                std::optional<ProgType> forced_type) {
  ObjectModel m;
  m.maps = parse_maps(object, m.problems);
  auto b = load_btf(object);
  ImageBuilder builder(object, b.get());

  // Entry points: global functions of non-.text code sections (static ones are subprograms);
  // a section without one is one program from offset 0. .text holds subprograms, unless the
  // object has no other code (hand-written `.text` programs).
  struct Entry {
    int section;
    size_t slot;
    std::string name;
  };
  std::vector<Entry> entries;
  bool other_code = false;
  for (size_t si = 0; si < object.sections.size(); ++si)
    if (object.sections[si].is_code() && object.sections[si].name != ".text" &&
        !object.sections[si].data.empty())
      other_code = true;
  for (size_t si = 0; si < object.sections.size(); ++si) {
    const auto& sec = object.sections[si];
    if (!sec.is_code() || sec.data.size() < bpf::kInsnBytes) continue;
    if (sec.name == ".text" && other_code) continue;
    bool any = false;
    for (const auto* s : function_symbols(object, static_cast<int>(si))) {
      // A damaged object can name code outside its section; libbpf refuses such programs
      // too ("crosses section boundary"), so this is the object's error, not a finding.
      if (s->value % bpf::kInsnBytes != 0 || s->value >= sec.data.size() ||
          s->size > sec.data.size() - s->value)
        return fail("function symbol '" + s->name + "' (offset " + std::to_string(s->value) +
                        ", size " + std::to_string(s->size) + ") does not lie inside section '" +
                        sec.name + "' (" + std::to_string(sec.data.size()) + " bytes)",
                    {"<object>", 0, 0, 1, "symbol table"}, "the object is damaged; rebuild it");
      if (s->bind == STB_LOCAL) continue;
      entries.push_back({static_cast<int>(si), s->value / bpf::kInsnBytes, s->name});
      any = true;
    }
    if (!any) entries.push_back({static_cast<int>(si), 0, sec.name});
  }
  if (entries.empty())
    return fail("the object has no BPF program (no executable section with instructions)",
                {"<object>"}, "check that the file is the compiled object, not a data file");

  for (const auto& e : entries) {
    Program p = builder.build(e.section, e.slot, e.name);
    const TypeGuess g = classify_section(p.section_name);
    if (forced_type) {
      p.type = *forced_type;
    } else if (!g.known) {
      p.type = ProgType::Xdp;
      m.problems.push_back(
          {"R-TYPE-1", FindingSeverity::W, p.name, p.section_name,
           "the program type cannot be told from section '" + p.section_name + "'; checked as XDP",
           "name the section 'xdp' or 'tc' (libbpf SEC() convention), or pass --prog-type"});
    } else if (!g.type) {
      m.problems.push_back({"R-TYPE-1", FindingSeverity::E, p.name, p.section_name,
                            "section '" + p.section_name + "' makes this a " + g.what +
                                ": only XDP and SCHED_CLS (cls_bpf) programs can be offloaded "
                                "(bpf_prog_dev_bound_init)",
                            "offload the datapath part as an XDP program (section 'xdp')"});
      p.type = ProgType::Xdp;
    } else {
      p.type = *g.type;
    }
    if (g.frags)
      m.problems.push_back({"R-FLAGS-1", FindingSeverity::E, p.name, p.section_name,
                            "section '" + p.section_name +
                                "' makes libbpf load with BPF_F_XDP_HAS_FRAGS; offloaded "
                                "programs need prog_flags == 0 (the kernel refuses frags when "
                                "offloading)",
                            "use section 'xdp': the NFP has no multi-buffer XDP"});
    m.programs.push_back(std::move(p));
  }
  return m;
}

} // namespace xdpml::nfp
