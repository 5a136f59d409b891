// Diagnostics are values: a message, where it happened, the source line and a hint.
// They are collected and printed once by the driver (bpftrace style), never exit() deep inside.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace xdpml {

enum class Severity { Error, Warning, Note };

struct SourceLocation {
  std::string file;    // path, or "<object>"/"<model>" when there is no text source
  int line = 0;        // 1-based; 0 = no line
  int column = 0;      // 1-based; 0 = no column
  int length = 1;      // width of the caret underline
  std::string context; // e.g. "section 'xdp'", "model node dense_1": printed after the position
};

struct Diagnostic {
  Severity severity = Severity::Error;
  std::string message;
  SourceLocation location;
  std::string source_line; // the text line the location points into, if any
  std::string hint;

  // Renders "file:line:col: error: message", the source line, a caret, and "hint: ...".
  std::string render() const;
};

Diagnostic make_error(std::string message, SourceLocation location = {}, std::string hint = {});

// An ordered list of diagnostics with a convenience printer.
class Diagnostics {
public:
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  void append(const Diagnostics& other);
  bool has_errors() const;
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  void print(std::ostream& out) const;
  std::string render() const;

private:
  std::vector<Diagnostic> items_;
};

} // namespace xdpml
