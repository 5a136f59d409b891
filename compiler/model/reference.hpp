// The quantized network: the integer semantics that the generated program implements, written
// once as data. The quantizer produces it, the lowering turns it into IR, the bit-exact
// reference evaluates it here, and the object's I/O contract carries it (as JSON) so that
// `recv`/`verify` can check every tag without the model file.
//
// Every value is an exact integer; arithmetic right shifts round toward -infinity. The compiler
// proves that each intermediate fits the machine width it is computed in, so the program and
// this evaluator agree on every input.
#pragma once

#include "compiler/ir.hpp"
#include "compiler/model/graph.hpp"
#include "support/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace xdpml::model {

using compiler::Int;

enum class QOpKind { Dense, Requant, Relu, LeakyRelu, Clamp, Piecewise };
const char* qop_name(QOpKind k);

struct QOp {
  QOpKind kind = QOpKind::Dense;
  std::string name;   // the model layer it implements ("fc1", "tanh1")
  std::string origin; // where that layer was defined
  uint32_t width = 0; // values it produces
  // Dense: y[j] = b[j] + sum_i w[j*in + i] * x[i].
  uint32_t in = 0;
  std::vector<int64_t> w, b;
  // Requant (per channel, or one entry for all): y = ((x >> pre) * mult + round) >> post with
  // round = 2^(post-1) (0 when post = 0): multiply-and-shift rounding to nearest, no division.
  // LeakyRelu: y = max(x, (x * mult[0]) >> post[0]) (0 <= alpha < 1).
  std::vector<int> pre, post;
  std::vector<int64_t> mult;
  // Clamp: y = max(min(x, hi), lo).
  int64_t lo = 0, hi = 0;
  // Piecewise: the same table for every value.
  compiler::PiecewiseTable table;
  // Real value of output j = integer / scale[j] (one entry: all channels).
  std::vector<double> scale;

  double scale_of(uint32_t j) const { return scale.size() == 1 ? scale[0] : scale[j]; }
};

struct QModel {
  std::string name;
  uint32_t features = 0;
  FeatureEncoding encoding = FeatureEncoding::I32;
  // Wire value of feature i = round(x * input_scale[i]); the program clamps it to
  // [input_lo[i], input_hi[i]] before anything else.
  std::vector<double> input_scale;
  std::vector<int64_t> input_lo, input_hi;
  std::vector<QOp> ops;
  OutputKind output = OutputKind::Regression;
  std::vector<std::string> classes;
  double output_scale = 1; // regression: real output = result / output_scale

  uint32_t outputs() const; // width of the last op
};

// Integer feature values as the sender puts them on the wire: round half away from zero of
// x * scale, saturated to what the encoding can carry.
int64_t wire_value(const QModel& q, uint32_t feature, double x);
std::vector<int64_t> wire_values(const QModel& q, const std::vector<double>& features);

// The exact integer output of every stage, for diagnostics; evaluate() returns the last.
std::vector<std::vector<Int>> evaluate_stages(const QModel& q, const std::vector<int64_t>& wire);
std::vector<Int> evaluate(const QModel& q, const std::vector<int64_t>& wire);

// What the program writes: tag (class + 1 for argmax, 1 for regression) and, for regressions,
// the signed 32-bit result.
struct Decision {
  uint8_t tag = 0;
  int64_t result = 0;
};
Decision decide(const QModel& q, const std::vector<int64_t>& wire);

// The contract's "quantized" member, and back. from_json checks every size and range it
// relies on (the contract of a damaged object is untrusted input).
nlohmann::json to_json(const QModel& q);
Result<QModel> qmodel_from_json(const nlohmann::json& j);

} // namespace xdpml::model
