// The compiler's pass pipeline. Each pass transforms or annotates a Function and reports
// problems as diagnostics that name the model node (Function::origins) they concern.
#pragma once

#include "compiler/ir.hpp"
#include "support/result.hpp"

#include <functional>
#include <string>
#include <vector>

namespace xdpml::compiler {

struct Pass {
  std::string name;
  std::function<Status(Function&)> run;
};

class PassManager {
public:
  void add(Pass p) { passes_.push_back(std::move(p)); }
  // Runs the passes in order; stops at the first failing one. `trace` receives the IR after
  // each pass when set (for --print-ir).
  Status run(Function& f,
             const std::function<void(const std::string& pass, const Function&)>& trace = {}) const;

private:
  std::vector<Pass> passes_;
};

// Folds operations on constants and simplifies x+0, x*1, x*0, x*2^k -> x<<k, x|0, x^0.
Pass fold_constants_pass();
// Removes value nodes nobody uses (side effects and exits are kept).
Pass dead_code_pass();
// Replaces every RequireLength by one check, at the top, of the largest packet access.
Pass hoist_bounds_check_pass();
// Proves value ranges (refined by side exits and Assume facts) and chooses alu32/alu64 and
// signed/unsigned comparisons; fails when a value may not fit 64 bits.
Pass range_analysis_pass();

// The standard pipeline, in order.
PassManager standard_pipeline();

} // namespace xdpml::compiler
