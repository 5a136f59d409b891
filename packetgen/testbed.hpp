// `xdpml testbed up|down`: a network namespace holding a veth pair, the place where programs
// are attached and traffic is sent without touching any real interface.
//
// Inside namespace NAME (which must start with "xdpml-"): veth "tb-tx" <-> "tb-rx", both up, no
// addresses, IPv6 address generation off (so the pair stays silent: no router or neighbour
// solicitations mixed into captures). Fixed device names are possible because each namespace
// has its own; they also stay within the 15-character limit of interface names.
// Everything is done by running iproute2's `ip` with an argument vector (posix_spawnp, no shell),
// so a name can never be interpreted as anything but a name.
#pragma once

#include "support/result.hpp"

#include <string>
#include <vector>

namespace xdpml::packetgen {

constexpr const char* kTestbedPrefix = "xdpml-";
constexpr const char* kTestbedDefaultName = "xdpml-tb";
constexpr const char* kTestbedTx = "tb-tx";
constexpr const char* kTestbedRx = "tb-rx";

// Names we accept: the prefix, then letters, digits, '-', '_' or '.', at most 64 characters.
Status check_testbed_name(const std::string& name);

struct CommandResult {
  int status = -1;    // exit status, or -1 when the command could not be run
  std::string output; // stdout and stderr, interleaved
};

// Runs argv[0] (looked up in PATH) with the given arguments and waits for it.
Result<CommandResult> run_command(const std::vector<std::string>& argv);

struct TestbedState {
  std::string name;
  bool changed = false; // up: something was created; down: the namespace was removed
};

// Idempotent: `up` completes a half-made testbed and leaves a complete one as it is; `down`
// removes the namespace (and with it the veth pair) and is fine when there is none.
Result<TestbedState> testbed_up(const std::string& name);
Result<TestbedState> testbed_down(const std::string& name);
Result<bool> netns_exists(const std::string& name);

} // namespace xdpml::packetgen
