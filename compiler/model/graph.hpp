// The model graph: what a trained network is, before quantization. Both importers (JSON and
// ONNX) produce it; the quantizer, the float reference and the report read it.
//
// A model is a chain of layers over one feature vector (multilayer perceptrons today; the
// convolution issue adds layer kinds with shapes, not a new graph). Each layer remembers where
// it came from (`origin`: "layers[2]" of a JSON file, or an ONNX node name) so every error and
// every generated instruction can name it.
#pragma once

#include "support/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xdpml::model {

// How one feature travels in the packet: a little-endian 32-bit integer, wire = round(x * scale).
enum class FeatureEncoding { I32, U32 };
const char* encoding_name(FeatureEncoding e);

struct InputSpec {
  uint32_t features = 0;
  FeatureEncoding encoding = FeatureEncoding::I32;
  std::optional<double> scale; // wire units per real unit; nullopt: chosen from calibration
  // Declared value range per feature (real units). Empty: the calibration data's range. The
  // program clamps every feature to its range, which is what makes the overflow proof hold for
  // any packet.
  std::vector<double> min, max;
};

enum class LayerKind { Dense, Relu, LeakyRelu, Clip, Tanh, Sigmoid, Identity, ArgMax, Softmax };
const char* layer_kind_name(LayerKind k);

// Weights that arrive already quantized (an int8 TFLite/LiteFlow model): real weight of output j,
// input i = (q[j*in + i] - zero_point) * scale[j or 0]. Compiled as they are, not re-quantized.
struct IntegerWeights {
  std::vector<int64_t> q;
  std::vector<double> scale; // one per layer, or one per output channel
  int64_t zero_point = 0;
  std::vector<int64_t> bias_q; // in units of scale * input scale, when given
};

struct Layer {
  LayerKind kind = LayerKind::Identity;
  std::string origin; // "layers[3]" / "node 'Gemm_0' (Gemm)": for diagnostics and provenance
  std::string name;   // short name used in listings ("fc1"); defaults to origin
  // Dense: y = W x + b with W row-major [out][in].
  uint32_t in = 0, out = 0;
  std::vector<double> weights, bias;
  std::optional<IntegerWeights> integer;
  // LeakyRelu: y = x for x >= 0, alpha * x otherwise. Clip: y = min(max(x, lo), hi).
  double alpha = 0.01;
  double clip_lo = 0, clip_hi = 0;

  double weight(uint32_t j, uint32_t i) const; // real weight of output j, input i (dense)
};

enum class OutputKind { ArgMax, Regression };

struct OutputSpec {
  OutputKind kind = OutputKind::Regression;
  // Regression: the value is written as a signed fixed-point integer, value * scale; nullopt:
  // chosen by the quantizer (finest scale that keeps the output range in 31 bits).
  std::optional<double> scale;
  std::vector<std::string> classes; // ArgMax: optional class names, tag = index + 1
};

struct Model {
  std::string name = "model";
  std::string source; // the file it was read from
  InputSpec input;
  std::vector<Layer> layers;
  OutputSpec output;

  uint32_t output_width() const; // values the last layer produces
};

// Checks what every consumer relies on: shapes chain (each dense layer's `in` equals the width
// before it), weight and bias counts, finite numbers, a known output. Errors name the layer.
Status validate(const Model& m);

// The float model evaluated in double precision: the independent reference that quantized
// outputs are compared with. `features` has input.features values (real units, before
// clamping); returns the last layer's outputs (for ArgMax models the scores before argmax).
std::vector<double> evaluate_float(const Model& m, const std::vector<double>& features);
std::vector<double> apply_layer(const Layer& l, std::vector<double> x);

// Index of the largest value, the first one on ties (numpy's argmax).
uint32_t argmax(const std::vector<double>& v);

} // namespace xdpml::model
