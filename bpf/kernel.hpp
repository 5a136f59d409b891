// Kernel probes used by tests and tools: load instructions with the verifier log captured,
// and run a program on a packet with BPF_PROG_TEST_RUN. Thin wrappers over libbpf's bpf.h
// syscall layer (which returns -errno); attaching to interfaces lives in loader/.
#pragma once

#include "bpf/isa.hpp"
#include "support/result.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace xdpml::bpf {

// Owns a file descriptor.
class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  int release() {
    const int f = fd_;
    fd_ = -1;
    return f;
  }
  explicit operator bool() const { return fd_ >= 0; }

private:
  int fd_ = -1;
};

struct LoadOptions {
  uint32_t prog_type = 6; // BPF_PROG_TYPE_XDP
  std::string name = "xdpml_prog";
  std::string license = "GPL";
  uint32_t prog_flags = 0; // e.g. BPF_F_STRICT_ALIGNMENT
  uint32_t log_level = 1;  // 1: log on failure paths; 2: every instruction
};

struct LoadedProgram {
  Fd fd;
  std::string verifier_log;
  uint32_t xlated_insns = 0;
  uint32_t jited_bytes = 0;
};

// What went wrong, distilled from a verifier log.
struct VerifierError {
  int insn_index = -1; // the instruction the verifier was at, if the log says
  std::string message; // the verifier's own last words
  std::string excerpt; // a few lines of context before the error
};
VerifierError summarize_verifier_log(const std::string& log);

Result<LoadedProgram> load_program(std::span<const uint8_t> code, const LoadOptions& options = {});
Result<LoadedProgram> load_program(const std::vector<Insn>& insns, const LoadOptions& options = {});

struct TestRunResult {
  uint32_t retval = 0;
  std::vector<uint8_t> data_out;
  uint32_t duration_ns = 0; // average per repetition, as the kernel reports it
};

// Runs the program `repeat` times on one copy of `packet` (the kernel reuses the buffer:
// a program that rewrites the packet sees its own output from the second run on).
Result<TestRunResult> test_run(int prog_fd, std::span<const uint8_t> packet, uint32_t repeat = 1);

// True when this process may load BPF programs (root / CAP_BPF and a kernel with BPF).
bool can_load_programs();

} // namespace xdpml::bpf
