// The IR's meaning, executed directly on exact integers: what a Function does to one packet.
// It is the middle oracle between a front end's reference (does the IR say what the model
// means?) and the kernel (does the generated code do what the IR says?).
#pragma once

#include "compiler/ir.hpp"

#include <cstdint>
#include <vector>

namespace xdpml::compiler {

struct Interpretation {
  int exit = -1;               // index into Function::exits
  std::vector<uint8_t> packet; // after the body's stores and the exit's tag
  std::vector<Int> values;     // per node (0 for nodes without a value or not reached)
};

Interpretation interpret(const Function& f, std::vector<uint8_t> packet);

} // namespace xdpml::compiler
