// `xdpml check --target nfp`: the Netronome offload checker's subcommand.
#pragma once

#include "compiler/nfp/check.hpp"
#include "support/result.hpp"

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace xdpml::nfp {

// The device profile as command-line options (shared with the tests' `# args:` lines).
struct ProfileArgs {
  std::optional<uint32_t> max_insns;
  std::optional<uint32_t> stack;
  std::optional<uint32_t> inl_mtu;
  std::optional<uint32_t> mtu;
  std::vector<int> helpers;
  bool queue_select = false;
  std::optional<uint32_t> max_elem_size;
  std::optional<uint64_t> max_map_elems;
  std::optional<uint32_t> max_maps;
  std::string prog_type = "auto";
};

void add_profile_options(CLI::App& app, ProfileArgs& args);
Result<NfpProfile> make_profile(const ProfileArgs& args);
std::optional<ProgType> forced_prog_type(const ProfileArgs& args);

void register_commands(CLI::App& app, int* exit_code);

} // namespace xdpml::nfp
