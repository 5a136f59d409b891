// The packetgen module's subcommands.
#pragma once

namespace CLI {
class App;
}

namespace xdpml::packetgen {

void register_commands(CLI::App& app, int* exit_code);

} // namespace xdpml::packetgen
