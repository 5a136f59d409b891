#include "bpf/object.hpp"

#include <bpf/btf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <elf.h>
#include <iterator>
#include <memory>

namespace xdpml::bpf {

std::string reloc_type_name(uint32_t type) {
  switch (type) {
  case kRelocNone:
    return "R_BPF_NONE";
  case kReloc64_64:
    return "R_BPF_64_64";
  case kRelocAbs64:
    return "R_BPF_64_ABS64";
  case kRelocAbs32:
    return "R_BPF_64_ABS32";
  case kRelocNoDyld32:
    return "R_BPF_64_NODYLD32";
  case kReloc64_32:
    return "R_BPF_64_32";
  default:
    return "R_BPF_" + std::to_string(type);
  }
}

bool Section::is_code() const {
  return (flags & kShfExec) != 0;
}

int ObjectFile::find_section(std::string_view name) const {
  for (size_t i = 0; i < sections.size(); ++i)
    if (sections[i].name == name) return static_cast<int>(i);
  return -1;
}

int ObjectFile::find_symbol(std::string_view name) const {
  for (size_t i = 0; i < symbols.size(); ++i)
    if (symbols[i].type != STT_SECTION && symbols[i].name == name) return static_cast<int>(i);
  return -1;
}

int ObjectFile::section_symbol(int section_index) {
  for (size_t i = 0; i < symbols.size(); ++i)
    if (symbols[i].type == STT_SECTION && symbols[i].section == section_index)
      return static_cast<int>(i);
  Symbol s;
  s.name = sections[section_index].name;
  s.section = section_index;
  s.type = STT_SECTION;
  s.bind = STB_LOCAL;
  symbols.push_back(s);
  return static_cast<int>(symbols.size() - 1);
}

Section& ObjectFile::add_section(std::string name, uint32_t type, uint64_t flags, uint64_t align) {
  Section s;
  s.name = std::move(name);
  s.type = type;
  s.flags = flags;
  s.align = align;
  sections.push_back(std::move(s));
  return sections.back();
}

void ensure_function_symbols(ObjectFile& object) {
  for (size_t si = 0; si < object.sections.size(); ++si) {
    const Section& sec = object.sections[si];
    if (!sec.is_code() || sec.size() == 0) continue;
    bool has_entry_at_zero = false;
    for (auto& sym : object.symbols) {
      if (sym.section != static_cast<int>(si) || sym.type == STT_SECTION) continue;
      // Hand-written asm often has `.globl prog` but no `.type prog,@function`.
      if (sym.bind != STB_LOCAL && sym.type == STT_NOTYPE) sym.type = STT_FUNC;
      if (sym.type == STT_FUNC && sym.value == 0) has_entry_at_zero = true;
    }
    // A program section that is not .text (whose code are static subprograms) needs an
    // entry point even when the source declared no symbol at all.
    if (!has_entry_at_zero && sec.name != ".text") {
      Symbol s;
      s.name = sec.name;
      std::replace_if(
          s.name.begin(), s.name.end(),
          [](char c) { return !std::isalnum(static_cast<unsigned char>(c)) && c != '_'; }, '_');
      s.section = static_cast<int>(si);
      s.type = STT_FUNC;
      s.bind = STB_GLOBAL;
      object.symbols.push_back(s);
    }
    // Sizes delimit programs for libbpf: a function runs to the next function or section end.
    std::vector<uint64_t> starts;
    for (const auto& sym : object.symbols)
      if (sym.section == static_cast<int>(si) && sym.type == STT_FUNC) starts.push_back(sym.value);
    std::sort(starts.begin(), starts.end());
    for (auto& sym : object.symbols) {
      if (sym.section != static_cast<int>(si) || sym.type != STT_FUNC || sym.size != 0) continue;
      auto next = std::upper_bound(starts.begin(), starts.end(), sym.value);
      sym.size = (next == starts.end() ? sec.size() : *next) - sym.value;
    }
  }
}

namespace {

struct MapTypeName {
  const char* name;
  uint32_t type;
};
constexpr MapTypeName kMapTypes[] = {
    {"hash", BPF_MAP_TYPE_HASH},
    {"array", BPF_MAP_TYPE_ARRAY},
    {"prog_array", BPF_MAP_TYPE_PROG_ARRAY},
    {"perf_event_array", BPF_MAP_TYPE_PERF_EVENT_ARRAY},
    {"percpu_hash", BPF_MAP_TYPE_PERCPU_HASH},
    {"percpu_array", BPF_MAP_TYPE_PERCPU_ARRAY},
    {"lru_hash", BPF_MAP_TYPE_LRU_HASH},
    {"lru_percpu_hash", BPF_MAP_TYPE_LRU_PERCPU_HASH},
    {"lpm_trie", BPF_MAP_TYPE_LPM_TRIE},
    {"devmap", BPF_MAP_TYPE_DEVMAP},
    {"cpumap", BPF_MAP_TYPE_CPUMAP},
    {"xskmap", BPF_MAP_TYPE_XSKMAP},
    {"ringbuf", BPF_MAP_TYPE_RINGBUF},
};

struct BtfDeleter {
  void operator()(btf* b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<btf, BtfDeleter>;

Status check(int id, const char* what) {
  if (id < 0) return fail(std::string("BTF writer refused ") + what + ": " + strerror(-id));
  return ok_status();
}

// The object's .BTF opened for adding types (a new one if it has none); write() stores it back.
class BtfEditor {
public:
  static Result<BtfEditor> open(ObjectFile& object) {
    BtfEditor e(object);
    const int index = object.find_section(".BTF");
    if (index >= 0) {
      const auto& data = object.sections[static_cast<size_t>(index)].data;
      e.btf_.reset(btf__new(data.data(), data.size()));
      if (!e.btf_)
        return fail("cannot parse the existing .BTF section: " + std::string(strerror(errno)),
                    {"<object>", 0, 0, 1, "section '.BTF'"});
    } else {
      e.btf_.reset(btf__new_empty());
      if (!e.btf_) return fail("cannot create BTF: " + std::string(strerror(errno)));
    }
    return e;
  }
  struct btf* get() {
    return btf_.get();
  }
  Status write() {
    uint32_t raw_size = 0;
    const auto* raw = static_cast<const uint8_t*>(btf__raw_data(btf_.get(), &raw_size));
    if (!raw) return fail("cannot serialise BTF: " + std::string(strerror(errno)));
    const int index = object_->find_section(".BTF");
    Section& s = index >= 0 ? object_->sections[static_cast<size_t>(index)]
                            : object_->add_section(".BTF", SHT_PROGBITS, 0, 4);
    s.data.assign(raw, raw + raw_size);
    return ok_status();
  }

private:
  explicit BtfEditor(ObjectFile& object) : object_(&object) {}
  ObjectFile* object_;
  BtfPtr btf_;
};

// __uint(name, value) is encoded as `int (*name)[value]`, as bpf_helpers.h does.
int add_uint_field(struct btf* b, int int_id, uint32_t value) {
  const int arr = btf__add_array(b, int_id, int_id, value);
  return arr < 0 ? arr : btf__add_ptr(b, arr);
}

} // namespace

std::optional<uint32_t> map_type_from_name(std::string_view name) {
  for (const auto& m : kMapTypes)
    if (name == m.name) return m.type;
  return std::nullopt;
}

std::string map_type_name(uint32_t type) {
  for (const auto& m : kMapTypes)
    if (m.type == type) return m.name;
  return std::to_string(type);
}

Status materialize_maps(ObjectFile& object) {
  if (object.maps.empty()) return ok_status();
  if (object.find_section(".maps") >= 0)
    return fail("the object defines maps both in a '.maps' section and with .bpf_map",
                {"<object>", 0, 0, 1, "section '.maps'"},
                "declare every map one way: either .bpf_map directives or clang's .maps data");

  auto editor = BtfEditor::open(object);
  if (!editor) return editor.failure();
  struct btf* b = editor->get();

  const int int_id = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
  if (auto s = check(int_id, "int"); !s) return s;
  auto uint_field = [&](uint32_t value) { return add_uint_field(b, int_id, value); };
  // __type(key, T): a pointer to an unsigned integer of the key/value size, or a byte array.
  auto typed_field = [&](uint32_t size) -> int {
    int t;
    switch (size) {
    case 1:
      t = btf__add_int(b, "unsigned char", 1, 0);
      break;
    case 2:
      t = btf__add_int(b, "unsigned short", 2, 0);
      break;
    case 4:
      t = btf__add_int(b, "unsigned int", 4, 0);
      break;
    case 8:
      t = btf__add_int(b, "unsigned long long", 8, 0);
      break;
    default: {
      const int byte = btf__add_int(b, "unsigned char", 1, 0);
      t = byte < 0 ? byte : btf__add_array(b, int_id, byte, size);
    }
    }
    return t < 0 ? t : btf__add_ptr(b, t);
  };

  Section& maps = object.add_section(".maps", SHT_PROGBITS, kShfWrite | kShfAlloc, 8);
  const int maps_index = static_cast<int>(object.sections.size() - 1);
  struct Placed {
    int var_id;
    uint32_t offset, size;
  };
  std::vector<Placed> placed;
  for (const auto& m : object.maps) {
    if (m.key_size == 0 || m.value_size == 0 || m.max_entries == 0)
      return fail("map '" + m.name + "' needs non-zero key size, value size and max_entries");
    const int type_f = uint_field(m.type), key_f = typed_field(m.key_size),
              value_f = typed_field(m.value_size), max_f = uint_field(m.max_entries);
    const int flags_f = m.map_flags ? uint_field(m.map_flags) : 0;
    for (int id : {type_f, key_f, value_f, max_f, flags_f})
      if (auto s = check(id, "a map field type"); !s) return s;
    const uint32_t nfields = m.map_flags ? 5 : 4;
    const uint32_t size = nfields * 8;
    const int st = btf__add_struct(b, nullptr, size);
    if (auto s = check(st, "the map struct"); !s) return s;
    const std::pair<const char*, int> fields[] = {{"type", type_f},
                                                  {"key", key_f},
                                                  {"value", value_f},
                                                  {"max_entries", max_f},
                                                  {"map_flags", flags_f}};
    for (uint32_t i = 0; i < nfields; ++i)
      if (auto s =
              check(btf__add_field(b, fields[i].first, fields[i].second, i * 64, 0), "a field");
          !s)
        return s;
    const int var = btf__add_var(b, m.name.c_str(), BTF_VAR_GLOBAL_ALLOCATED, st);
    if (auto s = check(var, "the map variable"); !s) return s;
    const auto offset = static_cast<uint32_t>(maps.data.size());
    maps.data.resize(maps.data.size() + size, 0);
    placed.push_back({var, offset, size});
    Symbol sym;
    sym.name = m.name;
    sym.section = maps_index;
    sym.value = offset;
    sym.size = size;
    sym.type = STT_OBJECT;
    sym.bind = STB_GLOBAL;
    object.symbols.push_back(sym);
  }
  const int sec = btf__add_datasec(b, ".maps", static_cast<uint32_t>(maps.data.size()));
  if (auto s = check(sec, "the .maps datasec"); !s) return s;
  for (const auto& p : placed)
    if (auto s = check(btf__add_datasec_var_info(b, p.var_id, p.offset, p.size), "datasec info");
        !s)
      return s;

  if (auto st = editor->write(); !st) return st;
  object.maps.clear();
  return ok_status();
}

namespace {

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

const char* xdp_action_name(uint32_t action) {
  static const char* const names[] = {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
                                      "XDP_REDIRECT"};
  return action < std::size(names) ? names[action] : nullptr;
}

} // namespace

Status describe_xdp_program(ObjectFile& object, const XdpProgramDescription& program) {
  const XdpRunConfig& run = program.run;
  if (program.lines.empty() || program.lines.front().insn != 0)
    return fail("the line info of program '" + program.function + "' must start at slot 0");
  if (object.find_section(".BTF.ext") >= 0)
    return fail("the object already has a .BTF.ext section", {"<object>", 0, 0, 1, ".BTF.ext"});
  auto editor = BtfEditor::open(object);
  if (!editor) return editor.failure();
  struct btf* b = editor->get();
  const std::string& name = program.function;

  const int int_id = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
  if (auto s = check(int_id, "int"); !s) return s;
  const int u32_id = btf__add_int(b, "unsigned int", 4, 0);
  if (auto s = check(u32_id, "unsigned int"); !s) return s;
  // The kernel matches an extension's argument against the dispatcher's by struct name.
  static const char* const xdp_md_fields[] = {
      "data", "data_end", "data_meta", "ingress_ifindex", "rx_queue_index", "egress_ifindex"};
  const int xdp_md = btf__add_struct(b, "xdp_md", 4 * std::size(xdp_md_fields));
  if (auto s = check(xdp_md, "struct xdp_md"); !s) return s;
  for (uint32_t i = 0; i < std::size(xdp_md_fields); ++i)
    if (auto s = check(btf__add_field(b, xdp_md_fields[i], u32_id, 32 * i, 0), "an xdp_md field");
        !s)
      return s;
  const int ctx_ptr = btf__add_ptr(b, xdp_md);
  const int proto = btf__add_func_proto(b, int_id);
  if (auto s = check(ctx_ptr < 0 ? ctx_ptr : proto, "the program's prototype"); !s) return s;
  if (auto s = check(btf__add_func_param(b, "ctx", ctx_ptr), "the ctx parameter"); !s) return s;
  const int func = btf__add_func(b, name.c_str(), BTF_FUNC_GLOBAL, proto);
  if (auto s = check(func, "the program function"); !s) return s;

  std::vector<std::pair<const char*, int>> fields = {
      {"priority", add_uint_field(b, int_id, run.priority)}};
  for (uint32_t action : run.chain_call_actions) {
    const char* action_name = xdp_action_name(action);
    if (!action_name) return fail("unknown XDP action " + std::to_string(action));
    fields.emplace_back(action_name, add_uint_field(b, int_id, 1));
  }
  const auto config_size = static_cast<uint32_t>(8 * fields.size());
  const int config = btf__add_struct(b, nullptr, config_size);
  if (auto s = check(config, "the run config struct"); !s) return s;
  for (size_t i = 0; i < fields.size(); ++i)
    if (auto s = check(fields[i].second < 0 ? fields[i].second
                                            : btf__add_field(b, fields[i].first, fields[i].second,
                                                             static_cast<uint32_t>(64 * i), 0),
                       "a run config field");
        !s)
      return s;
  // Static, so libbpf does not look for an ELF symbol (and section) behind the variable.
  const int var = btf__add_var(b, ("_" + name).c_str(), BTF_VAR_STATIC, config);
  if (auto s = check(var, "the run config variable"); !s) return s;
  const int datasec = btf__add_datasec(b, ".xdp_run_config", config_size);
  if (auto s = check(datasec, "the .xdp_run_config datasec"); !s) return s;
  if (auto s = check(btf__add_datasec_var_info(b, var, 0, config_size), "datasec info"); !s)
    return s;
  const int section_name = btf__add_str(b, program.section.c_str());
  const int file_name = btf__add_str(b, program.file.c_str());
  if (auto s = check(section_name < 0 ? section_name : file_name, "a section or file name"); !s)
    return s;
  std::vector<uint8_t> line_info;
  uint32_t line_number = 0, previous = 0;
  for (const auto& line : program.lines) {
    if (line.insn < previous) return fail("line info must be in instruction order");
    previous = line.insn;
    const int text = btf__add_str(b, line.text.empty() ? "(prologue)" : line.text.c_str());
    if (auto s = check(text, "a line's text"); !s) return s;
    put_u32(line_info, line.insn * 8); // bytes, as clang writes it
    put_u32(line_info, static_cast<uint32_t>(file_name));
    put_u32(line_info, static_cast<uint32_t>(text));
    put_u32(line_info, ++line_number << 10); // line << 10 | column
  }
  if (auto s = editor->write(); !s) return s;

  // .BTF.ext v1: header, func_info (record size, one section, one record), line_info (record
  // size, one section, its records).
  constexpr uint32_t kHeaderLen = 24, kFuncInfoLen = 4 + 8 + 8;
  const auto line_info_len = static_cast<uint32_t>(4 + 8 + line_info.size());
  std::vector<uint8_t> ext = {0x9f, 0xeb, 1, 0};
  put_u32(ext, kHeaderLen);
  put_u32(ext, 0);             // func_info_off
  put_u32(ext, kFuncInfoLen);  // func_info_len
  put_u32(ext, kFuncInfoLen);  // line_info_off
  put_u32(ext, line_info_len); // line_info_len
  put_u32(ext, 8);             // bpf_func_info record size
  put_u32(ext, static_cast<uint32_t>(section_name));
  put_u32(ext, 1);
  put_u32(ext, 0);
  put_u32(ext, static_cast<uint32_t>(func));
  put_u32(ext, 16); // bpf_line_info record size
  put_u32(ext, static_cast<uint32_t>(section_name));
  put_u32(ext, static_cast<uint32_t>(program.lines.size()));
  ext.insert(ext.end(), line_info.begin(), line_info.end());
  object.add_section(".BTF.ext", SHT_PROGBITS, 0, 4).data = std::move(ext);
  return ok_status();
}

} // namespace xdpml::bpf
