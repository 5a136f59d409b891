// Data files: one value per line, or CSV (one column picked). Blank lines and '#' comments are
// skipped; a header line is allowed as the first line; anything else that is not a number is
// an error naming file:line.
#pragma once

#include "support/result.hpp"

#include <string>
#include <vector>

namespace xdpml {

struct DataValue {
  std::string text; // the value exactly as written (for exact decimal arithmetic)
  double value = 0; // strtod of text (NaN and infinities allowed)
  int line = 0;
};

Result<std::vector<DataValue>> read_data_file(const std::string& path, int column = 0);
Result<std::vector<DataValue>> parse_data(const std::string& text, const std::string& origin,
                                          int column = 0);

} // namespace xdpml
