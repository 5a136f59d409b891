#include "compiler/verify.hpp"

#include "bpf/kernel.hpp"

#include <chrono>
#include <regex>

namespace xdpml::compiler {

nlohmann::json KernelCheck::to_json() const {
  if (!ran) return {{"ran", false}, {"why", skipped_why}};
  return {{"ran", true},
          {"verifier", "accepted"},
          {"verifier_processed_insns", processed_insns},
          {"xlated_insns", xlated_insns},
          {"jited_bytes", jited_bytes},
          {"test_runs", compared},
          {"mismatches", 0},
          {"ms", ms}};
}

namespace {

// The model node of an instruction (slot) index, from the program's provenance.
std::string node_of_slot(const CompiledModel& m, long slot) {
  long at = 0;
  for (size_t i = 0; i < m.program.insns.size(); ++i) {
    const long next = at + m.program.insns[i].slots();
    if (slot >= at && slot < next) {
      const int o = m.program.origins[i];
      return o >= 0 ? m.program.origin_names[static_cast<size_t>(o)] : "";
    }
    at = next;
  }
  return "";
}

} // namespace

Result<KernelCheck> verify_in_kernel(const CompiledModel& model, bool strict_align,
                                     const VerifyCases& cases) {
  KernelCheck out;
  if (!bpf::can_load_programs()) {
    out.skipped_why = "this process cannot load BPF programs (needs root: CAP_BPF and "
                      "CAP_NET_ADMIN)";
    return out;
  }
  const auto t0 = std::chrono::steady_clock::now();
  bpf::LoadOptions lo;
  lo.prog_flags = strict_align ? 1u : 0u; // BPF_F_STRICT_ALIGNMENT
  lo.name = "xdpml_verify";
  auto prog = bpf::load_program(model.program.insns, lo);
  if (!prog) {
    // Point the verifier's complaint at the model node it is about.
    Diagnostics d;
    for (auto diag : prog.diagnostics().items()) {
      std::smatch m;
      if (std::regex_search(diag.message, m, std::regex(R"(at instruction (\d+))"))) {
        const std::string node = node_of_slot(model, std::stol(m[1]));
        if (!node.empty()) diag.location = {"<model>", 0, 0, 1, "model node '" + node + "'"};
      }
      diag.message = "--verify: " + diag.message;
      d.add(diag);
    }
    return fail(d);
  }
  out.ran = true;
  out.xlated_insns = prog->xlated_insns;
  out.jited_bytes = prog->jited_bytes;
  std::smatch m;
  if (std::regex_search(prog->verifier_log, m, std::regex(R"(processed (\d+) insns)")))
    out.processed_insns = static_cast<uint32_t>(std::stoul(m[1]));
  for (size_t k = 0; k < cases.count; ++k) {
    const auto pkt = cases.packet(k);
    auto r = bpf::test_run(prog->fd.get(), pkt);
    if (!r) return r.failure();
    const auto want = cases.expected(pkt);
    if (r->retval != 2 || r->data_out != want) {
      std::string diff;
      for (size_t b = 0; b < want.size() && b < r->data_out.size(); ++b)
        if (want[b] != r->data_out[b]) {
          diff = "first differing byte at frame offset " + std::to_string(b) + ": kernel " +
                 std::to_string(r->data_out[b]) + ", reference " + std::to_string(want[b]);
          break;
        }
      if (r->retval != 2) diff = "verdict " + std::to_string(r->retval) + " instead of XDP_PASS";
      if (diff.empty()) diff = "frame length differs";
      return fail("--verify: the kernel and the reference disagree on test input " +
                      std::to_string(k) + " of " + std::to_string(cases.count) + " (" + diff +
                      "); no object was written",
                  {"<model>", 0, 0, 1, "BPF_PROG_TEST_RUN"},
                  "input: " + cases.describe(pkt) +
                      "\nthis is a compiler bug: please report it with the model file");
    }
    ++out.compared;
  }
  out.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

} // namespace xdpml::compiler
