#include "packetgen/network.hpp"

#include "compiler/model/json_import.hpp"
#include "contract/contract.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace xdpml::packetgen {

Result<Network> network_from_contract(const nlohmann::json& contract, const WireFormat& format,
                                      bool with_float) {
  const std::string& origin = format.origin;
  auto layout = contract::network_contract(contract, origin);
  if (!layout) return layout.failure();
  Network net;
  net.wire_min = layout->wire_min;
  net.wire_max = layout->wire_max;
  if (!contract.contains("quantized"))
    return contract::contract_error(origin, "the network's contract has no quantized model");
  auto q = model::qmodel_from_json(contract["quantized"]);
  if (!q)
    return contract::contract_error(origin,
                                    "quantized: " + q.diagnostics().items().front().message);
  net.q = std::move(*q);
  const bool i32 = format.encoding == Encoding::I32;
  if (net.q.features != format.samples || (net.q.encoding == model::FeatureEncoding::I32) != i32)
    return contract::contract_error(
        origin, "the quantized model takes " + std::to_string(net.q.features) + " " +
                    model::encoding_name(net.q.encoding) + " features; the layout says " +
                    std::to_string(format.samples) + (i32 ? " i32le" : " u32le"));
  const bool argmax = net.q.output == model::OutputKind::ArgMax;
  if (argmax != format.argmax || (argmax && net.q.outputs() != format.classes) ||
      (!argmax && (net.q.outputs() != 1 || net.q.output_scale != format.output_scale)))
    return contract::contract_error(
        origin,
        "the quantized model's output (" + std::string(argmax ? "argmax over " : "regression, ") +
            std::to_string(net.q.outputs()) + " values) disagrees with the contract's output");
  if (!with_float || !contract.contains("float_model")) return net;
  auto m = model::read_model_json_text(contract["float_model"].dump(1),
                                       origin + " (contract float_model)");
  if (!m)
    return contract::contract_error(origin,
                                    "float_model: " + m.diagnostics().items().front().message);
  if (m->input.features != net.q.features ||
      (m->output.kind == model::OutputKind::ArgMax) != argmax ||
      m->output_width() != (argmax ? net.q.outputs() : 1u))
    return contract::contract_error(
        origin, "the float model's shape (" + std::to_string(m->input.features) + " -> " +
                    std::to_string(m->output_width()) + ") disagrees with the quantized model's");
  net.float_model = std::move(*m);
  return net;
}

namespace {

uint32_t word(int64_t v) {
  return static_cast<uint32_t>(static_cast<uint64_t>(v)); // two's complement for i32
}

} // namespace

Series network_series(const WireFormat& format, const model::QModel& q,
                      const model::FeatureTable& table) {
  std::vector<uint32_t> wire;
  wire.reserve(table.rows.size() * format.samples);
  for (const auto& row : table.rows) {
    const auto w = model::wire_values(q, row);
    for (uint32_t k = 0; k < format.samples; ++k) wire.push_back(k < w.size() ? word(w[k]) : 0);
  }
  return Series::from_rows(format, std::move(wire), table.path);
}

Series random_network_series(const WireFormat& format, const std::vector<int64_t>& wire_min,
                             const std::vector<int64_t>& wire_max, size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint32_t> wire;
  wire.reserve(rows * format.samples);
  for (size_t r = 0; r < rows; ++r)
    for (uint32_t k = 0; k < format.samples; ++k) {
      const int64_t lo = k < wire_min.size() ? wire_min[k] : 0;
      const int64_t hi = k < wire_max.size() ? std::max(wire_max[k], lo) : lo;
      wire.push_back(word(std::uniform_int_distribution<int64_t>(lo, hi)(rng)));
    }
  return Series::from_rows(format, std::move(wire), "<random rows>");
}

Expected network_expected(const Series& series, const model::QModel& q) {
  Expected e;
  const bool regression = q.output == model::OutputKind::Regression;
  e.tags.resize(series.windows());
  if (regression) e.results.resize(series.windows());
  for (size_t w = 0; w < series.windows(); ++w) {
    const auto d = model::decide(q, series.row_wire(w));
    e.tags[w] = d.tag;
    if (regression) e.results[w] = d.result;
  }
  e.keep_judged = true;
  return e;
}

NetworkFidelity network_fidelity(const Network& net, const model::FeatureTable& table,
                                 const std::vector<Judged>& judged) {
  NetworkFidelity f;
  const model::QModel& q = net.q;
  f.argmax = q.output == model::OutputKind::ArgMax;
  f.float_model = net.float_model.has_value();
  double sum = 0, q_label = 0, f_label = 0;
  for (size_t r = 0; r < judged.size() && r < table.rows.size(); ++r) {
    const Judged& j = judged[r];
    if (!j.arrived) continue;
    const bool answered = f.argmax ? j.tag >= 1 && j.tag <= q.outputs() : j.tag == 1;
    if (!answered) {
      ++f.unanswered;
      continue;
    }
    ++f.rows;
    std::vector<double> fl;
    if (f.float_model) fl = model::evaluate_float(*net.float_model, table.rows[r]);
    const bool labelled = table.has_labels();
    if (labelled) ++f.labelled;
    if (f.argmax) {
      const uint64_t got = j.tag - 1;
      if (f.float_model && model::argmax(fl) == got) ++f.agree;
      if (labelled) {
        const double label = table.labels[r];
        const auto want = std::llround(label);
        if (static_cast<double>(want) == label && want >= 0) {
          if (static_cast<uint64_t>(want) == got) ++f.quantized_correct;
          if (f.float_model && model::argmax(fl) == static_cast<uint64_t>(want)) ++f.float_correct;
        }
      }
    } else {
      const double got = static_cast<double>(j.result) / q.output_scale;
      if (f.float_model) {
        const double err = std::fabs(got - fl[0]);
        sum += err;
        f.max_abs = std::max(f.max_abs, err);
      }
      if (labelled) {
        q_label += std::fabs(got - table.labels[r]);
        if (f.float_model) f_label += std::fabs(fl[0] - table.labels[r]);
      }
    }
  }
  if (f.rows) f.mean_abs = sum / static_cast<double>(f.rows);
  if (f.labelled) {
    f.quantized_label_mean_abs = q_label / static_cast<double>(f.labelled);
    f.float_label_mean_abs = f_label / static_cast<double>(f.labelled);
  }
  return f;
}

nlohmann::json NetworkFidelity::to_json() const {
  auto ratio = [](size_t a, size_t b) {
    return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
  };
  nlohmann::json j{{"rows", rows}, {"unanswered", unanswered}, {"float_model", float_model}};
  if (argmax) {
    if (float_model) j["argmax_agreement"] = ratio(agree, rows);
    if (labelled) {
      j["labelled_rows"] = labelled;
      j["quantized_accuracy"] = ratio(quantized_correct, labelled);
      if (float_model) j["float_accuracy"] = ratio(float_correct, labelled);
    }
  } else {
    if (float_model) {
      j["mean_abs_error"] = mean_abs;
      j["max_abs_error"] = max_abs;
    }
    if (labelled) {
      j["labelled_rows"] = labelled;
      j["quantized_label_mean_abs_error"] = quantized_label_mean_abs;
      if (float_model) j["float_label_mean_abs_error"] = float_label_mean_abs;
    }
  }
  return j;
}

std::string network_tag_name(const WireFormat& format, uint64_t tag) {
  if (tag == 0) return "unprocessed";
  if (format.argmax)
    return tag > format.classes ? "unknown"
           : tag <= format.class_names.size()
               ? "class " + std::to_string(tag - 1) + " (" + format.class_names[tag - 1] + ")"
               : "class " + std::to_string(tag - 1);
  return tag == 1 ? "done" : "unknown";
}

} // namespace xdpml::packetgen
