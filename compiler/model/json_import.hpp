// xdpml's JSON model format (docs/formats.md, "Model JSON"): a layer chain with float weights,
// or integer weights with scales and zero points. Errors name file:line:col and the field.
#pragma once

#include "compiler/model/graph.hpp"
#include "support/result.hpp"

#include <string>

namespace xdpml::model {

Result<Model> read_model_json_file(const std::string& path);
Result<Model> read_model_json_text(const std::string& text, const std::string& origin);

// By extension: ".onnx" through the ONNX importer, anything else as JSON.
Result<Model> read_model_file(const std::string& path);

} // namespace xdpml::model
