#include "asm/disassembler.hpp"

#include <elf.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace xdpml::assembler {

namespace {

using bpf::Form;
using bpf::ObjectFile;
using bpf::Section;

constexpr uint32_t kShtLlvmAddrsig = 0x6fff4c03;

std::string section_type(uint32_t type) {
  for (const auto& n : bpf::kSectionTypeNames)
    if (n.type == type) return std::string("@") + n.name;
  char hex[16];
  std::snprintf(hex, sizeof hex, "@0x%x", type);
  return hex;
}

std::string section_flags(uint64_t flags) {
  std::string f;
  for (const auto& l : bpf::kSectionFlagLetters)
    if (flags & l.flag) f += l.letter;
  return f;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    }
  }
  return out + "\"";
}

std::string hex_bytes(const uint8_t* p, size_t n) {
  std::string s;
  char buf[4];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%s%02x", i ? " " : "", p[i]);
    s += buf;
  }
  return s;
}

// A symbol as LLVM prints it: bare when it is an identifier, else in quotes ("fentry/foo", the
// section symbols of clang's SEC("fentry/...") programs), so the listing reassembles.
std::string symbol_text(const std::string& name) {
  auto ident_char = [](char c, bool first) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '$' ||
           (!first && std::isdigit(static_cast<unsigned char>(c)));
  };
  bool plain = !name.empty();
  for (size_t i = 0; i < name.size() && plain; ++i) plain = ident_char(name[i], i == 0);
  if (plain) return name;
  std::string out = "\"";
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string with_addend(const std::string& raw_sym, int64_t addend) {
  const std::string sym = symbol_text(raw_sym);
  if (addend == 0) return sym;
  // The magnitude in unsigned arithmetic: -INT64_MIN does not exist as an int64_t.
  const uint64_t magnitude =
      addend > 0 ? static_cast<uint64_t>(addend) : uint64_t{0} - static_cast<uint64_t>(addend);
  return sym + (addend > 0 ? " + " : " - ") + std::to_string(magnitude);
}

std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  return out;
}

// Labels needed in each section: existing symbols first, generated .L names otherwise.
class LabelPlan {
public:
  explicit LabelPlan(const ObjectFile& o) : object_(o) {
    for (const auto& sym : o.symbols)
      if (sym.section >= 0 && sym.type != STT_SECTION && sym.type != STT_FILE)
        by_offset_[{sym.section, sym.value}].push_back(&sym);
  }
  std::string label_at(int section, uint64_t offset) {
    auto it = by_offset_.find({section, offset});
    if (it != by_offset_.end()) return symbol_text(it->second.front()->name);
    auto& name = generated_[{section, offset}];
    if (name.empty())
      name = ".L" + sanitize(object_.sections[section].name) + "_" +
             std::to_string(offset / bpf::kInsnBytes);
    return name;
  }
  const std::vector<const bpf::Symbol*>* symbols_at(int section, uint64_t offset) const {
    auto it = by_offset_.find({section, offset});
    return it == by_offset_.end() ? nullptr : &it->second;
  }
  std::vector<uint64_t> generated_offsets(int section) const {
    std::vector<uint64_t> v;
    for (const auto& [key, name] : generated_)
      if (key.first == section) v.push_back(key.second);
    return v;
  }
  std::optional<std::string> generated_at(int section, uint64_t offset) const {
    auto it = generated_.find({section, offset});
    if (it == generated_.end()) return std::nullopt;
    return it->second;
  }

private:
  const ObjectFile& object_;
  std::map<std::pair<int, uint64_t>, std::vector<const bpf::Symbol*>> by_offset_;
  std::map<std::pair<int, uint64_t>, std::string> generated_;
};

struct CodeLine {
  uint64_t offset;
  size_t size;
  std::string text;
  std::string comment;
};

// Bytes of a code section that are not an instruction, as data directives; a data relocation
// among them (e.g. from `.4byte sym` in code) is kept as `.long sym + addend`.
std::string raw_bytes(const ObjectFile& o, const Section& sec,
                      const std::map<uint64_t, const bpf::Relocation*>& relocs, size_t off,
                      size_t n) {
  std::string out;
  std::string bytes;
  auto flush = [&] {
    if (bytes.empty()) return;
    out += (out.empty() ? "" : "; ") + std::string(".byte ") + bytes;
    bytes.clear();
  };
  for (size_t k = 0; k < n;) {
    auto it = relocs.find(off + k);
    const bool data_reloc = it != relocs.end() && (it->second->type == bpf::kRelocAbs32 ||
                                                   it->second->type == bpf::kRelocNoDyld32 ||
                                                   it->second->type == bpf::kRelocAbs64);
    const size_t width = data_reloc && it->second->type == bpf::kRelocAbs64 ? 8 : 4;
    if (data_reloc && k + width <= n) {
      flush();
      int64_t v = 0;
      for (size_t b = 0; b < width; ++b)
        v |= static_cast<int64_t>(sec.data[off + k + b]) << (8 * b);
      if (width == 4) v = static_cast<int32_t>(v);
      const auto& sym = o.symbols[static_cast<size_t>(it->second->symbol)];
      const std::string name = sym.type == STT_SECTION && sym.section >= 0
                                   ? o.sections[static_cast<size_t>(sym.section)].name
                                   : sym.name;
      out += (out.empty() ? "" : "; ") + std::string(width == 8 ? ".quad " : ".long ") +
             with_addend(name, v);
      k += width;
      continue;
    }
    bytes += (bytes.empty() ? "" : ", ") + std::to_string(sec.data[off + k]);
    ++k;
  }
  flush();
  return out;
}

// Decodes one code section into printable lines, asking the plan for labels.
Result<std::vector<CodeLine>> decode_section(const ObjectFile& o, int si, LabelPlan& plan) {
  const Section& sec = o.sections[si];
  std::map<uint64_t, const bpf::Relocation*> relocs;
  for (const auto& r : sec.relocations) relocs[r.offset] = &r;
  std::vector<CodeLine> lines;
  const auto& data = sec.data;
  size_t off = 0;
  while (off < data.size()) {
    bpf::DecodeError err;
    auto insn = bpf::decode(data, off, &err);
    if (!insn) {
      // Keep undecodable bytes reassemblable and visible.
      const size_t n = std::min<size_t>(bpf::kInsnBytes, data.size() - off);
      lines.push_back({off, n, raw_bytes(o, sec, relocs, off, n), "invalid: " + err.message});
      off += n;
      continue;
    }
    const auto index = static_cast<int64_t>(off / bpf::kInsnBytes);
    bpf::PrintOptions po;
    const int64_t slots = static_cast<int64_t>(data.size() / bpf::kInsnBytes);
    po.label_for = [&](int64_t target) -> std::optional<std::string> {
      if (target < 0 || target > slots) return std::nullopt;
      return plan.label_at(si, static_cast<uint64_t>(target) * bpf::kInsnBytes);
    };
    std::string comment;
    if (auto it = relocs.find(off); it != relocs.end()) {
      const auto& r = *it->second;
      const auto& sym = o.symbols[r.symbol];
      if (insn->op->form == Form::LdImm64 && r.type == bpf::kReloc64_64) {
        if (sym.type == STT_SECTION) {
          const auto target = static_cast<uint64_t>(static_cast<uint32_t>(insn->imm));
          po.imm64_text =
              sym.section >= 0 ? plan.label_at(sym.section, target) : symbol_text(sym.name);
          // A label at the exact place keeps the addend implicit in the reassembled object.
        } else {
          po.imm64_text = with_addend(sym.name, static_cast<int32_t>(insn->imm));
        }
      } else if (insn->op->form == Form::CallLocal && r.type == bpf::kReloc64_32) {
        if (sym.type == STT_SECTION && sym.section >= 0) {
          const int64_t target = insn->imm + 1;
          po.call_target_text =
              plan.label_at(sym.section, static_cast<uint64_t>(target) * bpf::kInsnBytes);
        } else {
          po.call_target_text = symbol_text(sym.name);
        }
      } else {
        comment = "relocation " + bpf::reloc_type_name(r.type) + " " + sym.name + " not applied";
      }
    } else if (insn->op->form == Form::CallLocal) {
      po.label_for = [&](int64_t target) -> std::optional<std::string> {
        if (target < 0 || target >= slots) return std::nullopt;
        return plan.label_at(si, static_cast<uint64_t>(target) * bpf::kInsnBytes);
      };
    }
    const size_t size = static_cast<size_t>(insn->slots()) * bpf::kInsnBytes;
    std::string text = bpf::format(*insn, index, po);
    if (const auto msg = bpf::validate(*insn); !msg.empty()) {
      // The assembler rejects what the validator rejects (r11+, writes to r10, ...), so such
      // bytes are printed as data to keep the listing reassemblable; the decoded text stays
      // visible in the comment.
      text = raw_bytes(o, sec, relocs, off, size);
      comment = "invalid: " + bpf::format(*insn, index, po) + ": " + msg;
    }
    lines.push_back({off, size, std::move(text), std::move(comment)});
    off += size;
  }
  return lines;
}

void print_labels(std::ostream& out, const LabelPlan& plan, int si, uint64_t offset) {
  if (const auto* syms = plan.symbols_at(si, offset)) {
    for (const auto* s : *syms) {
      const std::string name = symbol_text(s->name);
      if (s->bind == STB_GLOBAL) out << "\t.globl\t" << name << '\n';
      if (s->bind == STB_WEAK) out << "\t.weak\t" << name << '\n';
      if (s->type == STT_FUNC) out << "\t.type\t" << name << ",@function\n";
      if (s->type == STT_OBJECT) out << "\t.type\t" << name << ",@object\n";
      if (s->size) out << "\t.size\t" << name << ", " << s->size << '\n';
      out << name << ":\n";
    }
  }
  if (auto g = plan.generated_at(si, offset)) out << *g << ":\n";
}

bool printable_string_section(const Section& s) {
  if (s.data.empty() || s.data.back() != 0 || !s.relocations.empty()) return false;
  for (size_t i = 0; i + 1 < s.data.size(); ++i)
    if (s.data[i] == 0 || s.data[i] < 0x20 || s.data[i] >= 0x7f) return false;
  return true;
}

void print_data(std::ostream& out, const ObjectFile& o, int si, const LabelPlan& plan) {
  const Section& sec = o.sections[si];
  std::map<uint64_t, const bpf::Relocation*> relocs;
  for (const auto& r : sec.relocations) relocs[r.offset] = &r;
  std::set<uint64_t> boundaries;
  for (uint64_t g : plan.generated_offsets(si)) boundaries.insert(g);
  for (const auto& sym : o.symbols)
    if (sym.section == si && sym.type != STT_SECTION) boundaries.insert(sym.value);
  if (sec.type == SHT_NOBITS) {
    print_labels(out, plan, si, 0);
    uint64_t prev = 0;
    for (uint64_t b : boundaries) {
      if (b == 0) continue;
      out << "\t.zero\t" << (b - prev) << '\n';
      print_labels(out, plan, si, b);
      prev = b;
    }
    if (sec.nobits_size > prev) out << "\t.zero\t" << (sec.nobits_size - prev) << '\n';
    return;
  }
  if (printable_string_section(sec) && boundaries.size() <= 1) {
    print_labels(out, plan, si, 0);
    out << "\t.asciz\t" << quote(std::string(sec.data.begin(), sec.data.end() - 1)) << '\n';
    return;
  }
  const auto& d = sec.data;
  size_t i = 0;
  while (i < d.size()) {
    print_labels(out, plan, si, i);
    if (auto it = relocs.find(i); it != relocs.end()) {
      const auto& r = *it->second;
      const auto& sym = o.symbols[r.symbol];
      const size_t width = r.type == bpf::kRelocAbs64 ? 8 : 4;
      if (i + width <= d.size()) {
        int64_t v = 0;
        for (size_t k = 0; k < width; ++k) v |= static_cast<int64_t>(d[i + k]) << (8 * k);
        if (width == 4) v = static_cast<int32_t>(v);
        std::string target = sym.name;
        if (sym.type == STT_SECTION && sym.section >= 0) {
          target = o.sections[sym.section].name;
        }
        out << (width == 8 ? "\t.quad\t" : "\t.long\t") << with_addend(target, v) << '\n';
        i += width;
        continue;
      }
    }
    // Runs of zeros compress to .zero; other bytes print 16 per line up to the next label or
    // relocation.
    size_t stop = d.size();
    if (auto b = boundaries.upper_bound(i); b != boundaries.end())
      stop = std::min<size_t>(stop, *b);
    if (auto r = relocs.upper_bound(i); r != relocs.end()) stop = std::min<size_t>(stop, r->first);
    size_t zeros = 0;
    while (i + zeros < stop && d[i + zeros] == 0) ++zeros;
    if (zeros >= 8 || (zeros > 0 && i + zeros == stop)) {
      out << "\t.zero\t" << zeros << '\n';
      i += zeros;
      continue;
    }
    const size_t n = std::min<size_t>(16, stop - i);
    out << "\t.byte\t";
    for (size_t k = 0; k < n; ++k) out << (k ? ", " : "") << static_cast<int>(d[i + k]);
    out << '\n';
    i += n;
  }
  print_labels(out, plan, si, d.size());
}

} // namespace

Result<std::vector<DecodedSection>> decode_code_sections(const ObjectFile& object) {
  LabelPlan plan(object);
  std::vector<DecodedSection> out;
  for (size_t si = 0; si < object.sections.size(); ++si) {
    const Section& sec = object.sections[si];
    if (!sec.is_code()) continue;
    auto lines = decode_section(object, static_cast<int>(si), plan);
    if (!lines) return lines.failure();
    DecodedSection ds;
    ds.name = sec.name;
    std::map<uint64_t, const bpf::Relocation*> relocs;
    for (const auto& r : sec.relocations) relocs[r.offset] = &r;
    for (const auto& l : *lines) {
      DecodedInsn di;
      di.index = l.offset / bpf::kInsnBytes;
      di.offset = l.offset;
      di.bytes.assign(sec.data.begin() + static_cast<long>(l.offset),
                      sec.data.begin() + static_cast<long>(l.offset + l.size));
      di.text = l.text;
      di.valid = l.comment.rfind("invalid", 0) != 0;
      if (auto it = relocs.find(l.offset); it != relocs.end())
        di.relocation =
            bpf::reloc_type_name(it->second->type) + " " + object.symbols[it->second->symbol].name;
      ds.insns.push_back(std::move(di));
    }
    out.push_back(std::move(ds));
  }
  return out;
}

Result<std::string> disassemble(const ObjectFile& object, const DisasmOptions& options) {
  if (options.only_section && object.find_section(*options.only_section) < 0)
    return fail("no section '" + *options.only_section + "' in the object", {},
                "list sections with `llvm-readelf -S` or `xdpml disasm` without --section");
  LabelPlan plan(object);
  // Decode code first so jump/call labels exist before any section is printed.
  std::map<int, std::vector<CodeLine>> code;
  for (size_t si = 0; si < object.sections.size(); ++si) {
    if (!object.sections[si].is_code()) continue;
    auto lines = decode_section(object, static_cast<int>(si), plan);
    if (!lines) return lines.failure();
    code[static_cast<int>(si)] = std::move(*lines);
  }

  std::ostringstream out;
  if (!object.source_file.empty()) out << "\t.file\t" << quote(object.source_file) << '\n';
  for (const auto& sym : object.symbols)
    if (sym.section == bpf::kSectionCommon)
      out << "\t.comm\t" << sym.name << ',' << sym.size << ',' << sym.value << '\n';
  for (const auto& sym : object.symbols)
    if (sym.section == bpf::kSectionUndefined && sym.bind != STB_LOCAL)
      out << "\t" << (sym.bind == STB_WEAK ? ".weak" : ".globl") << "\t" << sym.name << '\n';
  for (size_t si = 0; si < object.sections.size(); ++si) {
    const Section& sec = object.sections[si];
    if (options.only_section && sec.name != *options.only_section) continue;
    if (sec.type == kShtLlvmAddrsig) {
      out << "\t# section " << sec.name << " (linker address-significance table) omitted\n";
      continue;
    }
    if (sec.name == ".text" && sec.flags == (bpf::kShfAlloc | bpf::kShfExec)) {
      out << "\t.text\n";
    } else {
      out << "\t.section\t" << sec.name << ",\"" << section_flags(sec.flags) << "\","
          << section_type(sec.type);
      if (sec.entsize) out << ',' << sec.entsize;
      out << '\n';
    }
    if (sec.align > 1) {
      int log2 = 0;
      while (log2 < 63 && (uint64_t{1} << log2) < sec.align) ++log2;
      out << "\t.p2align\t" << log2 << '\n';
    }
    if (!sec.is_code()) {
      print_data(out, object, static_cast<int>(si), plan);
      continue;
    }
    const auto& lines = code[static_cast<int>(si)];
    const std::vector<std::string>* notes = nullptr;
    if (auto it = options.notes.find(sec.name); it != options.notes.end()) notes = &it->second;
    std::string last_note;
    for (const auto& l : lines) {
      print_labels(out, plan, static_cast<int>(si), l.offset);
      const size_t slot = l.offset / bpf::kInsnBytes;
      if (notes && slot < notes->size() && !(*notes)[slot].empty() && (*notes)[slot] != last_note) {
        last_note = (*notes)[slot];
        out << "\t# " << last_note << '\n';
      }
      out << '\t' << l.text;
      if (options.show_bytes || !l.comment.empty()) {
        out << "\t# ";
        if (options.show_bytes)
          out << l.offset / bpf::kInsnBytes << ": " << hex_bytes(sec.data.data() + l.offset, l.size)
              << (l.comment.empty() ? "" : " ");
        out << l.comment;
      }
      out << '\n';
    }
    print_labels(out, plan, static_cast<int>(si), sec.data.size());
  }
  return out.str();
}

} // namespace xdpml::assembler
