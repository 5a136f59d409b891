#include "tests/storm/mutants.hpp"

#include <cstdio>

namespace xdpml::storm {

namespace {

std::string num(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
  return buf;
}

// r2 = data, r3 = data_end; to `short_exit` unless the frame holds `length` bytes.
std::string prologue(uint64_t length, const char* short_exit = "pass") {
  return "\t.section xdp,\"ax\",@progbits\n"
         "\t.globl storm_mutant\n"
         "\t.type storm_mutant,@function\n"
         "storm_mutant:\n"
         "\tr2 = *(u32 *)(r1 + 0)\n"
         "\tr3 = *(u32 *)(r1 + 4)\n"
         "\tr4 = r2\n"
         "\tr4 += " +
         num(length) +
         "\n"
         "\tif r4 > r3 goto " +
         short_exit + "\n";
}

std::string magic_check(const Layout& l, const char* exit = "pass") {
  return "\tr5 = *(u64 *)(r2 + " + num(l.magic_offset) + ")\n\tr6 = " + num(l.magic) +
         " ll\n\tif r5 != r6 goto " + exit + "\n";
}

std::string tag_check(const Layout& l, const char* exit = "pass") {
  return "\tr5 = *(u64 *)(r2 + " + num(l.tag_offset) + ")\n\tif r5 != 0 goto " + exit + "\n";
}

std::string write_tag(const Layout& l) {
  return "\tr5 = " + num(l.tags.front()) + "\n\t*(u64 *)(r2 + " + num(l.tag_offset) + ") = r5\n";
}

const char* kPass = "pass:\n\tr0 = 2\n\texit\n";

std::string no_tag_check(const Layout& l) {
  return prologue(l.frame_bytes) + magic_check(l) + write_tag(l) + kPass;
}

std::string short_length(const Layout& l) {
  return prologue(l.tag_offset + 8) + magic_check(l) + tag_check(l) + write_tag(l) + kPass;
}

std::string drops_foreign(const Layout& l) {
  return prologue(l.frame_bytes) + magic_check(l, "drop") + tag_check(l, "drop") + write_tag(l) +
         kPass + "drop:\n\tr0 = 1\n\texit\n";
}

// Flips a bit of the first data byte of every frame it owns.
std::string writes_data(const Layout& l) {
  const std::string data = num(l.wire.data_offset);
  return prologue(l.frame_bytes) + magic_check(l) + tag_check(l) + write_tag(l) +
         "\tr5 = *(u8 *)(r2 + " + data + ")\n\tr5 ^= 1\n\t*(u8 *)(r2 + " + data + ") = r5\n" +
         kPass;
}

// Length, magic and tag only, under a contract that promises the full match.
std::string ignores_headers(const Layout& l) {
  return prologue(l.frame_bytes) + magic_check(l) + tag_check(l) + write_tag(l) + kPass;
}

} // namespace

const std::vector<Mutant>& mutants() {
  static const std::vector<Mutant> all = {
      {"no-tag-check", "processes frames whose tag is already set", "anova-u32", "tag_set",
       no_tag_check},
      {"short-length", "checks only the bytes up to the tag, not layout.frame_bytes", "anova-u32",
       "truncated", short_length},
      {"drops-foreign", "returns XDP_DROP for frames that are not its own", "anova-u32", "magic",
       drops_foreign},
      {"writes-data", "changes a data byte besides the tag", "anova-u32", "ours", writes_data},
      {"ignores-headers", "matches only the magic under a full-match contract", "anova-u32-full",
       "fragment", ignores_headers},
  };
  return all;
}

} // namespace xdpml::storm
