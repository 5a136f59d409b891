#include "compiler/model/reference.hpp"

#include <algorithm>
#include <cmath>

namespace xdpml::model {

const char* qop_name(QOpKind k) {
  switch (k) {
  case QOpKind::Dense:
    return "dense";
  case QOpKind::Requant:
    return "requant";
  case QOpKind::Relu:
    return "relu";
  case QOpKind::LeakyRelu:
    return "leaky_relu";
  case QOpKind::Clamp:
    return "clamp";
  case QOpKind::Piecewise:
    return "piecewise";
  }
  return "?";
}

uint32_t QModel::outputs() const {
  return ops.empty() ? features : ops.back().width;
}

int64_t wire_value(const QModel& q, uint32_t i, double x) {
  const double lo = q.encoding == FeatureEncoding::I32 ? -2147483648.0 : 0.0;
  const double hi = q.encoding == FeatureEncoding::I32 ? 2147483647.0 : 4294967295.0;
  const double v = std::round(x * q.input_scale[i]);
  if (!(v >= lo)) return static_cast<int64_t>(lo); // NaN too
  if (v > hi) return static_cast<int64_t>(hi);
  return static_cast<int64_t>(v);
}

std::vector<int64_t> wire_values(const QModel& q, const std::vector<double>& features) {
  std::vector<int64_t> out(q.features);
  for (uint32_t i = 0; i < q.features && i < features.size(); ++i)
    out[i] = wire_value(q, i, features[i]);
  return out;
}

namespace {
size_t at(const std::vector<int>& v, uint32_t j) {
  return v.size() == 1 ? 0 : j;
}
} // namespace

std::vector<std::vector<Int>> evaluate_stages(const QModel& q, const std::vector<int64_t>& wire) {
  std::vector<std::vector<Int>> stages;
  std::vector<Int> x(q.features);
  for (uint32_t i = 0; i < q.features; ++i)
    x[i] = std::clamp<int64_t>(wire[i], q.input_lo[i], q.input_hi[i]);
  stages.push_back(x);
  for (const QOp& op : q.ops) {
    std::vector<Int> y(op.width);
    for (uint32_t j = 0; j < op.width; ++j) {
      switch (op.kind) {
      case QOpKind::Dense: {
        Int acc = op.b[j];
        for (uint32_t i = 0; i < op.in; ++i)
          acc += Int{op.w[static_cast<size_t>(j) * op.in + i]} * x[i];
        y[j] = acc;
        break;
      }
      case QOpKind::Requant: {
        const size_t k = at(op.pre, j);
        const int post = op.post[k];
        const Int round = post ? Int{1} << (post - 1) : 0;
        y[j] = ((x[j] >> op.pre[k]) * op.mult[k] + round) >> post;
        break;
      }
      case QOpKind::Relu:
        y[j] = std::max<Int>(x[j], 0);
        break;
      case QOpKind::LeakyRelu:
        y[j] = std::max<Int>(x[j], (x[j] * op.mult[0]) >> op.post[0]);
        break;
      case QOpKind::Clamp:
        y[j] = std::max<Int>(std::min<Int>(x[j], op.hi), op.lo);
        break;
      case QOpKind::Piecewise:
        y[j] = op.table.eval(x[j]);
        break;
      }
    }
    // A valid model's values are proven to fit 64 bits, so this never changes them; it keeps a
    // damaged contract's numbers from overflowing the 128-bit arithmetic.
    constexpr Int kLimit = Int{1} << 63;
    for (Int& v : y) v = std::clamp<Int>(v, -kLimit, kLimit - 1);
    x = std::move(y);
    stages.push_back(x);
  }
  return stages;
}

std::vector<Int> evaluate(const QModel& q, const std::vector<int64_t>& wire) {
  return evaluate_stages(q, wire).back();
}

Decision decide(const QModel& q, const std::vector<int64_t>& wire) {
  const auto y = evaluate(q, wire);
  Decision d;
  if (q.output == OutputKind::ArgMax) {
    size_t best = 0;
    for (size_t k = 1; k < y.size(); ++k)
      if (y[k] > y[best]) best = k;
    d.tag = static_cast<uint8_t>(best + 1);
  } else {
    d.tag = 1;
    d.result = static_cast<int64_t>(y[0]);
  }
  return d;
}

// ---- JSON (the contract's "quantized" member)

namespace {

using nlohmann::json;

json int_text(Int v) {
  // Table constants may exceed 2^53; JSON numbers stay exact as long as they fit int64.
  return static_cast<int64_t>(v);
}

} // namespace

json to_json(const QModel& q) {
  json ops = json::array();
  for (const QOp& op : q.ops) {
    json o{
        {"kind", qop_name(op.kind)}, {"name", op.name}, {"width", op.width}, {"scale", op.scale}};
    switch (op.kind) {
    case QOpKind::Dense:
      o["in"] = op.in;
      o["w"] = op.w;
      o["b"] = op.b;
      break;
    case QOpKind::Requant:
    case QOpKind::LeakyRelu:
      o["pre"] = op.pre;
      o["post"] = op.post;
      o["mult"] = op.mult;
      break;
    case QOpKind::Clamp:
      o["lo"] = op.lo;
      o["hi"] = op.hi;
      break;
    case QOpKind::Piecewise: {
      json start = json::array(), slope = json::array(), offset = json::array();
      for (size_t k = 0; k < op.table.start.size(); ++k) {
        start.push_back(int_text(op.table.start[k]));
        slope.push_back(int_text(op.table.slope[k]));
        offset.push_back(int_text(op.table.offset[k]));
      }
      o["table"] = {{"start", start},
                    {"slope", slope},
                    {"offset", offset},
                    {"shift", op.table.shift},
                    {"what", op.table.what}};
      break;
    }
    case QOpKind::Relu:
      break;
    }
    ops.push_back(o);
  }
  json j{{"name", q.name},
         {"features", q.features},
         {"encoding", encoding_name(q.encoding)},
         {"input_scale", q.input_scale},
         {"input_min", q.input_lo},
         {"input_max", q.input_hi},
         {"ops", ops},
         {"output", q.output == OutputKind::ArgMax ? "argmax" : "regression"},
         {"output_scale", q.output_scale}};
  if (!q.classes.empty()) j["classes"] = q.classes;
  return j;
}

namespace {

struct JsonReader {
  std::string error;
  bool ok() const { return error.empty(); }
  void bad(const std::string& path, const std::string& what) {
    if (error.empty()) error = "quantized." + path + ": " + what;
  }
  const json* get(const json& o, const std::string& path, const char* key) {
    if (!o.is_object() || !o.contains(key)) {
      bad(path + key, "missing");
      return nullptr;
    }
    return &o[key];
  }
  int64_t integer(const json& o, const std::string& path, const char* key, int64_t lo, int64_t hi) {
    const json* v = get(o, path, key);
    if (!v) return 0;
    if (!v->is_number_integer() ||
        (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
      bad(path + key, "must be an integer");
      return 0;
    }
    const int64_t x = v->get<int64_t>();
    if (x < lo || x > hi) bad(path + key, "out of range");
    return x;
  }
  std::vector<int64_t> ints(const json& o, const std::string& path, const char* key, size_t n,
                            int64_t lo, int64_t hi) {
    const json* v = get(o, path, key);
    std::vector<int64_t> out;
    if (!v) return out;
    if (!v->is_array() || (n != SIZE_MAX && v->size() != n)) {
      bad(path + key, "must be an array of " + (n == SIZE_MAX ? std::string("integers")
                                                              : std::to_string(n) + " integers"));
      return out;
    }
    for (const auto& e : *v) {
      if (!e.is_number_integer() ||
          (e.is_number_unsigned() && e.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
        bad(path + key, "must hold integers");
        return {};
      }
      const int64_t x = e.get<int64_t>();
      if (x < lo || x > hi) {
        bad(path + key, "holds a value out of range");
        return {};
      }
      out.push_back(x);
    }
    return out;
  }
  std::vector<double> reals(const json& o, const std::string& path, const char* key) {
    const json* v = get(o, path, key);
    std::vector<double> out;
    if (!v) return out;
    if (!v->is_array()) {
      bad(path + key, "must be an array of numbers");
      return out;
    }
    for (const auto& e : *v) {
      if (!e.is_number() || !std::isfinite(e.get<double>()) || e.get<double>() <= 0) {
        bad(path + key, "must hold positive numbers");
        return {};
      }
      out.push_back(e.get<double>());
    }
    return out;
  }
};

} // namespace

Result<QModel> qmodel_from_json(const json& j) {
  JsonReader r;
  QModel q;
  constexpr int64_t kBig = int64_t{1} << 40; // weights, biases, bounds: far inside the proofs
  if (!j.is_object()) return fail("the contract's quantized model is not an object");
  if (j.contains("name") && j["name"].is_string()) q.name = j["name"].get<std::string>();
  q.features = static_cast<uint32_t>(r.integer(j, "", "features", 1, 256));
  const json* enc = r.get(j, "", "encoding");
  if (enc && *enc == "u32")
    q.encoding = FeatureEncoding::U32;
  else if (enc && *enc != "i32")
    r.bad("encoding", "must be i32 or u32");
  if (r.ok()) {
    q.input_scale = r.reals(j, "", "input_scale");
    if (r.ok() && q.input_scale.size() != q.features) r.bad("input_scale", "one per feature");
    q.input_lo = r.ints(j, "", "input_min", q.features, INT32_MIN, UINT32_MAX);
    q.input_hi = r.ints(j, "", "input_max", q.features, INT32_MIN, UINT32_MAX);
    for (size_t i = 0; r.ok() && i < q.features; ++i)
      if (q.input_lo[i] > q.input_hi[i]) r.bad("input_min", "above input_max");
  }
  const json* ops = r.ok() ? r.get(j, "", "ops") : nullptr;
  if (ops && !ops->is_array()) r.bad("ops", "must be an array");
  uint32_t width = q.features;
  for (size_t k = 0; r.ok() && ops && k < ops->size() && k < 64; ++k) {
    const json& o = (*ops)[k];
    const std::string path = "ops[" + std::to_string(k) + "].";
    QOp op;
    const json* kind = r.get(o, path, "kind");
    if (!kind) break;
    bool known = false;
    for (QOpKind kk : {QOpKind::Dense, QOpKind::Requant, QOpKind::Relu, QOpKind::LeakyRelu,
                       QOpKind::Clamp, QOpKind::Piecewise})
      if (*kind == qop_name(kk)) op.kind = kk, known = true;
    if (!known) {
      r.bad(path + "kind", "unknown");
      break;
    }
    if (o.contains("name") && o["name"].is_string()) op.name = o["name"].get<std::string>();
    op.width = width;
    switch (op.kind) {
    case QOpKind::Dense: {
      op.in = static_cast<uint32_t>(r.integer(o, path, "in", 1, 4096));
      op.width = static_cast<uint32_t>(r.integer(o, path, "width", 1, 4096));
      if (r.ok() && op.in != width) r.bad(path + "in", "does not match the width before it");
      if (!r.ok()) break;
      op.w = r.ints(o, path, "w", static_cast<size_t>(op.in) * op.width, -kBig, kBig);
      op.b = r.ints(o, path, "b", op.width, -kBig, kBig);
      break;
    }
    case QOpKind::Requant:
    case QOpKind::LeakyRelu: {
      const size_t n = op.kind == QOpKind::LeakyRelu ? 1 : SIZE_MAX;
      auto pre = r.ints(o, path, "pre", n, 0, 62);
      auto post = r.ints(o, path, "post", n, 0, 62);
      op.mult = r.ints(o, path, "mult", n, -kBig, kBig);
      if (!r.ok()) break;
      if (pre.size() != post.size() || pre.size() != op.mult.size() ||
          (pre.size() != 1 && pre.size() != width))
        r.bad(path + "pre", "pre, post and mult need one entry, or one per channel");
      op.pre.assign(pre.begin(), pre.end());
      op.post.assign(post.begin(), post.end());
      break;
    }
    case QOpKind::Clamp:
      op.lo = r.integer(o, path, "lo", -kBig, kBig);
      op.hi = r.integer(o, path, "hi", -kBig, kBig);
      if (r.ok() && op.lo > op.hi) r.bad(path + "lo", "above hi");
      break;
    case QOpKind::Piecewise: {
      const json* t = r.get(o, path, "table");
      if (!t) break;
      auto start = r.ints(*t, path + "table.", "start", SIZE_MAX, -kBig, kBig);
      if (!r.ok()) break;
      if (start.empty() || start.size() > 256) {
        r.bad(path + "table.start", "needs 1 to 256 segments");
        break;
      }
      auto slope = r.ints(*t, path + "table.", "slope", start.size(), -kBig, kBig);
      auto offset = r.ints(*t, path + "table.", "offset", start.size(), -kBig, kBig);
      op.table.shift = static_cast<int>(r.integer(*t, path + "table.", "shift", 0, 40));
      if (!r.ok()) break;
      for (size_t s = 2; s < start.size(); ++s)
        if (start[s] <= start[s - 1]) r.bad(path + "table.start", "must increase");
      op.table.start.assign(start.begin(), start.end());
      op.table.slope.assign(slope.begin(), slope.end());
      op.table.offset.assign(offset.begin(), offset.end());
      if ((*t).contains("what") && (*t)["what"].is_string())
        op.table.what = (*t)["what"].get<std::string>();
      break;
    }
    case QOpKind::Relu:
      break;
    }
    if (!r.ok()) break;
    op.scale = r.reals(o, path, "scale");
    if (r.ok() && op.scale.size() != 1 && op.scale.size() != op.width)
      r.bad(path + "scale", "one entry, or one per channel");
    width = op.width;
    q.ops.push_back(std::move(op));
  }
  if (r.ok() && ops && ops->size() > 64) r.bad("ops", "more than 64 stages");
  const json* out = r.ok() ? r.get(j, "", "output") : nullptr;
  if (out) {
    if (*out == "argmax")
      q.output = OutputKind::ArgMax;
    else if (*out != "regression")
      r.bad("output", "must be argmax or regression");
  }
  if (r.ok() && q.output == OutputKind::Regression && width != 1)
    r.bad("output", "a regression produces one value");
  if (r.ok() && q.output == OutputKind::ArgMax && (width < 2 || width > 254))
    r.bad("output", "argmax needs 2 to 254 scores");
  if (r.ok() && j.contains("output_scale")) {
    if (!j["output_scale"].is_number() || !(j["output_scale"].get<double>() > 0))
      r.bad("output_scale", "must be a positive number");
    else
      q.output_scale = j["output_scale"].get<double>();
  }
  if (r.ok() && j.contains("classes") && j["classes"].is_array())
    for (const auto& c : j["classes"])
      if (c.is_string()) q.classes.push_back(c.get<std::string>());
  if (!r.ok())
    return fail("the contract's quantized model is malformed: " + r.error, {"<object>"},
                "recompile the object with `xdpml compile model`");
  return q;
}

} // namespace xdpml::model
