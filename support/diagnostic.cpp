#include "support/diagnostic.hpp"

#include <ostream>
#include <sstream>

namespace xdpml {

namespace {
const char* severity_name(Severity s) {
  switch (s) {
  case Severity::Error:
    return "error";
  case Severity::Warning:
    return "warning";
  case Severity::Note:
    return "note";
  }
  return "error";
}
} // namespace

std::string Diagnostic::render() const {
  std::ostringstream out;
  const auto& loc = location;
  if (!loc.file.empty()) {
    out << loc.file;
    if (loc.line > 0) {
      out << ':' << loc.line;
      if (loc.column > 0) out << ':' << loc.column;
    }
    out << ": ";
  }
  if (!loc.context.empty()) out << loc.context << ": ";
  out << severity_name(severity) << ": " << message << '\n';
  if (!source_line.empty() && loc.column > 0) {
    out << "  " << source_line << '\n' << "  ";
    // Keep tabs so the caret lines up under tab-indented source.
    for (int i = 0; i < loc.column - 1 && i < static_cast<int>(source_line.size()); ++i)
      out << (source_line[i] == '\t' ? '\t' : ' ');
    out << '^';
    for (int i = 1; i < loc.length; ++i) out << '~';
    out << '\n';
  }
  if (!hint.empty()) out << "  hint: " << hint << '\n';
  return out.str();
}

Diagnostic make_error(std::string message, SourceLocation location, std::string hint) {
  Diagnostic d;
  d.message = std::move(message);
  d.location = std::move(location);
  d.hint = std::move(hint);
  return d;
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::has_errors() const {
  for (const auto& d : items_)
    if (d.severity == Severity::Error) return true;
  return false;
}

void Diagnostics::print(std::ostream& out) const {
  // Errors first, like bpftrace: the first thing the user reads is what stopped the build.
  for (const auto& d : items_)
    if (d.severity == Severity::Error) out << d.render();
  for (const auto& d : items_)
    if (d.severity != Severity::Error) out << d.render();
}

std::string Diagnostics::render() const {
  std::ostringstream out;
  print(out);
  return out.str();
}

} // namespace xdpml
