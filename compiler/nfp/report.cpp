// Rendering of a CheckReport: compiler-style text and JSON.
#include "compiler/nfp/check.hpp"

#include <sstream>

namespace xdpml::nfp {

namespace {

const char* severity_word(FindingSeverity s) {
  switch (s) {
  case FindingSeverity::E:
    return "error";
  case FindingSeverity::F:
    return "error";
  case FindingSeverity::W:
    return "warning";
  }
  return "?";
}

std::string location(const Finding& f, const std::string& object) {
  std::string out = object;
  std::string where;
  if (!f.section.empty()) where += " section '" + f.section + "'";
  if (f.insn) where += " insn " + std::to_string(*f.insn);
  if (!f.node.empty()) where += " (model node '" + f.node + "')";
  if (!f.insn && !f.program.empty()) where += " (program '" + f.program + "')";
  return where.empty() ? out : out + ":" + where;
}

} // namespace

nlohmann::json NfpProfile::to_json() const {
  nlohmann::json j;
  j["max_nfp_insns"] = max_nfp_insns;
  j["fw_stack_bytes"] = fw_stack_bytes ? nlohmann::json(*fw_stack_bytes) : nlohmann::json();
  j["fw_inl_mtu"] = fw_inl_mtu ? nlohmann::json(*fw_inl_mtu) : nlohmann::json();
  j["netdev_mtu"] = netdev_mtu ? nlohmann::json(*netdev_mtu) : nlohmann::json();
  j["helpers"] = helpers;
  j["queue_select"] = queue_select;
  j["map_types"] = map_types;
  j["max_map_elems"] = max_map_elems;
  j["max_elem_size"] = max_elem_size;
  if (max_maps) j["max_maps"] = *max_maps;
  if (max_key_size) j["max_key_size"] = *max_key_size;
  if (max_value_size) j["max_value_size"] = *max_value_size;
  return j;
}

std::string render_text(const CheckReport& report, const std::string& object) {
  std::ostringstream out;
  // Errors first, like the project's other diagnostics; stable otherwise.
  for (FindingSeverity s : {FindingSeverity::E, FindingSeverity::F, FindingSeverity::W})
    for (const auto& f : report.findings) {
      if (f.severity != s) continue;
      out << location(f, object) << ": " << severity_word(f.severity) << ' ' << f.rule
          << (f.severity == FindingSeverity::F ? " (FW capability)" : "") << ": " << f.message
          << '\n';
      if (f.insn) out << "  " << *f.insn << ":\t" << f.asm_text << '\n';
      if (!f.hint.empty()) out << "  hint: " << f.hint << '\n';
    }
  for (const auto& n : report.notes) out << object << ": note: " << n << '\n';
  for (const auto& p : report.programs) {
    const uint64_t pct = p.budget ? p.estimated_nfp_insns * 100 / p.budget : 0;
    out << object << ": program '" << p.name << "' (section '" << p.section << "', " << p.type
        << "): " << p.insns << " eBPF instructions, estimated " << p.estimated_nfp_insns
        << " NFP instructions / budget " << p.budget << " (" << pct << "%), stack " << p.stack_bytes
        << " B";
    if (p.max_packet_offset) {
      out << ", packet bytes up to offset ";
      if (*p.max_packet_offset >= static_cast<uint64_t>(INT64_MAX))
        out << "(unbounded)";
      else
        out << *p.max_packet_offset;
    }
    out << '\n';
  }
  const size_t e = report.count(FindingSeverity::E) + report.count(FindingSeverity::F);
  const size_t w = report.count(FindingSeverity::W);
  out << object << ": nfp offload check " << (report.passed() ? "passed" : "FAILED") << ": " << e
      << " error" << (e == 1 ? "" : "s") << ", " << w << " warning" << (w == 1 ? "" : "s") << '\n';
  return out.str();
}

nlohmann::json render_json(const CheckReport& report, const std::string& object,
                           const NfpProfile& profile) {
  nlohmann::json j;
  j["object"] = object;
  j["target"] = "nfp";
  j["ok"] = report.passed();
  j["profile"] = profile.to_json();
  j["programs"] = nlohmann::json::array();
  for (const auto& p : report.programs) {
    nlohmann::json jp{{"name", p.name},           {"section", p.section},
                      {"type", p.type},           {"insns", p.insns},
                      {"functions", p.functions}, {"estimated_nfp_insns", p.estimated_nfp_insns},
                      {"budget", p.budget},       {"stack_bytes", p.stack_bytes}};
    jp["max_packet_offset"] =
        p.max_packet_offset ? nlohmann::json(*p.max_packet_offset) : nlohmann::json();
    j["programs"].push_back(jp);
  }
  j["findings"] = nlohmann::json::array();
  for (const auto& f : report.findings) {
    nlohmann::json jf{
        {"rule", f.rule},       {"severity", std::string(1, severity_letter(f.severity))},
        {"program", f.program}, {"section", f.section},
        {"message", f.message}, {"hint", f.hint}};
    jf["insn"] = f.insn ? nlohmann::json(*f.insn) : nlohmann::json();
    jf["asm"] = f.insn ? nlohmann::json(f.asm_text) : nlohmann::json();
    jf["node"] = f.node.empty() ? nlohmann::json() : nlohmann::json(f.node);
    j["findings"].push_back(jf);
  }
  j["notes"] = report.notes;
  j["summary"] = {{"errors", report.count(FindingSeverity::E)},
                  {"capability_errors", report.count(FindingSeverity::F)},
                  {"warnings", report.count(FindingSeverity::W)}};
  return j;
}

} // namespace xdpml::nfp
