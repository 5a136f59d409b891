#include "compiler/model/json_import.hpp"

#include "compiler/model/onnx_import.hpp"
#include "support/input_file.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

namespace xdpml::model {

namespace {

using nlohmann::json;

// Parse errors carry a byte offset; turn it into line:col and the line's text for the caret.
Failure parse_failure(const std::string& text, const std::string& origin, size_t byte,
                      const std::string& what) {
  int line = 1, col = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
      line_start = i + 1;
    } else {
      ++col;
    }
  }
  Diagnostic d = make_error("the model is not valid JSON: " + what, {origin, line, col, 1, {}},
                            "the JSON model format is described in docs/formats.md");
  const size_t end = text.find('\n', line_start);
  d.source_line =
      text.substr(line_start, end == std::string::npos ? std::string::npos : end - line_start);
  if (d.source_line.size() > 200) d.source_line.clear();
  return fail(d);
}

class Reader {
public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  Failure error(const std::string& field, const std::string& message,
                const std::string& hint = {}) const {
    return fail("field " + field + ": " + message, {origin_, 0, 0, 1, {}},
                hint.empty() ? "the JSON model format is described in docs/formats.md" : hint);
  }

  Result<double> number(const json& v, const std::string& field) const {
    if (!v.is_number()) return error(field, "must be a number, not " + std::string(v.type_name()));
    const double d = v.get<double>();
    if (!std::isfinite(d)) return error(field, "must be finite");
    return d;
  }
  Result<int64_t> integer(const json& v, const std::string& field) const {
    if (!v.is_number_integer())
      return error(field, "must be an integer, not " + std::string(v.type_name()) + " " +
                              v.dump().substr(0, 40));
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      return error(field, "is out of range");
    return v.get<int64_t>();
  }
  Result<std::vector<double>> numbers(const json& v, const std::string& field) const {
    if (!v.is_array()) return error(field, "must be an array of numbers");
    std::vector<double> out;
    out.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      auto d = number(v[i], field + "[" + std::to_string(i) + "]");
      if (!d) return d.failure();
      out.push_back(*d);
    }
    return out;
  }
  // A [rows][cols] matrix, flattened row-major; every row the same length.
  template <typename T, typename Get>
  Result<std::vector<T>> matrix(const json& v, const std::string& field, uint32_t* rows,
                                uint32_t* cols, Get get) const {
    if (!v.is_array() || v.empty()) return error(field, "must be a non-empty array of rows");
    std::vector<T> out;
    for (size_t r = 0; r < v.size(); ++r) {
      const std::string at = field + "[" + std::to_string(r) + "]";
      if (!v[r].is_array() || v[r].empty()) return error(at, "must be a non-empty array");
      if (v[r].size() != v[0].size())
        return error(at, "has " + std::to_string(v[r].size()) + " values, row 0 has " +
                             std::to_string(v[0].size()));
      for (size_t c = 0; c < v[r].size(); ++c) {
        auto x = get(v[r][c], at + "[" + std::to_string(c) + "]");
        if (!x) return x.failure();
        out.push_back(*x);
      }
    }
    if (v.size() > 4096 || v[0].size() > 4096) return error(field, "is larger than 4096 x 4096");
    *rows = static_cast<uint32_t>(v.size());
    *cols = static_cast<uint32_t>(v[0].size());
    return out;
  }

  Status check_keys(const json& obj, const std::string& field,
                    std::initializer_list<const char*> allowed) const {
    for (const auto& [key, value] : obj.items()) {
      bool known = false;
      for (const char* a : allowed) known = known || key == a;
      if (!known) {
        std::string list;
        for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        return error(field + (field.empty() ? "" : ".") + key, "is not a known field",
                     "known fields here: " + list);
      }
    }
    return ok_status();
  }

  Result<Model> read(const json& j) const {
    Model m;
    m.source = origin_;
    if (!j.is_object()) return error("(top level)", "the model must be a JSON object");
    if (auto st = check_keys(j, "", {"xdpml_model", "name", "input", "layers", "output"}); !st)
      return st.failure();
    if (!j.contains("xdpml_model"))
      return error("xdpml_model", "is missing", "start the file with \"xdpml_model\": 1");
    if (j["xdpml_model"] != 1) return error("xdpml_model", "must be 1 (the format version)");
    if (j.contains("name")) {
      if (!j["name"].is_string()) return error("name", "must be a string");
      m.name = j["name"].get<std::string>();
    }
    if (!j.contains("input") || !j["input"].is_object())
      return error("input", "must be an object describing the features");
    if (auto st = read_input(j["input"], m.input); !st) return st.failure();
    if (!j.contains("layers") || !j["layers"].is_array())
      return error("layers", "must be an array of layers");
    for (size_t k = 0; k < j["layers"].size(); ++k) {
      auto layer = read_layer(j["layers"][k], "layers[" + std::to_string(k) + "]");
      if (!layer) return layer.failure();
      m.layers.push_back(std::move(*layer));
    }
    // The output: given, or implied by the last layer.
    const bool ends_argmax = !m.layers.empty() && (m.layers.back().kind == LayerKind::ArgMax ||
                                                   m.layers.back().kind == LayerKind::Softmax);
    // Without an "output" member: argmax when the chain ends in argmax/softmax or in two or more
    // scores (a regression produces one value).
    m.output.kind =
        ends_argmax || m.output_width() >= 2 ? OutputKind::ArgMax : OutputKind::Regression;
    if (j.contains("output")) {
      const json& o = j["output"];
      if (!o.is_object()) return error("output", "must be an object");
      if (auto st = check_keys(o, "output", {"kind", "scale", "classes"}); !st) return st.failure();
      if (o.contains("kind")) {
        if (o["kind"] == "argmax")
          m.output.kind = OutputKind::ArgMax;
        else if (o["kind"] == "regression")
          m.output.kind = OutputKind::Regression;
        else
          return error("output.kind", "must be \"argmax\" or \"regression\"");
      }
      if (o.contains("scale") && o["scale"] != "auto") {
        auto s = number(o["scale"], "output.scale");
        if (!s) return s.failure();
        m.output.scale = *s;
      }
      if (o.contains("classes")) {
        if (!o["classes"].is_array()) return error("output.classes", "must be an array of names");
        for (size_t i = 0; i < o["classes"].size(); ++i) {
          if (!o["classes"][i].is_string())
            return error("output.classes[" + std::to_string(i) + "]", "must be a string");
          m.output.classes.push_back(o["classes"][i].get<std::string>());
        }
      }
    }
    if (auto st = validate(m); !st) return st.failure();
    return m;
  }

private:
  std::string origin_;

  Status read_input(const json& in, InputSpec& spec) const {
    if (auto st = check_keys(in, "input", {"features", "encoding", "scale", "min", "max"}); !st)
      return st;
    if (!in.contains("features")) return error("input.features", "is missing");
    auto n = integer(in["features"], "input.features");
    if (!n) return n.failure();
    if (*n < 1 || *n > 256) return error("input.features", "must be between 1 and 256");
    spec.features = static_cast<uint32_t>(*n);
    if (in.contains("encoding")) {
      if (in["encoding"] == "i32")
        spec.encoding = FeatureEncoding::I32;
      else if (in["encoding"] == "u32")
        spec.encoding = FeatureEncoding::U32;
      else
        return error("input.encoding", "must be \"i32\" or \"u32\"",
                     "features travel as little-endian 32-bit integers, value * scale");
    }
    if (in.contains("scale") && in["scale"] != "auto") {
      auto s = number(in["scale"], "input.scale");
      if (!s) return s.failure();
      if (*s <= 0) return error("input.scale", "must be positive");
      spec.scale = *s;
    }
    for (const char* key : {"min", "max"}) {
      if (!in.contains(key)) continue;
      auto v = numbers(in[key], std::string("input.") + key);
      if (!v) return v.failure();
      (std::string(key) == "min" ? spec.min : spec.max) = std::move(*v);
    }
    return ok_status();
  }

  Result<Layer> read_layer(const json& l, const std::string& at) const {
    if (!l.is_object()) return error(at, "must be an object");
    if (!l.contains("type") || !l["type"].is_string())
      return error(at + ".type", "is missing",
                   "one of dense, relu, leaky_relu, clip, tanh, sigmoid, identity, softmax, "
                   "argmax");
    const std::string type = l["type"].get<std::string>();
    Layer layer;
    layer.origin = at;
    layer.name = at;
    if (l.contains("name")) {
      if (!l["name"].is_string()) return error(at + ".name", "must be a string");
      layer.name = l["name"].get<std::string>();
    }
    static const std::pair<const char*, LayerKind> kinds[] = {{"dense", LayerKind::Dense},
                                                              {"relu", LayerKind::Relu},
                                                              {"leaky_relu", LayerKind::LeakyRelu},
                                                              {"clip", LayerKind::Clip},
                                                              {"tanh", LayerKind::Tanh},
                                                              {"sigmoid", LayerKind::Sigmoid},
                                                              {"identity", LayerKind::Identity},
                                                              {"softmax", LayerKind::Softmax},
                                                              {"argmax", LayerKind::ArgMax}};
    bool known = false;
    for (const auto& [name, kind] : kinds)
      if (type == name) layer.kind = kind, known = true;
    if (!known)
      return error(at + ".type", "unknown layer type \"" + type + "\"",
                   "supported: dense, relu, leaky_relu, clip, tanh, sigmoid, identity, softmax "
                   "(last), argmax (last)");
    switch (layer.kind) {
    case LayerKind::Dense: {
      if (auto st = check_keys(l, at,
                               {"type", "name", "weights", "bias", "weights_int", "weight_scale",
                                "weight_zero_point", "bias_int"});
          !st)
        return st.failure();
      const bool has_float = l.contains("weights"), has_int = l.contains("weights_int");
      if (has_float == has_int)
        return error(at, "a dense layer needs exactly one of weights (float) and weights_int");
      if (has_float) {
        auto w = matrix<double>(l["weights"], at + ".weights", &layer.out, &layer.in,
                                [&](const json& v, const std::string& f) { return number(v, f); });
        if (!w) return w.failure();
        layer.weights = std::move(*w);
      } else {
        IntegerWeights iw;
        auto q =
            matrix<int64_t>(l["weights_int"], at + ".weights_int", &layer.out, &layer.in,
                            [&](const json& v, const std::string& f) { return integer(v, f); });
        if (!q) return q.failure();
        iw.q = std::move(*q);
        if (!l.contains("weight_scale"))
          return error(at + ".weight_scale", "is missing (real weight = (q - zero_point) * scale)");
        if (l["weight_scale"].is_array()) {
          auto s = numbers(l["weight_scale"], at + ".weight_scale");
          if (!s) return s.failure();
          iw.scale = std::move(*s);
        } else {
          auto s = number(l["weight_scale"], at + ".weight_scale");
          if (!s) return s.failure();
          iw.scale = {*s};
        }
        if (l.contains("weight_zero_point")) {
          auto z = integer(l["weight_zero_point"], at + ".weight_zero_point");
          if (!z) return z.failure();
          iw.zero_point = *z;
        }
        if (l.contains("bias_int")) {
          if (!l["bias_int"].is_array()) return error(at + ".bias_int", "must be an array");
          for (size_t i = 0; i < l["bias_int"].size(); ++i) {
            auto b = integer(l["bias_int"][i], at + ".bias_int[" + std::to_string(i) + "]");
            if (!b) return b.failure();
            iw.bias_q.push_back(*b);
          }
        }
        layer.integer = std::move(iw);
      }
      if (l.contains("bias")) {
        auto b = numbers(l["bias"], at + ".bias");
        if (!b) return b.failure();
        layer.bias = std::move(*b);
      }
      break;
    }
    case LayerKind::LeakyRelu: {
      if (auto st = check_keys(l, at, {"type", "name", "alpha"}); !st) return st.failure();
      if (l.contains("alpha")) {
        auto a = number(l["alpha"], at + ".alpha");
        if (!a) return a.failure();
        layer.alpha = *a;
      }
      break;
    }
    case LayerKind::Clip: {
      if (auto st = check_keys(l, at, {"type", "name", "min", "max"}); !st) return st.failure();
      if (!l.contains("min") || !l.contains("max")) return error(at, "clip needs min and max");
      auto lo = number(l["min"], at + ".min");
      if (!lo) return lo.failure();
      auto hi = number(l["max"], at + ".max");
      if (!hi) return hi.failure();
      layer.clip_lo = *lo;
      layer.clip_hi = *hi;
      break;
    }
    default:
      if (auto st = check_keys(l, at, {"type", "name"}); !st) return st.failure();
      break;
    }
    return layer;
  }
};

} // namespace

Result<Model> read_model_json_text(const std::string& text, const std::string& origin) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    const auto colon = what.find("parse error");
    if (colon != std::string::npos) what = what.substr(colon);
    return parse_failure(text, origin, e.byte > 0 ? e.byte - 1 : 0, what);
  } catch (const json::exception& e) {
    // e.g. a number beyond double range (1e400): out_of_range, not a parse_error.
    return fail(std::string("the model is not usable JSON: ") + e.what(), {origin});
  }
  // Bias integers need the layer's weight scales: kept on the layer, applied by the quantizer.
  return Reader(origin).read(j);
}

Result<Model> read_model_json_file(const std::string& path) {
  auto text = read_input_file(path, "model");
  if (!text) return text.failure();
  return read_model_json_text(*text, path);
}

Result<Model> read_model_file(const std::string& path) {
  const bool onnx = path.size() >= 5 && path.compare(path.size() - 5, 5, ".onnx") == 0;
  return onnx ? read_onnx_file(path) : read_model_json_file(path);
}

} // namespace xdpml::model
