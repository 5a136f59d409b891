// Helpers shared by the unit tests.
#pragma once

#include "asm/assembler.hpp"
#include "bpf/kernel.hpp"
#include "compiler/anova/reference.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <vector>

namespace xdpml::testing {

// True when this process cannot load BPF programs, after reporting the test as skipped: under
// ctest (which sets XDPML_TEST_SKIP_CODE and runs one test case per process) the process exits
// with that code and ctest shows "Skipped" (SKIP_RETURN_CODE); run by hand, the test fails,
// so "All tests passed" never means "compared nothing". Call it before the first kernel check.
inline bool no_kernel() {
  static const bool usable = bpf::can_load_programs();
  if (usable) return false;
  if (const char* code = std::getenv("XDPML_TEST_SKIP_CODE")) {
    std::fprintf(stderr, "skipped: BPF program loading is unavailable (not root?)\n");
    std::fflush(stderr);
    std::_Exit(std::atoi(code));
  }
  FAIL("BPF program loading is unavailable (not root?): this kernel test cannot run; under ctest "
       "it is reported as skipped");
  return true;
}

// The samples an f64 program computes from `x` (program_f64_fixed of each), or nullopt when
// one of them is invalid, which makes the whole packet invalid.
inline std::optional<std::vector<uint32_t>> fixed_samples(std::span<const double> x,
                                                          uint32_t scale) {
  std::vector<uint32_t> out(x.size());
  for (size_t k = 0; k < x.size(); ++k) {
    const auto f = anova::program_f64_fixed(x[k], scale);
    if (!f) return std::nullopt;
    out[k] = static_cast<uint32_t>(*f);
  }
  return out;
}

inline std::string source_path(const std::string& relative) {
  return std::string(XDPML_SOURCE_DIR) + "/" + relative;
}

inline std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

inline std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Splits on " | " (texts contain "|=" but never " | ").
inline std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const auto p = line.find(" | ", start);
    out.push_back(trim(line.substr(start, p == std::string::npos ? std::string::npos : p - start)));
    if (p == std::string::npos) break;
    start = p + 3;
  }
  return out;
}

// Bytes of .text after assembling one instruction; the failure text on error.
inline std::vector<uint8_t> assemble_text_section(const std::string& insn,
                                                  std::string* error = nullptr) {
  auto obj = assembler::assemble("\t.text\n\t" + insn + "\n", {"<test>"});
  if (!obj) {
    if (error) *error = obj.diagnostics().render();
    return {};
  }
  return obj->sections[static_cast<size_t>(obj->find_section(".text"))].data;
}

inline std::string hex(const std::vector<uint8_t>& b) {
  std::string s;
  char buf[4];
  for (size_t i = 0; i < b.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%02x", i ? " " : "", b[i]);
    s += buf;
  }
  return s;
}

inline std::vector<uint8_t> parse_hex(const std::string& s) {
  std::vector<uint8_t> out;
  std::istringstream in(s);
  for (std::string byte; in >> byte;)
    out.push_back(static_cast<uint8_t>(std::stoul(byte, nullptr, 16)));
  return out;
}

} // namespace xdpml::testing
