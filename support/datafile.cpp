#include "support/datafile.hpp"
#include "support/input_file.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace xdpml {

namespace {
std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}
} // namespace

Result<std::vector<DataValue>> parse_data(const std::string& text, const std::string& origin,
                                          int column) {
  std::vector<DataValue> out;
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  bool first = true;
  while (std::getline(in, raw)) {
    ++line;
    std::string l = raw;
    if (auto hash = l.find('#'); hash != std::string::npos) l = l.substr(0, hash);
    l = trim(l);
    if (l.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream ss(l);
    for (std::string f; std::getline(ss, f, ',');) fields.push_back(trim(f));
    if (column < 0 || column >= static_cast<int>(fields.size())) {
      return fail("line has " + std::to_string(fields.size()) + " field(s); column " +
                      std::to_string(column) + " does not exist",
                  {origin, line, 1, static_cast<int>(raw.size()), {}},
                  "choose the column with --column (0-based)");
    }
    const std::string& f = fields[static_cast<size_t>(column)];
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(f.c_str(), &end);
    const bool numeric = !f.empty() && end && *end == '\0';
    if (!numeric) {
      if (first) { // a header line
        first = false;
        continue;
      }
      const auto col = raw.find(f);
      Diagnostic d =
          make_error("'" + f + "' is not a number",
                     {origin,
                      line,
                      col == std::string::npos ? 1 : static_cast<int>(col) + 1,
                      static_cast<int>(f.size()),
                      {}},
                     "data files hold one number per line (or CSV); '#' starts a comment");
      d.source_line = raw;
      return fail(d);
    }
    first = false;
    out.push_back({f, v, line});
  }
  return out;
}

Result<std::vector<DataValue>> read_data_file(const std::string& path, int column) {
  auto text = read_input_file(path, "data file");
  if (!text) return text.failure();
  return parse_data(*text, path, column);
}

} // namespace xdpml
