#include "compiler/model/compile.hpp"

#include "compiler/model/lower.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <random>
#include <sstream>

namespace xdpml::model {

namespace {

using nlohmann::json;

std::string hex64(uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

std::string int_text(Int v) {
  return compiler::to_string(v);
}

int signed_bits(Int lo, Int hi) {
  const Int m = std::max(lo < 0 ? -lo - 1 : lo, hi < 0 ? -hi - 1 : hi);
  int n = 0;
  for (Int v = m; v > 0; v >>= 1) ++n;
  return n + (lo < 0 ? 1 : 0);
}

json contract_for(const QModel& q, const Model& m, const compiler::MatchSpec& match) {
  json jm{{"mode", compiler::match_mode_name(match.mode)}};
  if (match.mode == compiler::MatchMode::Full) {
    jm["ethertype"] = 0x0800;
    jm["ip_protocol"] = 17;
    jm["udp_dest_port"] = compiler::kUdpPort;
  }
  json tags{{"0", "unprocessed"}};
  json output;
  if (q.output == OutputKind::ArgMax) {
    for (uint32_t k = 0; k < q.outputs(); ++k)
      tags[std::to_string(k + 1)] =
          "class " + std::to_string(k) + (k < q.classes.size() ? " (" + q.classes[k] + ")" : "");
    output = {{"kind", "argmax"}, {"classes", q.outputs()}, {"tag", "class index + 1"}};
    if (!q.classes.empty()) output["class_names"] = q.classes;
  } else {
    tags["1"] = "done: the result field holds the output";
    output = {{"kind", "regression"},
              {"scale", q.output_scale},
              {"result_offset", kResultOffset},
              {"result_bytes", 4},
              {"result", "signed 32-bit little-endian, real output = result / scale"}};
  }
  return {
      {"model", "network"},
      {"match", jm},
      {"layout",
       {{"payload_offset", compiler::kPayloadOffset},
        {"magic_offset", compiler::kMagicOffset},
        {"magic", hex64(compiler::kMagic)},
        {"tag_offset", compiler::kTagOffset},
        {"tag_bytes", 8},
        {"result_offset", kResultOffset},
        {"result_bytes", 4},
        {"data_offset", kFeatureOffset},
        {"features", q.features},
        {"encoding", q.encoding == FeatureEncoding::I32 ? "i32le" : "u32le"},
        {"stride", 4},
        {"frame_bytes", model_frame_bytes(q.features)},
        {"udp_dest_port", compiler::kUdpPort}}},
      {"input",
       {{"features", q.features},
        {"encoding", encoding_name(q.encoding)},
        {"scale", q.input_scale},
        {"wire_min", q.input_lo},
        {"wire_max", q.input_hi},
        {"wire", "round(x * scale), half away from zero; the program clamps to [wire_min, "
                 "wire_max]"}}},
      {"output", output},
      {"tags", tags},
      {"quantized", to_json(q)},
      {"float_model", model_to_json(m)},
  };
}

} // namespace

json model_to_json(const Model& m) {
  json layers = json::array();
  for (const Layer& l : m.layers) {
    json j{{"type", layer_kind_name(l.kind)}, {"name", l.name}};
    if (l.kind == LayerKind::Dense) {
      json w = json::array();
      for (uint32_t r = 0; r < l.out; ++r) {
        json row = json::array();
        for (uint32_t i = 0; i < l.in; ++i) row.push_back(l.weight(r, i));
        w.push_back(row);
      }
      j["weights"] = w;
      if (!l.bias.empty()) j["bias"] = l.bias;
    }
    if (l.kind == LayerKind::LeakyRelu) j["alpha"] = l.alpha;
    if (l.kind == LayerKind::Clip) j["min"] = l.clip_lo, j["max"] = l.clip_hi;
    layers.push_back(j);
  }
  json input{{"features", m.input.features}, {"encoding", encoding_name(m.input.encoding)}};
  if (!m.input.min.empty()) input["min"] = m.input.min;
  if (!m.input.max.empty()) input["max"] = m.input.max;
  json output{{"kind", m.output.kind == OutputKind::ArgMax ? "argmax" : "regression"}};
  if (!m.output.classes.empty()) output["classes"] = m.output.classes;
  return {{"xdpml_model", 1},
          {"name", m.name},
          {"input", input},
          {"layers", layers},
          {"output", output}};
}

json Fidelity::to_json(const QModel& q) const {
  json j{{"rows", rows}};
  if (q.output == OutputKind::Regression) {
    j["mean_abs_error"] = mean_abs;
    j["max_abs_error"] = max_abs;
  } else {
    j["argmax_agreement"] = rows ? static_cast<double>(agree) / static_cast<double>(rows) : 0.0;
    if (labelled) {
      j["labelled_rows"] = labelled;
      j["float_accuracy"] = static_cast<double>(float_correct) / static_cast<double>(labelled);
      j["quantized_accuracy"] =
          static_cast<double>(quantized_correct) / static_cast<double>(labelled);
    }
  }
  return j;
}

Fidelity measure_fidelity(const Model& m, const QModel& q, const FeatureTable& data) {
  Fidelity fid;
  double sum = 0;
  for (size_t r = 0; r < data.rows.size(); ++r) {
    const auto& row = data.rows[r];
    const auto fl = evaluate_float(m, row);
    const Decision d = decide(q, wire_values(q, row));
    ++fid.rows;
    if (q.output == OutputKind::Regression) {
      const double err = std::fabs(static_cast<double>(d.result) / q.output_scale - fl[0]);
      sum += err;
      fid.max_abs = std::max(fid.max_abs, err);
    } else {
      const uint32_t fc = argmax(fl), qc = d.tag - 1u;
      if (fc == qc) ++fid.agree;
      if (data.has_labels()) {
        ++fid.labelled;
        const auto label = static_cast<uint32_t>(std::llround(data.labels[r]));
        if (fc == label) ++fid.float_correct;
        if (qc == label) ++fid.quantized_correct;
      }
    }
  }
  if (fid.rows) fid.mean_abs = sum / static_cast<double>(fid.rows);
  return fid;
}

std::vector<std::vector<int64_t>> check_inputs(const QModel& q, const FeatureTable* data,
                                               size_t count, uint64_t seed) {
  std::vector<std::vector<int64_t>> out;
  if (data)
    for (size_t r = 0; r < data->rows.size() && out.size() < count; ++r)
      out.push_back(wire_values(q, data->rows[r]));
  std::mt19937_64 rng(seed);
  const bool i32 = q.encoding == FeatureEncoding::I32;
  for (size_t r = 0; out.size() < count; ++r) {
    std::vector<int64_t> w(q.features);
    const int mode = static_cast<int>(r % 4);
    for (uint32_t i = 0; i < q.features; ++i) {
      const int64_t lo = q.input_lo[i], hi = q.input_hi[i];
      const auto span = static_cast<uint64_t>(hi - lo + 1);
      int64_t v = 0;
      if (mode <= 1)
        v = lo + static_cast<int64_t>(rng() % span); // inside the range
      else if (mode == 2)
        v = lo - static_cast<int64_t>(span) + static_cast<int64_t>(rng() % (3 * span)); // around
      else
        v = i32 ? static_cast<int32_t>(rng()) : static_cast<int64_t>(static_cast<uint32_t>(rng()));
      w[i] = i32 ? std::clamp<int64_t>(v, INT32_MIN, INT32_MAX)
                 : std::clamp<int64_t>(v, 0, UINT32_MAX);
    }
    out.push_back(std::move(w));
  }
  return out;
}

compiler::VerifyCases verify_cases(const QModel& q, const FeatureTable* data, size_t count) {
  auto inputs =
      std::make_shared<std::vector<std::vector<int64_t>>>(check_inputs(q, data, count, 1));
  auto wire_of = [&q](const std::vector<uint8_t>& pkt) {
    std::vector<int64_t> w(q.features);
    for (uint32_t i = 0; i < q.features; ++i) {
      uint32_t v = 0;
      for (int k = 3; k >= 0; --k)
        v = (v << 8) | pkt[kFeatureOffset + 4 * i + static_cast<uint32_t>(k)];
      w[i] = q.encoding == FeatureEncoding::I32 ? static_cast<int64_t>(static_cast<int32_t>(v)) : v;
    }
    return w;
  };
  compiler::VerifyCases c;
  c.count = inputs->size();
  c.packet = [inputs, &q](size_t k) { return model_frame(q.features, (*inputs)[k], k); };
  c.expected = [&q, wire_of](const std::vector<uint8_t>& pkt) {
    const Decision d = decide(q, wire_of(pkt));
    auto out = pkt;
    out[compiler::kTagOffset] = d.tag;
    if (q.output == OutputKind::Regression)
      for (int k = 0; k < 4; ++k)
        out[kResultOffset + static_cast<uint32_t>(k)] =
            static_cast<uint8_t>(static_cast<uint64_t>(d.result) >> (8 * k));
    return out;
  };
  c.describe = [wire_of](const std::vector<uint8_t>& pkt) {
    std::string s = "wire features [";
    const auto w = wire_of(pkt);
    for (size_t i = 0; i < w.size(); ++i) s += (i ? ", " : "") + std::to_string(w[i]);
    return s + "]";
  };
  return c;
}

Result<CompiledNetwork> compile_model(const Model& m, const FeatureTable* calib,
                                      const ModelCompileOptions& o) {
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  auto t = Clock::now();
  auto quantized = quantize(m, calib, o.quant);
  if (!quantized) return quantized.failure();
  const double quantize_ms = ms_since(t);
  const QModel& q = quantized->q;
  Lowered lowered = lower_model(q, {o.match});
  auto compiled =
      compiler::compile_function(std::move(lowered.f), contract_for(q, m, o.match), o.codegen);
  if (!compiled) return compiled.failure();
  CompiledNetwork out;
  out.quantized = std::move(*quantized);
  out.compiled = std::move(*compiled);
  const QModel& qm = out.quantized.q; // `q` referred to the moved-from result

  // The report: what the quantizer chose, and what the range pass proved on the IR.
  const auto& ir = out.compiled.ir;
  json layers = json::array();
  size_t dense_index = 0;
  for (const LayerReport& l : out.quantized.layers) {
    json j{{"layer", l.name},          {"kind", l.kind},
           {"origin", l.origin},       {"in_scale", {l.in_scale_min, l.in_scale_max}},
           {"out_scale", l.out_scale}, {"note", l.note}};
    if (l.kind == "dense") {
      Int lo = 0, hi = 0;
      bool all32 = true, any = false;
      if (dense_index < lowered.accumulators.size())
        for (int node : lowered.accumulators[dense_index]) {
          // A pass may have folded the node away (x + 0, x * 1): it then stands for its operand.
          while (node >= 0 && static_cast<size_t>(node) < ir.nodes.size() &&
                 ir.nodes[static_cast<size_t>(node)].dead)
            node = ir.nodes[static_cast<size_t>(node)].args[0];
          if (node < 0 || static_cast<size_t>(node) >= ir.info.size()) continue;
          const auto& info = ir.info[static_cast<size_t>(node)];
          lo = any ? std::min(lo, info.lo) : info.lo;
          hi = any ? std::max(hi, info.hi) : info.hi;
          all32 = all32 &&
                  (ir.nodes[static_cast<size_t>(node)].op == compiler::Opcode::Const || info.alu32);
          any = true;
        }
      ++dense_index;
      j["weight_scale"] = {l.weight_scale_min, l.weight_scale_max};
      j["weight_bits"] = l.weight_bits;
      j["weights"] = l.weights;
      j["zero_weights"] = l.zero_weights;
      j["power_of_two_weights"] = l.power_of_two_weights;
      j["proven_accumulator"] = {int_text(lo), int_text(hi)};
      j["accumulator_bits"] = signed_bits(lo, hi);
      j["arithmetic"] = all32 ? "alu32" : "alu64";
    } else {
      j["output_range"] = {int_text(l.acc_lo), int_text(l.acc_hi)};
    }
    layers.push_back(j);
  }
  out.report = {{"layers", layers}, {"input_scale", qm.input_scale}};
  if (qm.output == OutputKind::Regression) out.report["output_scale"] = qm.output_scale;
  t = Clock::now();
  if (calib) out.report["fidelity_on_calibration"] = measure_fidelity(m, qm, *calib).to_json(qm);
  out.report["phases_ms"] = {{"quantize", quantize_ms},
                             {"lower_compile_object", out.compiled.compile_ms},
                             {"fidelity", ms_since(t)}};
  return out;
}

} // namespace xdpml::model
