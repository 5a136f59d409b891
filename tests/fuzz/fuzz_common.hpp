// Shared helpers for the libFuzzer targets: object comparison and loud failure.
#pragma once

#include "bpf/object.hpp"
#include "support/result.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace xdpml::fuzz {

// XDPML_FUZZ_ROUNDTRIP selects what fuzz_asm checks of asm -> disasm -> asm:
//   unset/"full": section bytes and code relocations;  "bytes": section bytes only;
//   "0"/"off": nothing (keep hunting memory errors while a known round-trip bug is open).
enum class Roundtrip { Off, Bytes, Full };
inline Roundtrip roundtrip_level() {
  static const Roundtrip level = [] {
    const char* v = std::getenv("XDPML_FUZZ_ROUNDTRIP");
    const std::string_view s = v ? v : "";
    if (s == "0" || s == "off") return Roundtrip::Off;
    if (s == "bytes") return Roundtrip::Bytes;
    return Roundtrip::Full;
  }();
  return level;
}

// Objects with more section bytes than this skip the disassembly round trip: `.zero 67108864`
// in a code section is a legal 13-byte input whose listing has 8M lines, which only measures
// speed. Everything else (assemble, write_elf) still runs on them.
constexpr size_t kMaxRoundtripBytes = size_t{1} << 20;

// write_elf pads each section to its alignment inside a memfd (RAM): an object with a huge
// sh_addralign makes a huge image (`.balign 1099511627776` asks for 1 TiB). Above this the
// targets do not call write_elf (fuzz_asm reports it, fuzz_elf just skips it).
constexpr uint64_t kMaxWriteAlign = uint64_t{1} << 20;

inline uint64_t max_section_align(const bpf::ObjectFile& o) {
  uint64_t a = 0;
  for (const auto& s : o.sections) a = s.align > a ? s.align : a;
  return a;
}

inline size_t total_section_bytes(const bpf::ObjectFile& o) {
  size_t n = 0;
  for (const auto& s : o.sections) n += s.data.size();
  return n;
}

[[noreturn]] inline void die(const std::string& what, const std::string& details) {
  std::fprintf(stderr, "\n==== xdpml fuzz invariant violated: %s\n%s\n==== end\n", what.c_str(),
               details.c_str());
  std::fflush(stderr);
  std::abort();
}

inline std::string diag_text(const Diagnostics& d) {
  return d.render();
}

// "" if the two objects have the same section bytes, otherwise a description of the first
// difference. Empty sections may appear on one side only (.text is always created).
inline std::string compare_sections(const bpf::ObjectFile& a, const bpf::ObjectFile& b) {
  auto describe_missing = [](const bpf::ObjectFile& from, const bpf::ObjectFile& in,
                             const char* side) -> std::string {
    for (const auto& s : from.sections) {
      if (s.size() == 0) continue;
      if (in.find_section(s.name) < 0)
        return "section '" + s.name + "' (" + std::to_string(s.size()) + " bytes) only in " + side;
    }
    return {};
  };
  if (auto m = describe_missing(a, b, "the first object"); !m.empty()) return m;
  if (auto m = describe_missing(b, a, "the re-assembled object"); !m.empty()) return m;
  for (const auto& sa : a.sections) {
    const int ib = b.find_section(sa.name);
    if (ib < 0) continue;
    const auto& sb = b.sections[static_cast<size_t>(ib)];
    if (sa.size() != sb.size())
      return "section '" + sa.name + "': size " + std::to_string(sa.size()) + " vs " +
             std::to_string(sb.size());
    if ((sa.type == 8) != (sb.type == 8))
      return "section '" + sa.name + "': @nobits on one side only";
    for (size_t k = 0; k < sa.data.size(); ++k)
      if (sa.data[k] != sb.data[k]) {
        char buf[96];
        std::snprintf(buf, sizeof buf, ": first difference at byte %zu (0x%02x vs 0x%02x)", k,
                      sa.data[k], sb.data[k]);
        return "section '" + sa.name + "'" + buf;
      }
  }
  return {};
}

// Relocations of code sections as "section offset type symbol" lines, the way
// tests/corpus/roundtrip.sh compares them (section symbols are named after their section).
inline std::string code_relocations(const bpf::ObjectFile& o) {
  std::string out;
  for (const auto& s : o.sections) {
    if (!s.is_code()) continue;
    for (const auto& r : s.relocations) {
      std::string sym = "?";
      if (r.symbol >= 0 && static_cast<size_t>(r.symbol) < o.symbols.size()) {
        const auto& y = o.symbols[static_cast<size_t>(r.symbol)];
        sym = (y.type == 3 /*STT_SECTION*/ && y.section >= 0)
                  ? o.sections[static_cast<size_t>(y.section)].name
                  : y.name;
      }
      out += s.name + " " + std::to_string(r.offset) + " " + bpf::reloc_type_name(r.type) + " " +
             sym + "\n";
    }
  }
  return out;
}

// The first line where two multi-line texts differ, as "'a' vs 'b'".
inline std::string first_line_difference(const std::string& a, const std::string& b) {
  size_t pa = 0, pb = 0;
  while (pa < a.size() || pb < b.size()) {
    const size_t ea = std::min(a.find('\n', pa), a.size()),
                 eb = std::min(b.find('\n', pb), b.size());
    const std::string la = pa < a.size() ? a.substr(pa, ea - pa) : "",
                      lb = pb < b.size() ? b.substr(pb, eb - pb) : "";
    if (la != lb) return "'" + la + "' vs '" + lb + "'";
    pa = ea + 1;
    pb = eb + 1;
  }
  return "(none)";
}

} // namespace xdpml::fuzz
