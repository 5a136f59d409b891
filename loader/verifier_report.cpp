#include "loader/verifier_report.hpp"

#include "bpf/isa.hpp"
#include "bpf/kernel.hpp"
#include "loader/library.hpp"

#include <array>
#include <sstream>

namespace xdpml::loader {

std::string model_node_for_instruction(const nlohmann::json& contract, int insn) {
  if (!contract.is_object() || insn < 0) return {};
  const auto provenance = contract.find("provenance");
  if (provenance == contract.end() || !provenance->is_array()) return {};
  std::string node;
  for (const auto& run : *provenance) {
    if (!run.is_object() || !run.contains("insn") || !run["insn"].is_number_integer()) continue;
    if (run["insn"].get<int64_t>() > insn) break;
    node = run.value("node", "");
  }
  return node;
}

std::string instruction_text(std::span<const uint8_t> code, int index) {
  if (index < 0) return {};
  const size_t offset = static_cast<size_t>(index) * bpf::kInsnBytes;
  if (offset >= code.size()) return {};
  bpf::DecodeError error{};
  const auto insn = bpf::decode(code, offset, &error);
  if (!insn) return {};
  return bpf::format(*insn, index);
}

std::string verifier_hint(const std::string& message) {
  struct Rule {
    const char* needle;
    const char* hint;
  };
  static const std::array<Rule, 9> rules{{
      {"outside of the packet",
       "every packet access must come after a check against data_end, e.g. `r4 = r2; "
       "r4 += 14; if r4 > r3 goto out` (r2 = data, r3 = data_end)"},
      {"invalid access to packet",
       "every packet access must come after a check against data_end, e.g. `r4 = r2; "
       "r4 += 14; if r4 > r3 goto out` (r2 = data, r3 = data_end)"},
      {"!read_ok", "a register is read before anything was written to it (r0 must hold the "
                   "XDP action at `exit`)"},
      {"_or_null", "check the pointer a helper returned (e.g. bpf_map_lookup_elem) against 0 "
                   "before using it"},
      {"invalid mem access", "the dereferenced register does not hold a pointer the verifier "
                             "can check (a plain number, or a pointer that may be NULL)"},
      {"unreachable insn", "the verifier refuses instructions no path reaches"},
      {"back-edge", "loops must be bounded so the verifier can prove they end; unroll them"},
      {"misaligned", "this access is not aligned to its size; under strict alignment "
                     "(or offload) load it in smaller pieces"},
      {"too large", "the program exceeds the verifier's limits; make it smaller or split it"},
  }};
  for (const auto& rule : rules)
    if (message.find(rule.needle) != std::string::npos) return rule.hint;
  return "the verifier log excerpt shows its view of the registers up to the failing "
         "instruction; --verbose prints libbpf's messages as well";
}

namespace {

std::string indented(const std::string& text, const std::string& indent) {
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);) out += indent + line + '\n';
  if (!out.empty()) out.pop_back();
  return out;
}

} // namespace

Failure describe_rejection(const Rejection& rejection) {
  const SourceLocation where{"<kernel>", 0, 0, 1, "verifier"};
  const auto summary = bpf::summarize_verifier_log(rejection.verifier_log);
  std::string message = "program '" + rejection.program + "' (section " + rejection.section +
                        ") was rejected by the verifier";
  const std::string node = model_node_for_instruction(rejection.contract, summary.insn_index);
  if (summary.insn_index >= 0) {
    message += " at instruction " + std::to_string(summary.insn_index);
    if (!node.empty()) message += " (model node " + node + ")";
  }
  const std::string said =
      summary.message.empty() ? describe_errno(rejection.error_number) : summary.message;
  message += ": " + said;

  Failure failure = fail(make_error(message, where, verifier_hint(said)));
  auto add_note = [&](std::string text) {
    Diagnostic note = make_error(std::move(text), where);
    note.severity = Severity::Note;
    failure.diagnostics.add(std::move(note));
  };
  if (summary.insn_index >= 0) {
    const std::string text = instruction_text(rejection.code, summary.insn_index);
    if (!text.empty())
      add_note("instruction " + std::to_string(summary.insn_index) + ": " + text +
               (node.empty() ? "" : "    # " + node));
  }
  if (!summary.excerpt.empty())
    add_note("verifier log around it:\n" + indented(summary.excerpt, "    "));
  return failure;
}

} // namespace xdpml::loader
