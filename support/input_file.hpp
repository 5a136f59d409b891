// Reading an input file whole, with the errors a user can act on: a missing file, a directory,
// a read error, a file too large to be what it claims. Every reader of user files goes through
// here instead of an ifstream whose failures surface as exceptions or empty input.
#pragma once

#include "support/result.hpp"

#include <cstddef>
#include <string>

namespace xdpml {

// `what` names the file's role in messages ("model", "data file", "object").
Result<std::string> read_input_file(const std::string& path, const std::string& what,
                                    size_t max_bytes = size_t{256} << 20);

} // namespace xdpml
