#include "support/datafile.hpp"
#include "support/input_file.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
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
  std::optional<std::pair<int, std::string>> header; // the first line, taken as column names
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
    const bool numeric = !f.empty() && end == f.c_str() + f.size(); // a NUL inside is not the end
    // A header names columns: printable text with a letter in it. Anything else on the first
    // line (binary bytes, a lone symbol) is an error, not a silently skipped line.
    auto header_like = [](const std::string& text) {
      bool letter = false;
      for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 && c != '\t') return false;
        if (c == 0x7f) return false;
        letter = letter || std::isalpha(c);
      }
      return letter;
    };
    if (!numeric) {
      if (first && header_like(raw)) {
        first = false;
        header = std::make_pair(line, l);
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
  if (out.empty() && header)
    return fail("no values: the only line, '" + header->second.substr(0, 60) +
                    "', is not a number (it was read as a header)",
                {origin, header->first, 0, 1, {}},
                "data files hold one number per line (or CSV with a header line)");
  return out;
}

Result<std::vector<DataValue>> read_data_file(const std::string& path, int column) {
  auto text = read_input_file(path, "data file");
  if (!text) return text.failure();
  return parse_data(*text, path, column);
}

} // namespace xdpml
