// The storm's self-test: deliberately wrong programs, hand-written in assembly from the layout of
// a real program's contract, each with a bug the storm must catch in a named family. A storm
// that passes them all would prove nothing about the real programs.
#pragma once

#include "tests/storm/oracle.hpp"

#include <string>
#include <vector>

namespace xdpml::storm {

struct Mutant {
  const char* name;
  const char* bug;
  const char* base;   // the built-in program whose contract it claims
  const char* family; // where the storm must report failures
  std::string (*source)(const Layout& layout);
};

const std::vector<Mutant>& mutants();

} // namespace xdpml::storm
