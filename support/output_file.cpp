#include "support/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <vector>

namespace xdpml {

namespace {

Failure write_error(const std::string& path, int err) {
  return fail("cannot write '" + path + "': " + std::strerror(err), {path},
              err == ENOSPC ? "the device is full"
                            : "check that the directory exists and is writable");
}

// Writes all of `bytes` to fd; errno on failure.
int write_all(int fd, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += static_cast<size_t>(n);
  }
  return 0;
}

} // namespace

Status write_output_file(const std::string& path, std::span<const uint8_t> bytes) {
  if (path.empty()) return fail("no output path given");
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode))
    return fail("cannot write '" + path + "': it is a directory", {path},
                "give a file name, e.g. " + path + "/out.o");
  if (exists && !S_ISREG(st.st_mode)) {
    // A device, FIFO or socket: write into it, never replace it.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return write_error(path, errno);
    const int err = write_all(fd, bytes);
    const int close_err = ::close(fd) == 0 ? 0 : errno;
    if (err || close_err) return write_error(path, err ? err : close_err);
    return ok_status();
  }
  // A regular file (through a symlink too: the link stays, its target is replaced) or a new
  // path: a temporary in the same directory, renamed over it.
  std::string target = path;
  std::vector<char> resolved(4096);
  struct stat lst {};
  for (int hops = 0; ::lstat(target.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode); ++hops) {
    // Follow the link (a dangling one too: its target is created, as compilers do).
    if (hops == 40) return write_error(path, ELOOP);
    const ssize_t n = ::readlink(target.c_str(), resolved.data(), resolved.size() - 1);
    if (n < 0) return write_error(path, errno);
    const std::string link(resolved.data(), static_cast<size_t>(n));
    const auto at = target.rfind('/');
    target =
        link.starts_with('/') || at == std::string::npos ? link : target.substr(0, at + 1) + link;
  }
  const auto slash = target.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : target.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? target : target.substr(slash + 1);
  std::string tmpl = (slash == std::string::npos ? "" : dir) + "." + base + ".XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) return write_error(path, errno);
  const std::string tmp = name.data();
  // The mode a newly created file would get (0666 & ~umask), or the existing file's.
  mode_t mode = 0666;
  if (exists) {
    mode = st.st_mode & 07777;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode &= ~mask;
  }
  int err = ::fchmod(fd, mode) == 0 ? 0 : errno;
  if (!err) err = write_all(fd, bytes);
  if (!err && ::fsync(fd) != 0 && errno != EINVAL) err = errno;
  if (::close(fd) != 0 && !err) err = errno;
  if (!err && ::rename(tmp.c_str(), target.c_str()) != 0) err = errno;
  if (err) {
    ::unlink(tmp.c_str());
    return write_error(path, err);
  }
  return ok_status();
}

Status write_output_file(const std::string& path, std::string_view text) {
  return write_output_file(
      path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

Status flush_stdout() {
  std::cout.flush();
  if (!std::cout || std::fflush(stdout) != 0 || std::ferror(stdout))
    return fail(std::string("cannot write to standard output: ") +
                (errno ? std::strerror(errno) : "write error"));
  return ok_status();
}

} // namespace xdpml
