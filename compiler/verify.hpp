// `compile --verify`: before an object is written, the kernel checks it. The verifier must
// accept it (with BPF_F_STRICT_ALIGNMENT when the program was compiled for it), and
// BPF_PROG_TEST_RUN on N packets must produce exactly the bytes the front end's reference
// predicts; the first mismatching input is the error. Where this process cannot load
// programs (not root, no BPF), the check says so and the compile goes on.
#pragma once

#include "compiler/driver.hpp"
#include "support/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace xdpml::compiler {

struct KernelCheck {
  bool ran = false;             // false: this process cannot load BPF programs
  std::string skipped_why;      // when !ran
  uint32_t processed_insns = 0; // the verifier's "processed N insns"
  uint32_t xlated_insns = 0, jited_bytes = 0;
  size_t compared = 0; // packets run through BPF_PROG_TEST_RUN
  double ms = 0;
  nlohmann::json to_json() const;
};

// The cases to run: packet k, and from a packet the bytes the program must return (verdict
// XDP_PASS always) and a one-line description of its input for the error.
struct VerifyCases {
  size_t count = 0;
  std::function<std::vector<uint8_t>(size_t)> packet;
  std::function<std::vector<uint8_t>(const std::vector<uint8_t>&)> expected;
  std::function<std::string(const std::vector<uint8_t>&)> describe;
};

Result<KernelCheck> verify_in_kernel(const CompiledModel& model, bool strict_align,
                                     const VerifyCases& cases);

} // namespace xdpml::compiler
