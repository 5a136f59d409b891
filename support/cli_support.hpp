// Shared conventions of every subcommand: exit codes and how failures are printed.
#pragma once

#include "support/result.hpp"

namespace xdpml {

// Exit codes (docs/cli.md): scripts can tell bad input from a refusing kernel.
constexpr int kExitOk = 0;
constexpr int kExitInputError = 1;  // bad input file, compile/assemble error, check violations
constexpr int kExitUsage = 2;       // command-line usage error (CLI11)
constexpr int kExitSystemError = 3; // the kernel or the environment refused (load, attach, net)
constexpr int kExitMismatch = 4;    // verification found wrong results

// Prints diagnostics to stderr (or as JSON on stdout) and returns the exit code.
int report_failure(const Failure& failure, bool json, int code = kExitInputError);

} // namespace xdpml
