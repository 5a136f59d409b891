#include "compiler/model/graph.hpp"

#include <cmath>

namespace xdpml::model {

const char* encoding_name(FeatureEncoding e) {
  return e == FeatureEncoding::I32 ? "i32" : "u32";
}

const char* layer_kind_name(LayerKind k) {
  switch (k) {
  case LayerKind::Dense:
    return "dense";
  case LayerKind::Relu:
    return "relu";
  case LayerKind::LeakyRelu:
    return "leaky_relu";
  case LayerKind::Clip:
    return "clip";
  case LayerKind::Tanh:
    return "tanh";
  case LayerKind::Sigmoid:
    return "sigmoid";
  case LayerKind::Identity:
    return "identity";
  case LayerKind::ArgMax:
    return "argmax";
  case LayerKind::Softmax:
    return "softmax";
  }
  return "?";
}

uint32_t Model::output_width() const {
  uint32_t width = input.features;
  for (const auto& l : layers)
    if (l.kind == LayerKind::Dense) width = l.out;
  return width;
}

namespace {
SourceLocation at(const Model& m, const Layer& l) {
  return {m.source.empty() ? "<model>" : m.source, 0, 0, 1, l.origin};
}
bool all_finite(const std::vector<double>& v) {
  for (double x : v)
    if (!std::isfinite(x)) return false;
  return true;
}
} // namespace

Status validate(const Model& m) {
  const SourceLocation top{m.source.empty() ? "<model>" : m.source, 0, 0, 1, "input"};
  if (m.input.features == 0)
    return fail("the model has no input features", top, "set input.features");
  if (m.input.features > 256)
    return fail("the model has " + std::to_string(m.input.features) +
                    " input features; at most 256 fit one packet",
                top);
  if (m.input.scale && !(std::isfinite(*m.input.scale) && *m.input.scale > 0))
    return fail("input.scale must be a positive finite number", top);
  for (const auto* range : {&m.input.min, &m.input.max})
    if (!range->empty() && range->size() != m.input.features)
      return fail("input." + std::string(range == &m.input.min ? "min" : "max") + " has " +
                      std::to_string(range->size()) + " values for " +
                      std::to_string(m.input.features) + " features",
                  top);
  if (!all_finite(m.input.min) || !all_finite(m.input.max))
    return fail("input ranges must be finite numbers", top);
  for (size_t i = 0; i < m.input.min.size() && i < m.input.max.size(); ++i)
    if (m.input.min[i] > m.input.max[i])
      return fail("input range of feature " + std::to_string(i) + " is empty (min " +
                      std::to_string(m.input.min[i]) + " > max " + std::to_string(m.input.max[i]) +
                      ")",
                  top);
  if (m.layers.empty()) return fail("the model has no layers", top);
  uint32_t width = m.input.features;
  bool any_dense = false;
  for (size_t k = 0; k < m.layers.size(); ++k) {
    const Layer& l = m.layers[k];
    const bool last = k + 1 == m.layers.size();
    switch (l.kind) {
    case LayerKind::Dense: {
      if (l.in != width)
        return fail("shape mismatch: " + l.name + " takes " + std::to_string(l.in) +
                        " inputs but the layer before it produces " + std::to_string(width),
                    at(m, l));
      if (l.out == 0) return fail(l.name + " has no outputs", at(m, l));
      const size_t n = static_cast<size_t>(l.in) * l.out;
      if (l.integer) {
        if (l.integer->q.size() != n)
          return fail(l.name + " has " + std::to_string(l.integer->q.size()) +
                          " integer weights, expected " + std::to_string(l.out) + " x " +
                          std::to_string(l.in),
                      at(m, l));
        const auto& s = l.integer->scale;
        if (s.size() != 1 && s.size() != l.out)
          return fail(l.name + ": weight_scale must be one number or one per output (" +
                          std::to_string(l.out) + ")",
                      at(m, l));
        for (double x : s)
          if (!(std::isfinite(x) && x > 0))
            return fail(l.name + ": weight_scale must be positive and finite", at(m, l));
        for (int64_t q : l.integer->q)
          if (q - l.integer->zero_point < -(int64_t{1} << 24) ||
              q - l.integer->zero_point > (int64_t{1} << 24))
            return fail(l.name + ": integer weights must lie within +-2^24 of the zero point",
                        at(m, l));
      } else if (l.weights.size() != n) {
        return fail(l.name + " has " + std::to_string(l.weights.size()) + " weights, expected " +
                        std::to_string(l.out) + " x " + std::to_string(l.in),
                    at(m, l));
      }
      if (!l.bias.empty() && l.bias.size() != l.out)
        return fail(l.name + " has " + std::to_string(l.bias.size()) + " biases for " +
                        std::to_string(l.out) + " outputs",
                    at(m, l));
      if (!all_finite(l.weights) || !all_finite(l.bias))
        return fail(l.name + " has a weight or bias that is NaN or infinite", at(m, l),
                    "retrain or clean the model; xdpml cannot quantize non-finite weights");
      width = l.out;
      any_dense = true;
      break;
    }
    case LayerKind::LeakyRelu:
      if (!(std::isfinite(l.alpha) && l.alpha >= 0 && l.alpha < 1))
        return fail(l.name + ": leaky_relu alpha must be in [0, 1)", at(m, l));
      break;
    case LayerKind::Clip:
      if (!(std::isfinite(l.clip_lo) && std::isfinite(l.clip_hi) && l.clip_lo <= l.clip_hi))
        return fail(l.name + ": clip needs finite min <= max", at(m, l));
      break;
    case LayerKind::ArgMax:
    case LayerKind::Softmax:
      if (!last)
        return fail(l.name + ": " + layer_kind_name(l.kind) +
                        " is supported only as the last layer",
                    at(m, l), "it is compiled as argmax over the scores before it");
      break;
    default:
      break;
    }
  }
  if (!any_dense) return fail("the model has no dense layer", top);
  if (m.output.kind == OutputKind::Regression && width != 1)
    return fail("a regression model must produce one value; this one produces " +
                    std::to_string(width),
                top, "end the model with argmax/softmax for a classifier");
  if (m.output.kind == OutputKind::ArgMax && width < 2)
    return fail("an argmax output needs at least two scores", top);
  if (m.output.kind == OutputKind::ArgMax && !m.output.classes.empty() &&
      m.output.classes.size() != width)
    return fail("output.classes names " + std::to_string(m.output.classes.size()) +
                    " classes but the model produces " + std::to_string(width) + " scores",
                top);
  if (m.output.scale && !(std::isfinite(*m.output.scale) && *m.output.scale > 0))
    return fail("output.scale must be a positive finite number", top);
  return ok_status();
}

double Layer::weight(uint32_t j, uint32_t i) const {
  const size_t k = static_cast<size_t>(j) * in + i;
  if (!integer) return weights[k];
  return static_cast<double>(integer->q[k] - integer->zero_point) *
         integer->scale[integer->scale.size() == 1 ? 0 : j];
}

std::vector<double> apply_layer(const Layer& l, std::vector<double> x) {
  {
    switch (l.kind) {
    case LayerKind::Dense: {
      std::vector<double> y(l.out);
      for (uint32_t j = 0; j < l.out; ++j) {
        double acc = l.bias.empty() ? 0.0 : l.bias[j];
        for (uint32_t i = 0; i < l.in; ++i) acc += l.weight(j, i) * x[i];
        y[j] = acc;
      }
      x = std::move(y);
      break;
    }
    case LayerKind::Relu:
      for (double& v : x) v = v > 0 ? v : 0;
      break;
    case LayerKind::LeakyRelu:
      for (double& v : x) v = v >= 0 ? v : l.alpha * v;
      break;
    case LayerKind::Clip:
      for (double& v : x) v = std::min(std::max(v, l.clip_lo), l.clip_hi);
      break;
    case LayerKind::Tanh:
      for (double& v : x) v = std::tanh(v);
      break;
    case LayerKind::Sigmoid:
      for (double& v : x) v = 1.0 / (1.0 + std::exp(-v));
      break;
    case LayerKind::Identity:
    case LayerKind::ArgMax:
    case LayerKind::Softmax: // argmax-equivalent: the scores are what is compared
      break;
    }
  }
  return x;
}

std::vector<double> evaluate_float(const Model& m, const std::vector<double>& features) {
  std::vector<double> x = features;
  for (const auto& l : m.layers) x = apply_layer(l, std::move(x));
  return x;
}

uint32_t argmax(const std::vector<double>& v) {
  uint32_t best = 0;
  for (uint32_t i = 1; i < v.size(); ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

} // namespace xdpml::model
