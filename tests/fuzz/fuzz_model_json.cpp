// libFuzzer target for the JSON model reader.
//
// Input: text taken as an xdpml JSON model (seeds: tests/fuzz/corpus/model_json/).
// read_model_json_text must refuse it with an error diagnostic or return a model; a model that
// validate() also accepts must run through evaluate_float (input.features values in,
// output_width() values out) on a zero vector and a pseudo-random one. validate() refusing what
// the reader returned is not a finding here: the CLI may complete a model (input ranges, scales)
// before validating it.
#include "compiler/model/graph.hpp"
#include "compiler/model/json_import.hpp"
#include "fuzz_common.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace xdpml;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto m = model::read_model_json_text(text, "<fuzz>");
  if (!m) {
    if (!m.diagnostics().has_errors())
      fuzz::die("read_model_json_text failed without an error", m.diagnostics().render());
    (void)m.diagnostics().render();
    return 0;
  }
  auto v = model::validate(*m);
  if (!v) {
    (void)v.diagnostics().render();
    return 0;
  }
  std::vector<double> x(m->input.features, 0.0);
  for (int round = 0; round < 2; ++round) {
    const auto y = model::evaluate_float(*m, x);
    if (y.size() != m->output_width())
      fuzz::die("evaluate_float gave " + std::to_string(y.size()) + " values, output_width() " +
                    std::to_string(m->output_width()),
                text);
    uint64_t s = 0x9E3779B97F4A7C15ull ^ size;
    for (auto& value : x) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      value = static_cast<double>(static_cast<int64_t>(s >> 40) - (int64_t{1} << 23)) / 4096.0;
    }
  }
  return 0;
}
