// The loader module's subcommands.
#pragma once

namespace CLI {
class App;
}

namespace xdpml::loader {

void register_commands(CLI::App& app, int* exit_code);

} // namespace xdpml::loader
