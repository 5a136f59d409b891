// libFuzzer target for the feature CSV reader.
//
// Input: "<features>\n<csv text>" when the first line is 1 to 3 decimal digits (seeds:
// tests/fuzz/corpus/features/), otherwise the whole input is the CSV text with 3 features.
// read_feature_csv_text must refuse it with an error diagnostic or return a table whose shape
// is what it claims: `features` values per row, no labels or one per row, one 1-based source
// line per row (increasing, within the text), no header or one name per column.
#include "compiler/model/features.hpp"
#include "fuzz_common.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace xdpml;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  uint32_t features = 3;
  const size_t eol = in.find('\n');
  if (eol != std::string_view::npos && eol >= 1 && eol <= 3 &&
      std::all_of(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(eol),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    features = static_cast<uint32_t>(std::stoul(std::string(in.substr(0, eol))));
    in.remove_prefix(eol + 1);
  }
  const std::string text(in);
  auto t = model::read_feature_csv_text(text, features, "<fuzz>");
  if (!t) {
    if (!t.diagnostics().has_errors())
      fuzz::die("read_feature_csv_text failed without an error", t.diagnostics().render());
    (void)t.diagnostics().render();
    return 0;
  }
  const std::string what = std::to_string(features) + " features:\n" + text;
  if (t->features != features)
    fuzz::die("table has " + std::to_string(t->features) + " features", what);
  for (const auto& row : t->rows)
    if (row.size() != features)
      fuzz::die("a row has " + std::to_string(row.size()) + " values", what);
  if (t->has_labels() && t->labels.size() != t->rows.size())
    fuzz::die(std::to_string(t->labels.size()) + " labels for " + std::to_string(t->rows.size()) +
                  " rows",
              what);
  if (t->lines.size() != t->rows.size())
    fuzz::die(std::to_string(t->lines.size()) + " line numbers for " +
                  std::to_string(t->rows.size()) + " rows",
              what);
  const size_t text_lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  for (size_t k = 0; k < t->lines.size(); ++k)
    if (t->lines[k] < 1 || t->lines[k] > text_lines || (k > 0 && t->lines[k] <= t->lines[k - 1]))
      fuzz::die("row " + std::to_string(k) + " has source line " + std::to_string(t->lines[k]),
                what);
  if (!t->columns.empty() && t->columns.size() != features &&
      t->columns.size() != size_t{features} + 1)
    fuzz::die(std::to_string(t->columns.size()) + " column names", what);
  return 0;
}
