// Feature tables: calibration data and test data for models. CSV (comma, or whitespace
// separated), one row per input vector, an optional header line of column names. A row has
// exactly `features` numbers, or one more when the last column is a label (class index for
// classifiers, target value for regressions); every row of a file has the same shape.
#pragma once

#include "support/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xdpml::model {

struct FeatureTable {
  std::string path;
  uint32_t features = 0;
  std::vector<std::vector<double>> rows; // features values each
  std::vector<double> labels;            // empty, or one per row
  std::vector<size_t> lines;             // 1-based source line of each row
  std::vector<std::string> columns;      // header names, when there was a header
  bool has_labels() const { return !labels.empty(); }
};

Result<FeatureTable> read_feature_csv_text(const std::string& text, uint32_t features,
                                           const std::string& origin);
Result<FeatureTable> read_feature_csv(const std::string& path, uint32_t features);

} // namespace xdpml::model
