// `xdpml compile anova`: parameters -> IR -> object with its I/O contract.
#pragma once

#include "compiler/anova/frontend.hpp"
#include "compiler/driver.hpp"
#include "compiler/verify.hpp"
#include "support/datafile.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <vector>

namespace xdpml::anova {

struct ScaleChoice {
  uint32_t scale = 0;
  bool exact = false;   // every calibration value is an integer at this scale
  double max_error = 0; // largest |round(x*scale)/scale - x| over the calibration data
  std::string reason;
};

// Picks the smallest power of ten (1 .. 10^6) at which every calibration value is an exact
// integer and windows of N samples stay valid (N * max * scale below the sum limit, 2^30 for
// N <= 8); otherwise the largest power of two that keeps windows valid, reporting the
// integerization error.
Result<ScaleChoice> choose_scale(const std::vector<DataValue>& calibration, uint32_t window = 8);

nlohmann::json anova_contract(const AnovaSpec& spec, const AnovaConstants& k);

// --verify for a segmenter: `count` random windows (similar and shifted B windows, spreads from
// 0 to wide, sums near the validity limit; for f64 also NaN, infinities, negative values and
// -0.0), each expected back with decide_exact's tag.
compiler::VerifyCases anova_verify_cases(const AnovaSpec& spec, size_t count);

Result<compiler::CompiledModel> compile_anova(const AnovaSpec& spec,
                                              const compiler::CompileOptions& options);

} // namespace xdpml::anova
