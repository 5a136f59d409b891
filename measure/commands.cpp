#include "measure/commands.hpp"

#include <CLI/CLI.hpp>

namespace xdpml::measure {

void register_commands(CLI::App&, int*) {}

} // namespace xdpml::measure
