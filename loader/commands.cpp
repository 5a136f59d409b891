#include "loader/commands.hpp"

#include <CLI/CLI.hpp>

namespace xdpml::loader {

void register_commands(CLI::App&, int*) {}

} // namespace xdpml::loader
