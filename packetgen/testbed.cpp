#include "packetgen/testbed.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace xdpml::packetgen {

Status check_testbed_name(const std::string& name) {
  const std::string prefix = kTestbedPrefix;
  if (name.compare(0, prefix.size(), prefix) != 0 || name.size() == prefix.size())
    return fail("testbed name '" + name + "' does not start with '" + prefix + "'", {},
                "xdpml only creates and removes namespaces named xdpml-*, e.g. --name xdpml-tb");
  if (name.size() > 64) return fail("testbed name '" + name + "' is longer than 64 characters");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return fail("testbed name '" + name + "' contains '" + std::string(1, c) + "'", {},
                  "use letters, digits, '-', '_' and '.'");
  return ok_status();
}

Result<CommandResult> run_command(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  // `ip` lives in /usr/sbin or /sbin, which a non-login PATH may lack.
  for (const char* dir : {"/usr/sbin/", "/sbin/"}) {
    if (rc != ENOENT || argv[0].find('/') != std::string::npos) break;
    const std::string full = dir + argv[0];
    rc = posix_spawn(&pid, full.c_str(), &actions, nullptr, args.data(), environ);
  }
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return fail("cannot run '" + argv[0] + "': " + std::strerror(rc), {},
                argv[0] == "ip" ? "install iproute2" : "");
  }
  CommandResult r;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n > 0) {
      r.output.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return fail(std::string("waitpid: ") + std::strerror(errno));
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

namespace {

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

// Runs `ip ARGS...`; a non-zero exit is an error carrying ip's own message.
Status ip(std::vector<std::string> args) {
  args.insert(args.begin(), "ip");
  auto r = run_command(args);
  if (!r) return r.failure();
  if (r->status != 0) {
    std::string out = r->output;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return fail("`" + joined(args) + "` failed: " + (out.empty() ? "no message" : out), {},
                "testbeds need root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and veth support");
  }
  return ok_status();
}

// True when `ip ARGS...` succeeds (used for existence probes).
Result<bool> ip_succeeds(std::vector<std::string> args) {
  args.insert(args.begin(), "ip");
  auto r = run_command(args);
  if (!r) return r.failure();
  return r->status == 0;
}

} // namespace

Result<bool> netns_exists(const std::string& name) {
  auto r = run_command({"ip", "netns", "list"});
  if (!r) return r.failure();
  if (r->status != 0) return fail("`ip netns list` failed: " + r->output, {}, "testbeds need root");
  // One namespace per line: "NAME" or "NAME (id: N)".
  std::istringstream in(r->output);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string first;
    if (words >> first && first == name) return true;
  }
  return false;
}

Result<TestbedState> testbed_up(const std::string& name) {
  if (auto st = check_testbed_name(name); !st) return st.failure();
  TestbedState state{name, false};
  auto exists = netns_exists(name);
  if (!exists) return exists.failure();
  if (!*exists) {
    if (auto st = ip({"netns", "add", name}); !st) return st.failure();
    state.changed = true;
  }
  if (auto st = ip({"-n", name, "link", "set", "dev", "lo", "up"}); !st) return st.failure();
  auto has_tx = ip_succeeds({"-n", name, "link", "show", "dev", kTestbedTx});
  if (!has_tx) return has_tx.failure();
  auto has_rx = ip_succeeds({"-n", name, "link", "show", "dev", kTestbedRx});
  if (!has_rx) return has_rx.failure();
  if (*has_tx != *has_rx) {
    // Half a pair (someone deleted one end's peer namespace, or a crash in between): start over.
    const char* dev = *has_tx ? kTestbedTx : kTestbedRx;
    if (auto st = ip({"-n", name, "link", "del", "dev", dev}); !st) return st.failure();
  }
  if (!*has_tx || !*has_rx) {
    if (auto st =
            ip({"-n", name, "link", "add", kTestbedTx, "type", "veth", "peer", "name", kTestbedRx});
        !st)
      return st.failure();
    // No IPv6 link-local addresses: the pair stays silent (no DAD/RS/MLD frames in captures).
    for (const char* dev : {kTestbedTx, kTestbedRx})
      if (auto st = ip({"-n", name, "link", "set", "dev", dev, "addrgenmode", "none"}); !st)
        return st.failure();
    state.changed = true;
  }
  for (const char* dev : {kTestbedTx, kTestbedRx})
    if (auto st = ip({"-n", name, "link", "set", "dev", dev, "up"}); !st) return st.failure();
  return state;
}

Result<TestbedState> testbed_down(const std::string& name) {
  if (auto st = check_testbed_name(name); !st) return st.failure();
  TestbedState state{name, false};
  auto exists = netns_exists(name);
  if (!exists) return exists.failure();
  if (*exists) {
    // Deleting the namespace destroys the veth pair with it (and detaches its XDP programs).
    if (auto st = ip({"netns", "del", name}); !st) return st.failure();
    state.changed = true;
  }
  return state;
}

} // namespace xdpml::packetgen
