#include "bpf/kernel.hpp"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>
#include <sstream>

namespace xdpml::bpf {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) close(fd_);
}

VerifierError summarize_verifier_log(const std::string& log) {
  VerifierError e;
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(l);
  // The kernel ends with "processed N insns ..." and sometimes a blank summary; the error is
  // the last line that is not such a summary.
  static const std::regex insn_line(R"(^(\d+): \([0-9a-f]{2}\))");
  static const std::regex summary(
      R"(^(processed \d+ insns|verification time|stack depth|max_states_per_insn|; ))");
  int err_line = -1;
  for (int i = static_cast<int>(lines.size()) - 1; i >= 0; --i) {
    if (std::regex_search(lines[i], summary)) continue;
    err_line = i;
    break;
  }
  if (err_line < 0) return e;
  // The verifier often explains in two lines ("invalid access to packet, off=..." then
  // "R2 offset is outside of the packet"): keep every line after the last instruction dump.
  int insn_at = -1;
  for (int i = err_line; i >= 0; --i) {
    std::smatch m;
    if (std::regex_search(lines[i], m, insn_line)) {
      e.insn_index = std::stoi(m[1]);
      insn_at = i;
      break;
    }
  }
  for (int i = std::max(insn_at + 1, err_line - 2); i <= err_line; ++i)
    e.message += (e.message.empty() ? "" : "; ") + lines[i];
  if (e.message.empty()) e.message = lines[err_line];
  const int from = std::max(0, err_line - 6);
  for (int i = from; i <= err_line; ++i) e.excerpt += lines[i] + '\n';
  return e;
}

Result<LoadedProgram> load_program(std::span<const uint8_t> code, const LoadOptions& options) {
  if (code.empty() || code.size() % kInsnBytes)
    return fail("program of " + std::to_string(code.size()) +
                " bytes is not a whole number of instructions");
  std::vector<char> log(1 << 20);
  LIBBPF_OPTS(bpf_prog_load_opts, opts);
  opts.log_buf = log.data();
  opts.log_size = static_cast<uint32_t>(log.size());
  opts.log_level = options.log_level;
  opts.prog_flags = options.prog_flags;
  // The kernel copies instructions; bpf_insn has the same layout as our encoded bytes.
  std::vector<bpf_insn> insns(code.size() / kInsnBytes);
  std::memcpy(insns.data(), code.data(), code.size());
  const int fd = bpf_prog_load(static_cast<bpf_prog_type>(options.prog_type), options.name.c_str(),
                               options.license.c_str(), insns.data(), insns.size(), &opts);
  LoadedProgram out;
  out.verifier_log = log.data();
  if (fd < 0) {
    const int err = -fd;
    if (err == EPERM)
      return fail("the kernel refused to load the program: " + std::string(strerror(err)), {},
                  "loading BPF programs needs root (CAP_BPF and CAP_NET_ADMIN)");
    const auto v = summarize_verifier_log(out.verifier_log);
    std::string msg = "the verifier rejected the program";
    if (v.insn_index >= 0) msg += " at instruction " + std::to_string(v.insn_index);
    msg += ": " + (v.message.empty() ? std::string(strerror(err)) : v.message);
    Diagnostic d = make_error(msg, {"<kernel>", 0, 0, 1, "verifier"},
                              v.excerpt.empty() ? "" : "verifier log excerpt:\n" + v.excerpt);
    return fail(d);
  }
  out.fd = Fd(fd);
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
    out.xlated_insns = info.xlated_prog_len / kInsnBytes;
    out.jited_bytes = info.jited_prog_len;
  }
  return out;
}

Result<LoadedProgram> load_program(const std::vector<Insn>& insns, const LoadOptions& options) {
  std::vector<uint8_t> code;
  for (const auto& i : insns) append_bytes(i, code);
  return load_program(code, options);
}

Result<TestRunResult> test_run(int prog_fd, std::span<const uint8_t> packet, uint32_t repeat) {
  TestRunResult r;
  r.data_out.resize(packet.size() + 256);
  LIBBPF_OPTS(bpf_test_run_opts, opts);
  opts.data_in = packet.data();
  opts.data_size_in = static_cast<uint32_t>(packet.size());
  opts.data_out = r.data_out.data();
  opts.data_size_out = static_cast<uint32_t>(r.data_out.size());
  opts.repeat = repeat;
  const int err = bpf_prog_test_run_opts(prog_fd, &opts);
  if (err < 0)
    return fail("BPF_PROG_TEST_RUN failed: " + std::string(strerror(-err)),
                {"<kernel>", 0, 0, 1, "test run"},
                -err == EINVAL
                    ? "XDP test runs need a packet of at least 14 bytes (an Ethernet header)"
                    : "");
  r.retval = opts.retval;
  r.duration_ns = opts.duration;
  r.data_out.resize(opts.data_size_out);
  return r;
}

bool can_load_programs() {
  if (geteuid() != 0) return false;
  // Smallest valid program: r0 = 2; exit.
  const uint8_t code[] = {0xb7, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0};
  auto p = load_program(code);
  return p.ok();
}

} // namespace xdpml::bpf
