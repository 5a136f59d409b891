// Writing what a command produces (-o objects, -S listings, --plot/--csv files) the way
// compilers do: a regular file (or a new path) is written to a fresh temporary beside it
// (mkstemp, O_EXCL) and renamed over the target, so a failure never leaves a half-written file;
// anything else the path names (/dev/null, a FIFO, a terminal, a symlink's target that is not a
// regular file) is written in place and never replaced. Every write and the close are checked:
// a full disk (/dev/full) is an error naming the file, not exit 0 with a truncated output.
#pragma once

#include "support/result.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace xdpml {

Status write_output_file(const std::string& path, std::span<const uint8_t> bytes);
Status write_output_file(const std::string& path, std::string_view text);

// Flushes standard output and reports whether everything written to it arrived (a closed pipe
// or a full disk otherwise passes silently).
Status flush_stdout();

} // namespace xdpml
