#include "compiler/nfp/commands.hpp"

#include <CLI/CLI.hpp>

namespace xdpml::nfp {

void register_commands(CLI::App&, int*) {}

} // namespace xdpml::nfp
