// ONNX models through Debian's libonnx (the real protobuf schema): a chain of
// Gemm / MatMul+Add / Relu / LeakyRelu / Tanh / Sigmoid / Clip / Flatten / Reshape / Identity /
// Softmax / ArgMax nodes becomes a model::Model. Anything else is an error naming the ONNX node,
// its op type and what is supported.
#pragma once

#include "compiler/model/graph.hpp"
#include "support/result.hpp"

#include <string>

namespace xdpml::model {

Result<Model> read_onnx_file(const std::string& path);
// The same from bytes in memory (fuzzing, tests); `origin` names them in errors.
Result<Model> read_onnx_bytes(const std::string& bytes, const std::string& origin);

} // namespace xdpml::model
