#include "bpf/elf.hpp"

#include "support/input_file.hpp"
#include "support/output_file.hpp"

#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>

#ifndef EM_BPF
#define EM_BPF 247
#endif

namespace xdpml::bpf {

namespace {

std::string elf_error() {
  return elf_errmsg(-1) ? elf_errmsg(-1) : "unknown libelf error";
}

struct ElfDeleter {
  void operator()(Elf* e) const { elf_end(e); }
};
using ElfPtr = std::unique_ptr<Elf, ElfDeleter>;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

class StringTable {
public:
  StringTable() { data_.push_back('\0'); }
  uint32_t add(const std::string& s) {
    if (s.empty()) return 0;
    auto it = offsets_.find(s);
    if (it != offsets_.end()) return it->second;
    const auto off = static_cast<uint32_t>(data_.size());
    data_.insert(data_.end(), s.begin(), s.end());
    data_.push_back('\0');
    offsets_.emplace(s, off);
    return off;
  }
  std::vector<char>& data() { return data_; }

private:
  std::vector<char> data_;
  std::map<std::string, uint32_t> offsets_;
};

} // namespace

Result<std::vector<uint8_t>> write_elf(const ObjectFile& object) {
  if (elf_version(EV_CURRENT) == EV_NONE)
    return fail("libelf initialisation failed: " + elf_error());

  // Section numbering: 0 null, 1 .strtab, then each section followed by its .rel section,
  // then .symtab.
  std::vector<size_t> elf_index(object.sections.size());
  size_t next = 2;
  for (size_t i = 0; i < object.sections.size(); ++i) {
    elf_index[i] = next++;
    if (!object.sections[i].relocations.empty()) ++next;
  }
  const size_t symtab_index = next;

  // Symbols: null, file, locals, then globals (ELF requires locals first).
  StringTable strtab;
  std::vector<Elf64_Sym> syms(1);
  std::vector<int> sym_index(object.symbols.size(), 0);
  if (!object.source_file.empty()) {
    Elf64_Sym s{};
    s.st_name = strtab.add(object.source_file);
    s.st_info = ELF64_ST_INFO(STB_LOCAL, STT_FILE);
    s.st_shndx = SHN_ABS;
    syms.push_back(s);
  }
  auto emit = [&](bool locals) {
    for (size_t i = 0; i < object.symbols.size(); ++i) {
      const Symbol& sym = object.symbols[i];
      if ((sym.bind == STB_LOCAL) != locals) continue;
      Elf64_Sym s{};
      s.st_name = sym.type == STT_SECTION ? 0 : strtab.add(sym.name);
      s.st_info = ELF64_ST_INFO(sym.bind, sym.type);
      s.st_value = sym.value;
      s.st_size = sym.size;
      s.st_shndx = sym.section >= 0 ? static_cast<Elf64_Section>(elf_index[sym.section])
                   : sym.section == kSectionAbsolute ? SHN_ABS
                   : sym.section == kSectionCommon   ? SHN_COMMON
                                                     : SHN_UNDEF;
      sym_index[i] = static_cast<int>(syms.size());
      syms.push_back(s);
    }
  };
  emit(true);
  const auto first_global = static_cast<uint32_t>(syms.size());
  emit(false);

  std::vector<std::vector<Elf64_Rel>> rels(object.sections.size());
  for (size_t i = 0; i < object.sections.size(); ++i)
    for (const auto& r : object.sections[i].relocations) {
      if (r.symbol < 0 || r.symbol >= static_cast<int>(object.symbols.size()))
        return fail("relocation in section '" + object.sections[i].name + "' names no symbol");
      rels[i].push_back({r.offset, ELF64_R_INFO(sym_index[r.symbol], r.type)});
    }

  std::vector<uint32_t> name_off(object.sections.size()), rel_name_off(object.sections.size());
  const uint32_t strtab_name = strtab.add(".strtab");
  const uint32_t symtab_name = strtab.add(".symtab");
  for (size_t i = 0; i < object.sections.size(); ++i) {
    name_off[i] = strtab.add(object.sections[i].name);
    if (!rels[i].empty()) rel_name_off[i] = strtab.add(".rel" + object.sections[i].name);
  }

  Fd fd;
  fd.fd = memfd_create("xdpml-elf", MFD_CLOEXEC);
  if (fd.fd < 0) return fail(std::string("memfd_create: ") + strerror(errno));
  ElfPtr elf(elf_begin(fd.fd, ELF_C_WRITE, nullptr));
  if (!elf) return fail("elf_begin: " + elf_error());
  Elf64_Ehdr* eh = elf64_newehdr(elf.get());
  if (!eh) return fail("elf64_newehdr: " + elf_error());
  eh->e_ident[EI_DATA] = ELFDATA2LSB;
  eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
  eh->e_type = ET_REL;
  eh->e_machine = EM_BPF;
  eh->e_version = EV_CURRENT;
  eh->e_shstrndx = 1;

  auto new_section = [&](uint32_t name, uint32_t type, uint64_t flags, uint64_t align,
                         uint64_t entsize, const void* buf, size_t size, Elf_Type dtype,
                         uint32_t link, uint32_t info) -> Status {
    Elf_Scn* scn = elf_newscn(elf.get());
    if (!scn) return fail("elf_newscn: " + elf_error());
    Elf_Data* d = elf_newdata(scn);
    if (!d) return fail("elf_newdata: " + elf_error());
    d->d_buf = const_cast<void*>(buf);
    d->d_size = size;
    d->d_align = align ? align : 1;
    d->d_type = dtype;
    d->d_version = EV_CURRENT;
    Elf64_Shdr* sh = elf64_getshdr(scn);
    sh->sh_name = name;
    sh->sh_type = type;
    sh->sh_flags = flags;
    sh->sh_addralign = align ? align : 1;
    sh->sh_entsize = entsize;
    sh->sh_link = link;
    sh->sh_info = info;
    if (type == SHT_NOBITS) sh->sh_size = size;
    return ok_status();
  };

  // The string table must be complete before its Elf_Data is handed over.
  auto& strdata = strtab.data();
  if (auto s = new_section(strtab_name, SHT_STRTAB, 0, 1, 0, strdata.data(), strdata.size(),
                           ELF_T_BYTE, 0, 0);
      !s)
    return s.failure();
  for (size_t i = 0; i < object.sections.size(); ++i) {
    const Section& sec = object.sections[i];
    const bool nobits = sec.type == SHT_NOBITS;
    if (auto s = new_section(name_off[i], sec.type, sec.flags, sec.align, sec.entsize,
                             nobits ? nullptr : sec.data.data(),
                             nobits ? sec.nobits_size : sec.data.size(), ELF_T_BYTE, 0, 0);
        !s)
      return s.failure();
    if (!rels[i].empty()) {
      if (auto s =
              new_section(rel_name_off[i], SHT_REL, SHF_INFO_LINK, 8, sizeof(Elf64_Rel),
                          rels[i].data(), rels[i].size() * sizeof(Elf64_Rel), ELF_T_REL,
                          static_cast<uint32_t>(symtab_index), static_cast<uint32_t>(elf_index[i]));
          !s)
        return s.failure();
    }
  }
  if (auto s = new_section(symtab_name, SHT_SYMTAB, 0, 8, sizeof(Elf64_Sym), syms.data(),
                           syms.size() * sizeof(Elf64_Sym), ELF_T_SYM, 1, first_global);
      !s)
    return s.failure();

  if (elf_update(elf.get(), ELF_C_WRITE) < 0) return fail("elf_update: " + elf_error());
  elf.reset();

  const off_t size = lseek(fd.fd, 0, SEEK_END);
  std::vector<uint8_t> out(static_cast<size_t>(size));
  if (pread(fd.fd, out.data(), out.size(), 0) != size)
    return fail(std::string("reading back the ELF image: ") + strerror(errno));
  return out;
}

Status write_elf_file(const ObjectFile& object, const std::string& path) {
  auto image = write_elf(object);
  if (!image) return image.failure();
  return write_output_file(path, std::span<const uint8_t>(*image));
}

Result<std::vector<uint8_t>> read_file_bytes(const std::string& path) {
  auto text = read_input_file(path, "object");
  if (!text) return text.failure();
  return std::vector<uint8_t>(text->begin(), text->end());
}

Result<ObjectFile> read_elf(std::span<const uint8_t> bytes, const std::string& origin) {
  auto error = [&](const std::string& msg, const std::string& section = {}) {
    SourceLocation loc{origin, 0, 0, 1, section.empty() ? "" : "section '" + section + "'"};
    return fail(msg, loc, "is this a relocatable BPF object (clang -target bpf -c, xdpml asm)?");
  };
  if (elf_version(EV_CURRENT) == EV_NONE) return error("libelf initialisation failed");
  if (bytes.size() < EI_NIDENT || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0)
    return error("not an ELF file (bad magic)");
  // libelf wants a mutable buffer even for reading; work on a private copy.
  std::vector<char> buffer(bytes.begin(), bytes.end());
  ElfPtr elf(elf_memory(buffer.data(), buffer.size()));
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF) return error("unreadable ELF: " + elf_error());
  if (gelf_getclass(elf.get()) != ELFCLASS64) return error("not a 64-bit ELF object");
  GElf_Ehdr eh;
  if (!gelf_getehdr(elf.get(), &eh)) return error("bad ELF header: " + elf_error());
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB) return error("big-endian BPF objects are not supported");
  if (eh.e_machine != EM_BPF)
    return error("ELF machine is " + std::to_string(eh.e_machine) + ", not BPF (247)");
  if (eh.e_type != ET_REL)
    return error("not a relocatable object (e_type " + std::to_string(eh.e_type) + ")");
  if (eh.e_shoff == 0 || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > bytes.size() ||
      static_cast<uint64_t>(eh.e_shnum) * eh.e_shentsize > bytes.size() - eh.e_shoff)
    return error("the section header table lies outside the file (truncated object?)");
  size_t shstrndx = 0, shnum = 0;
  if (elf_getshdrstrndx(elf.get(), &shstrndx) != 0 || elf_getshdrnum(elf.get(), &shnum) != 0)
    return error("bad section header table: " + elf_error());

  // The string tables the ELF layer itself uses (section names, symbol names); any other
  // SHT_STRTAB section is data of the object (xdpml's contract is one).
  std::vector<size_t> elf_string_tables = {shstrndx};
  for (size_t i = 1; i < shnum; ++i) {
    GElf_Shdr sh;
    Elf_Scn* scn = elf_getscn(elf.get(), i);
    if (scn && gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
      elf_string_tables.push_back(sh.sh_link);
  }

  ObjectFile object;
  std::vector<int> our_index(shnum, -1);
  size_t symtab_ndx = 0;
  std::vector<std::pair<size_t, GElf_Shdr>> rel_sections;
  for (size_t i = 1; i < shnum; ++i) {
    Elf_Scn* scn = elf_getscn(elf.get(), i);
    GElf_Shdr sh;
    if (!scn || !gelf_getshdr(scn, &sh))
      return error("bad section header " + std::to_string(i) + ": " + elf_error());
    const char* name = elf_strptr(elf.get(), shstrndx, sh.sh_name);
    if (!name) return error("section " + std::to_string(i) + " has an invalid name offset");
    if (sh.sh_type == SHT_SYMTAB) {
      if (symtab_ndx) return error("more than one symbol table", name);
      symtab_ndx = i;
      continue;
    }
    if (sh.sh_type == SHT_REL) {
      rel_sections.emplace_back(i, sh);
      continue;
    }
    if (sh.sh_type == SHT_RELA) return error("RELA relocations are not used by BPF objects", name);
    if (sh.sh_type == SHT_NULL ||
        std::find(elf_string_tables.begin(), elf_string_tables.end(), i) != elf_string_tables.end())
      continue;
    // Alignment beyond a page is meaningless for BPF and would make a rewritten image huge.
    if (sh.sh_addralign > 4096 || (sh.sh_addralign & (sh.sh_addralign - 1)))
      return error("section alignment " + std::to_string(sh.sh_addralign) +
                       " is not a power of two up to 4096",
                   name);
    Section sec;
    sec.name = name;
    sec.type = sh.sh_type;
    sec.flags = sh.sh_flags;
    sec.align = sh.sh_addralign;
    sec.entsize = sh.sh_entsize;
    if (sh.sh_type == SHT_NOBITS) {
      sec.nobits_size = sh.sh_size;
    } else {
      if (sh.sh_offset > bytes.size() || sh.sh_size > bytes.size() - sh.sh_offset)
        return error("section data lies outside the file", name);
      Elf_Data* d = elf_getdata(scn, nullptr);
      if (!d && sh.sh_size) return error("cannot read section data: " + elf_error(), name);
      if (d && d->d_buf)
        sec.data.assign(static_cast<uint8_t*>(d->d_buf),
                        static_cast<uint8_t*>(d->d_buf) + d->d_size);
    }
    our_index[i] = static_cast<int>(object.sections.size());
    object.sections.push_back(std::move(sec));
  }

  std::vector<int> sym_map; // ELF symbol index -> ours (-1 for null/file)
  if (symtab_ndx) {
    Elf_Scn* scn = elf_getscn(elf.get(), symtab_ndx);
    GElf_Shdr sh;
    gelf_getshdr(scn, &sh);
    if (sh.sh_offset > bytes.size() || sh.sh_size > bytes.size() - sh.sh_offset)
      return error("symbol table lies outside the file", ".symtab");
    Elf_Data* d = elf_getdata(scn, nullptr);
    if (!d) return error("cannot read the symbol table: " + elf_error(), ".symtab");
    const size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
    if (sh.sh_entsize != sizeof(Elf64_Sym))
      return error("symbol table has entry size " + std::to_string(sh.sh_entsize), ".symtab");
    sym_map.assign(count, -1);
    for (size_t i = 1; i < count; ++i) {
      GElf_Sym s;
      if (!gelf_getsym(d, static_cast<int>(i), &s))
        return error("bad symbol " + std::to_string(i), ".symtab");
      const char* nm = elf_strptr(elf.get(), sh.sh_link, s.st_name);
      if (!nm)
        return error("symbol " + std::to_string(i) + " has an invalid name offset", ".symtab");
      const int type = GELF_ST_TYPE(s.st_info);
      if (type == STT_FILE) {
        object.source_file = nm;
        continue;
      }
      Symbol sym;
      sym.name = nm;
      sym.type = static_cast<uint8_t>(type);
      sym.bind = static_cast<uint8_t>(GELF_ST_BIND(s.st_info));
      sym.value = s.st_value;
      sym.size = s.st_size;
      if (s.st_shndx == SHN_UNDEF)
        sym.section = -1;
      else if (s.st_shndx == SHN_ABS)
        sym.section = kSectionAbsolute;
      else if (s.st_shndx == SHN_COMMON)
        sym.section = kSectionCommon;
      else if (s.st_shndx >= shnum || our_index[s.st_shndx] < 0)
        return error("symbol '" + sym.name + "' points at section " + std::to_string(s.st_shndx) +
                         ", which holds no data",
                     ".symtab");
      else
        sym.section = our_index[s.st_shndx];
      if (type == STT_SECTION) {
        if (sym.section < 0)
          return error("section symbol " + std::to_string(i) + " is not attached to a section",
                       ".symtab");
        sym.name = object.sections[static_cast<size_t>(sym.section)].name;
      }
      sym_map[i] = static_cast<int>(object.symbols.size());
      object.symbols.push_back(std::move(sym));
    }
  }

  for (const auto& [ndx, sh] : rel_sections) {
    const char* name = elf_strptr(elf.get(), shstrndx, sh.sh_name);
    const std::string rname = name ? name : "?";
    if (sh.sh_info >= shnum || our_index[sh.sh_info] < 0)
      return error("relocation section applies to section " + std::to_string(sh.sh_info) +
                       ", which holds no data",
                   rname);
    if (sh.sh_link != symtab_ndx)
      return error("relocation section does not use the symbol table", rname);
    if (sh.sh_entsize != sizeof(Elf64_Rel))
      return error("relocation entry size is " + std::to_string(sh.sh_entsize), rname);
    if (sh.sh_offset > bytes.size() || sh.sh_size > bytes.size() - sh.sh_offset)
      return error("relocation data lies outside the file", rname);
    Section& target = object.sections[our_index[sh.sh_info]];
    Elf_Data* d = elf_getdata(elf_getscn(elf.get(), ndx), nullptr);
    if (!d) return error("cannot read relocations: " + elf_error(), rname);
    const size_t count = sh.sh_size / sizeof(Elf64_Rel);
    for (size_t i = 0; i < count; ++i) {
      GElf_Rel r;
      if (!gelf_getrel(d, static_cast<int>(i), &r))
        return error("bad relocation " + std::to_string(i), rname);
      const size_t symi = GELF_R_SYM(r.r_info);
      if (symi == 0 || symi >= sym_map.size() || sym_map[symi] < 0)
        return error("relocation " + std::to_string(i) + " names invalid symbol " +
                         std::to_string(symi),
                     rname);
      if (r.r_offset > target.size() || target.size() - r.r_offset < 4)
        return error("relocation " + std::to_string(i) + " at offset " +
                         std::to_string(r.r_offset) + " lies outside its section",
                     rname);
      target.relocations.push_back(
          {r.r_offset, static_cast<uint32_t>(GELF_R_TYPE(r.r_info)), sym_map[symi]});
    }
  }
  return object;
}

Result<ObjectFile> read_elf_file(const std::string& path) {
  auto bytes = read_file_bytes(path);
  if (!bytes) return bytes.failure();
  return read_elf(*bytes, path);
}

} // namespace xdpml::bpf
