// The network path of send/recv/verify (and bench/measure): objects compiled by `xdpml compile
// model`. Their contract ("model": "network") carries the quantized network and the float model;
// each frame carries one row of a feature table.
//
//   sender     row r of the table -> model::wire_values (the contract's quantized network) ->
//              32-bit little-endian features, sequence number r
//   reference  model::decide on the frame's wire features: the program's bit-exact semantics
//              (its tag, and for regressions its signed 32-bit result)
//   fidelity   what the program wrote against the float model (model::evaluate_float on the
//              row's real values) and against the table's label column, when it has one
#pragma once

#include "compiler/model/features.hpp"
#include "compiler/model/graph.hpp"
#include "compiler/model/reference.hpp"
#include "packetgen/series.hpp"
#include "packetgen/tally.hpp"
#include "support/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xdpml::packetgen {

struct Network {
  model::QModel q;                         // the contract's "quantized": the bit-exact reference
  std::optional<model::Model> float_model; // its "float_model" (nullopt: the contract has none)
  std::vector<int64_t> wire_min, wire_max; // per feature: what the program clamps to
};

// The contract's quantized network and float model, checked against the wire format `format`
// (features, encoding, output kind and width); errors name format.origin. `with_float`: read the
// float model too (recv and verify; a contract without one gives nullopt, a malformed one an
// error).
Result<Network> network_from_contract(const nlohmann::json& contract, const WireFormat& format,
                                      bool with_float);

// The rows of `table` as the sender puts them on the wire (model::wire_values of each row).
Series network_series(const WireFormat& format, const model::QModel& q,
                      const model::FeatureTable& table);
// `rows` rows with every feature drawn uniformly from [wire_min, wire_max] (what the program
// accepts without clamping), from a fixed seed: the same rows on every run.
Series random_network_series(const WireFormat& format, const std::vector<int64_t>& wire_min,
                             const std::vector<int64_t>& wire_max, size_t rows,
                             uint64_t seed = 0x78647066);

// The reference's answer for every row: model::decide on the row's wire values, which are the
// features of every intact frame of that row (other frames count as corrupted). Results are
// judged for regressions only.
Expected network_expected(const Series& series, const model::QModel& q);

// What the judged frames carried, against the float model and the labels.
struct NetworkFidelity {
  bool argmax = false;
  bool float_model = false; // the float comparisons were made
  size_t rows = 0;          // judged frames with an answer (tag 1..classes, or 1 for regressions)
  size_t unanswered = 0;    // judged frames without one (tag 0 or out of range): not counted
  // Regression: |result / scale - float output| over the rows.
  double mean_abs = 0, max_abs = 0;
  // Classifier: rows whose class equals the float model's argmax.
  size_t agree = 0;
  // With a label column: classifier correct counts; regression mean |x - label|.
  size_t labelled = 0, quantized_correct = 0, float_correct = 0;
  double quantized_label_mean_abs = 0, float_label_mean_abs = 0;

  nlohmann::json to_json() const;
};
NetworkFidelity network_fidelity(const Network& net, const model::FeatureTable& table,
                                 const std::vector<Judged>& judged);

// "class 1 (malignant)" / "done" for tags of a network's contract.
std::string network_tag_name(const WireFormat& format, uint64_t tag);

} // namespace xdpml::packetgen
