#include "loader/library.hpp"

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <iostream>

namespace xdpml::loader {

int libbpf_pointer_error(const void* pointer) {
  if (pointer) return 0;
  // libbpf 1.x sets errno on every NULL return; guard against a library path that forgets.
  return errno ? errno : EINVAL;
}

int libbpf_int_error(int ret) {
  return ret < 0 ? -ret : 0;
}

int libxdp_pointer_error(const void* pointer) {
  // libxdp_get_error returns -errno for ERR_PTR values and for NULL (then from errno).
  const long err = libxdp_get_error(pointer);
  if (err == 0) return 0;
  return err < 0 ? static_cast<int>(-err) : EINVAL;
}

int libxdp_int_error(int ret) {
  return ret < 0 ? -ret : 0;
}

std::string describe_errno(int error_number) {
  char buffer[256] = {};
  // libbpf_strerror knows libbpf's private codes (LIBBPF_ERRNO__*) and falls back to strerror.
  if (libbpf_strerror(error_number, buffer, sizeof buffer) == 0 && buffer[0]) return buffer;
  return std::strerror(error_number);
}

void BpfObjectCloser::operator()(bpf_object* object) const {
  bpf_object__close(object);
}

void XdpMultiprogCloser::operator()(xdp_multiprog* multiprog) const {
  xdp_multiprog__close(multiprog);
}

namespace {

LibraryLog* active_log = nullptr;

std::string format_message(const char* format, va_list args) {
  va_list copy;
  va_copy(copy, args);
  const int size = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (size <= 0) return {};
  std::string text(static_cast<size_t>(size) + 1, '\0');
  std::vsnprintf(text.data(), text.size(), format, args);
  text.resize(static_cast<size_t>(size));
  return text;
}

// Both libraries prefix most messages themselves ("libbpf: ..."), but not all of them.
std::string with_prefix(const char* prefix, std::string text) {
  if (text.starts_with(prefix)) return text;
  return prefix + text;
}

// Both libraries use the same three levels (WARN 0, INFO 1, DEBUG 2).
int libbpf_hook(enum libbpf_print_level level, const char* format, va_list args) {
  if (active_log)
    active_log->append(static_cast<int>(level),
                       with_prefix("libbpf: ", format_message(format, args)));
  return 0;
}

int libxdp_hook(enum libxdp_print_level level, const char* format, va_list args) {
  if (active_log)
    active_log->append(static_cast<int>(level),
                       with_prefix("libxdp: ", format_message(format, args)));
  return 0;
}

constexpr int kWarnLevel = 0;
constexpr const char* kExtackPrefix = "Kernel error message: ";

std::string without_library_prefix(const std::string& line) {
  const auto colon = line.find(": ");
  return colon == std::string::npos ? line : line.substr(colon + 2);
}

} // namespace

LibraryLog::LibraryLog(bool echo_to_stderr) : echo_(echo_to_stderr) {
  active_log = this;
  previous_libbpf_hook_ = reinterpret_cast<GenericFunction>(libbpf_set_print(libbpf_hook));
  previous_libxdp_hook_ = reinterpret_cast<GenericFunction>(libxdp_set_print(libxdp_hook));
}

LibraryLog::~LibraryLog() {
  libbpf_set_print(reinterpret_cast<libbpf_print_fn_t>(previous_libbpf_hook_));
  libxdp_set_print(reinterpret_cast<libxdp_print_fn_t>(previous_libxdp_hook_));
  active_log = nullptr;
}

void LibraryLog::append(int level, std::string text) {
  if (echo_) {
    std::cerr << text;
    if (!text.empty() && text.back() != '\n') std::cerr << '\n';
  }
  // One message may span several lines (libbpf prints multi-line explanations).
  const auto colon = text.find(": ");
  const std::string prefix = colon < 8 ? text.substr(0, colon + 2) : std::string();
  size_t start = 0;
  bool first = true;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty()) {
      lines_.push_back(first ? line : prefix + line);
      levels_.push_back(level);
    }
    first = false;
    start = end + 1;
  }
}

std::string LibraryLog::last_kernel_message() const {
  for (auto it = lines_.rbegin(); it != lines_.rend(); ++it) {
    const auto at = it->find(kExtackPrefix);
    if (at != std::string::npos) return it->substr(at + std::strlen(kExtackPrefix));
  }
  return {};
}

std::string LibraryLog::last_warning() const {
  for (size_t i = lines_.size(); i-- > 0;)
    if (levels_[i] == kWarnLevel) return without_library_prefix(lines_[i]);
  return {};
}

void LibraryLog::clear() {
  lines_.clear();
  levels_.clear();
}

} // namespace xdpml::loader
