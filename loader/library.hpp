// The boundary to libbpf's object API and to libxdp: the only place in xdpml that calls them.
//
// The two libraries report errors differently, and this file normalises both to plain errno
// values so the rest of the loader has one convention:
//   - libbpf 1.x (strict mode is the default since 1.0): functions returning a pointer return
//     NULL and set errno; functions returning int return -errno (and set errno too). Some errno
//     values are libbpf's own (LIBBPF_ERRNO__FORMAT, ...), which only libbpf_strerror names.
//   - libxdp 1.3 returns ERR_PTR-encoded pointers (xdp_program__open_file,
//     xdp_multiprog__get_from_ifindex, ...): never compare them with NULL, ask libxdp_get_error.
// Both libraries also print warnings straight to stderr by default. LibraryLog captures that
// output so it reaches the user only with --verbose, while the loader can still quote the
// kernel's own words (netlink extack messages arrive as libbpf warnings).
#pragma once

#include <memory>
#include <string>
#include <vector>

struct bpf_object;
struct xdp_multiprog;

namespace xdpml::loader {

// errno of a libbpf call that returned a pointer: 0 when `pointer` is non-null.
int libbpf_pointer_error(const void* pointer);
// errno of a libbpf call that returned an int: 0 when `ret` >= 0.
int libbpf_int_error(int ret);
// errno of a libxdp call that returned a pointer (ERR_PTR or NULL): 0 when it is valid.
int libxdp_pointer_error(const void* pointer);
// errno of a libxdp call that returned an int (libxdp also returns -errno there).
int libxdp_int_error(int ret);
// Human-readable text for an errno value, including libbpf's private codes.
std::string describe_errno(int error_number);

struct BpfObjectCloser {
  void operator()(bpf_object* object) const;
};
using BpfObject = std::unique_ptr<bpf_object, BpfObjectCloser>;

struct XdpMultiprogCloser {
  void operator()(xdp_multiprog* multiprog) const;
};
using XdpMultiprog = std::unique_ptr<xdp_multiprog, XdpMultiprogCloser>;

// While alive, everything libbpf and libxdp print is captured here instead of going to
// stderr (and echoed to stderr as well when `echo_to_stderr`, i.e. --verbose). The print hooks
// are process-global, so only one LibraryLog may exist at a time; the previous hooks are
// restored on destruction.
class LibraryLog {
public:
  explicit LibraryLog(bool echo_to_stderr);
  ~LibraryLog();
  LibraryLog(const LibraryLog&) = delete;
  LibraryLog& operator=(const LibraryLog&) = delete;

  // Every captured line, in order, with its "libbpf: "/"libxdp: " prefix.
  const std::vector<std::string>& lines() const { return lines_; }
  // The last netlink extack message the kernel sent ("Kernel error message: ..."), if any.
  std::string last_kernel_message() const;
  // The last warning-level line, without the prefix; "" if none.
  std::string last_warning() const;
  // Forgets what was captured so far (so a later step's messages are not confused with
  // an earlier one's).
  void clear();

  // Called by the print hooks.
  void append(int level, std::string text);

private:
  bool echo_;
  std::vector<std::string> lines_;
  std::vector<int> levels_;
  // The hooks that were installed before, restored on destruction (stored as a generic
  // function pointer type so this header needs neither library's headers).
  using GenericFunction = void (*)();
  GenericFunction previous_libbpf_hook_ = nullptr;
  GenericFunction previous_libxdp_hook_ = nullptr;
};

} // namespace xdpml::loader
