#include "compiler/model/features.hpp"
#include "support/input_file.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace xdpml::model {

namespace {

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool any = false;
  const bool commas = line.find(',') != std::string::npos;
  for (char ch : line) {
    const bool sep = commas ? ch == ',' : (ch == ' ' || ch == '\t');
    if (sep) {
      if (commas || any) out.push_back(cur);
      cur.clear();
      any = false;
    } else if (!(ch == ' ' || ch == '\t') || any) {
      cur += ch;
      any = true;
    }
  }
  if (commas || any) out.push_back(cur);
  for (auto& f : out) {
    while (!f.empty() && (f.back() == ' ' || f.back() == '\t')) f.pop_back();
  }
  return out;
}

bool parse_number(const std::string& s, double* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return false;
  *out = v;
  return true;
}

std::string show(const std::string& s) {
  std::string out;
  for (char ch : s.substr(0, 40)) out += (ch >= 0x20 && ch < 0x7f) ? ch : '?';
  return s.size() > 40 ? out + "..." : out;
}

} // namespace

Result<FeatureTable> read_feature_csv_text(const std::string& text, uint32_t features,
                                           const std::string& origin) {
  FeatureTable t;
  t.path = origin;
  t.features = features;
  std::istringstream in(text);
  std::string line;
  size_t line_no = 0;
  int width = -1; // fields per row, fixed by the first row
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find('\0') != std::string::npos)
      return fail("line " + std::to_string(line_no) + " contains a NUL byte",
                  {origin, static_cast<int>(line_no), 0, 1, {}}, "is this a text CSV file?");
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto fields = split_fields(line);
    std::vector<double> values(fields.size());
    bool numeric = true;
    for (size_t i = 0; i < fields.size() && numeric; ++i)
      numeric = parse_number(fields[i], &values[i]);
    if (!numeric) {
      // Only the first non-comment line may be a header, and only if it has no number in it.
      bool any_number = false;
      double ignored = 0;
      for (const auto& f : fields) any_number = any_number || parse_number(f, &ignored);
      if (t.rows.empty() && t.columns.empty() && !any_number) {
        t.columns = fields;
        continue;
      }
      size_t bad = 0;
      while (bad < fields.size() && parse_number(fields[bad], &ignored)) ++bad;
      return fail("column " + std::to_string(bad + 1) + " is not a number: '" +
                      show(bad < fields.size() ? fields[bad] : "") + "'",
                  {origin, static_cast<int>(line_no), 0, 1, {}},
                  "rows hold " + std::to_string(features) +
                      " feature values, optionally followed by a label");
    }
    if (values.size() != features && values.size() != features + 1)
      return fail("row has " + std::to_string(values.size()) + " columns; the model takes " +
                      std::to_string(features) + " features (and an optional label column)",
                  {origin, static_cast<int>(line_no), 0, 1, {}});
    if (width >= 0 && static_cast<int>(values.size()) != width)
      return fail("row has " + std::to_string(values.size()) + " columns, the first row had " +
                      std::to_string(width),
                  {origin, static_cast<int>(line_no), 0, 1, {}});
    width = static_cast<int>(values.size());
    for (size_t i = 0; i < features; ++i)
      if (!std::isfinite(values[i]))
        return fail("feature " + std::to_string(i) + " is not a finite number ('" +
                        show(fields[i]) + "')",
                    {origin, static_cast<int>(line_no), 0, 1, {}});
    if (values.size() == features + 1) {
      if (!std::isfinite(values.back()))
        return fail("the label is not a finite number", {origin, static_cast<int>(line_no), 0, 1});
      t.labels.push_back(values.back());
      values.pop_back();
    }
    t.rows.push_back(std::move(values));
    t.lines.push_back(line_no);
  }
  if (!t.columns.empty() && width >= 0 && t.columns.size() != static_cast<size_t>(width))
    return fail("the header names " + std::to_string(t.columns.size()) + " columns but rows have " +
                    std::to_string(width),
                {origin, 1, 0, 1, {}});
  if (t.rows.empty())
    return fail("no feature rows in '" + origin + "'", {origin},
                "one row of " + std::to_string(features) + " comma-separated numbers per line");
  return t;
}

Result<FeatureTable> read_feature_csv(const std::string& path, uint32_t features) {
  auto text = read_input_file(path, "feature file");
  if (!text) return text.failure();
  return read_feature_csv_text(*text, features, path);
}

} // namespace xdpml::model
