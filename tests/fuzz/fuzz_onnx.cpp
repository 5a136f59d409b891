// libFuzzer target for the ONNX importer.
//
// Input: raw bytes taken as an ONNX ModelProto (seeds: tests/fuzz/corpus/onnx/, copies of the
// models of tests/data/onnx/). read_onnx_bytes must refuse them with an error diagnostic, or
// return a model that validate() accepts, whose names are printable, and that evaluate_float
// runs on: input.features values in, output_width() values out, for a zero vector
// and a pseudo-random one. Protobuf itself is not instrumented: coverage is the importer's.
#include "compiler/model/graph.hpp"
#include "compiler/model/onnx_import.hpp"
#include "fuzz_common.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace xdpml;

namespace {

bool printable(const std::string& s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto m = model::read_onnx_bytes(bytes, "<fuzz>");
  if (!m) {
    if (!m.diagnostics().has_errors())
      fuzz::die("read_onnx_bytes failed without an error", m.diagnostics().render());
    (void)m.diagnostics().render();
    return 0;
  }
  if (auto v = model::validate(*m); !v)
    fuzz::die("validate() refused a model read_onnx_bytes returned", v.diagnostics().render());
  if (!printable(m->name)) fuzz::die("model name with control characters", m->name);
  for (const auto& l : m->layers)
    if (l.name.empty() || l.origin.empty() || !printable(l.name) || !printable(l.origin))
      fuzz::die("layer name or origin empty or with control characters", l.name + " / " + l.origin);

  const uint32_t n = m->input.features;
  std::vector<double> x(n, 0.0);
  for (int round = 0; round < 2; ++round) {
    const auto y = model::evaluate_float(*m, x);
    if (y.size() != m->output_width())
      fuzz::die("evaluate_float gave " + std::to_string(y.size()) + " values, output_width() " +
                    std::to_string(m->output_width()),
                m->name);
    uint64_t s = 0x9E3779B97F4A7C15ull ^ size;
    for (auto& v : x) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      v = static_cast<double>(static_cast<int64_t>(s >> 40) - (int64_t{1} << 23)) / 4096.0;
    }
  }
  return 0;
}
