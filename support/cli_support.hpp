// Shared conventions of every subcommand: exit codes and how failures are printed.
#pragma once

#include "support/result.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace xdpml {

// Exit codes (docs/cli.md): scripts can tell bad input from a refusing kernel.
constexpr int kExitOk = 0;
constexpr int kExitInputError = 1;  // bad input file, compile/assemble error, check violations
constexpr int kExitUsage = 2;       // command-line usage error (CLI11)
constexpr int kExitSystemError = 3; // the kernel or the environment refused (load, attach, net)
constexpr int kExitMismatch = 4;    // verification found wrong results

// JSON for standard output: strings from damaged input files may hold invalid UTF-8, which
// nlohmann's writer throws on; they are written with U+FFFD instead.
std::string json_text(const nlohmann::json& j, int indent = 2);

// Prints diagnostics to stderr (or as JSON on stdout) and returns the exit code.
int report_failure(const Failure& failure, bool json, int code = kExitInputError);

} // namespace xdpml
