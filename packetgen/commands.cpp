#include "packetgen/commands.hpp"

#include <CLI/CLI.hpp>

namespace xdpml::packetgen {

void register_commands(CLI::App&, int*) {}

} // namespace xdpml::packetgen
