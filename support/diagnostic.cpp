#include "support/diagnostic.hpp"

#include <algorithm>
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
// Text from user files may hold NUL bytes, escape sequences or megabytes on one line: print
// control characters as \xNN and cut what would flood the terminal.
std::string printable(const std::string& text, size_t max_bytes, bool keep_newlines) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= max_bytes) {
      out += "... (" + std::to_string(text.size() - i) + " more bytes)";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && !(keep_newlines && c == '\n')) || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

constexpr size_t kMaxMessage = 600;
constexpr int kSourceWindow = 100; // characters of a long source line shown each side

} // namespace

std::string Diagnostic::render() const {
  std::ostringstream out;
  const auto& loc = location;
  if (!loc.file.empty()) {
    out << printable(loc.file, 300, false);
    if (loc.line > 0) {
      out << ':' << loc.line;
      if (loc.column > 0) out << ':' << loc.column;
    }
    out << ": ";
  }
  if (!loc.context.empty()) out << printable(loc.context, 300, false) << ": ";
  out << severity_name(severity) << ": " << printable(message, kMaxMessage, true) << '\n';
  if (!source_line.empty() && loc.column > 0) {
    // A window of the line around the column; control characters shown as one '?' each so
    // the caret stays under the character it points at.
    const int col = loc.column - 1;
    const int from = std::max(0, col - kSourceWindow);
    const int to = std::min(static_cast<int>(source_line.size()), col + kSourceWindow);
    std::string shown = from > 0 ? "..." : "";
    const int lead = static_cast<int>(shown.size());
    for (int i = from; i < to; ++i) {
      const auto c = static_cast<unsigned char>(source_line[static_cast<size_t>(i)]);
      shown += (c < 0x20 && c != '\t') || c == 0x7f ? '?' : static_cast<char>(c);
    }
    if (to < static_cast<int>(source_line.size())) shown += "...";
    out << "  " << shown << '\n' << "  " << std::string(static_cast<size_t>(lead), ' ');
    // Keep tabs so the caret lines up under tab-indented source.
    for (int i = from; i < col && i < static_cast<int>(source_line.size()); ++i)
      out << (source_line[static_cast<size_t>(i)] == '\t' ? '\t' : ' ');
    out << '^';
    for (int i = 1; i < std::min(loc.length, kSourceWindow); ++i) out << '~';
    out << '\n';
  }
  if (!hint.empty()) out << "  hint: " << printable(hint, kMaxMessage, true) << '\n';
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
