#include "support/cli_support.hpp"

#include <nlohmann/json.hpp>

#include <iostream>

namespace xdpml {

int report_failure(const Failure& failure, bool json, int code) {
  if (!json) {
    failure.diagnostics.print(std::cerr);
    return code;
  }
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& d : failure.diagnostics.items()) {
    nlohmann::json e{{"severity", d.severity == Severity::Error
                                      ? "error"
                                      : (d.severity == Severity::Warning ? "warning" : "note")},
                     {"message", d.message}};
    if (!d.location.file.empty()) e["file"] = d.location.file;
    if (d.location.line) e["line"] = d.location.line;
    if (d.location.column) e["column"] = d.location.column;
    if (!d.location.context.empty()) e["context"] = d.location.context;
    if (!d.hint.empty()) e["hint"] = d.hint;
    errors.push_back(e);
  }
  // Messages may quote bytes from damaged files: never let them break the JSON writer.
  std::cout << json_text(nlohmann::json{{"ok", false}, {"errors", errors}}) << '\n';
  return code;
}

std::string json_text(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace xdpml
