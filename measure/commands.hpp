// The measure module's subcommands: `xdpml bench`, `xdpml measure`.
#pragma once

namespace CLI {
class App;
}

namespace xdpml::measure {

void register_commands(CLI::App& app, int* exit_code);

} // namespace xdpml::measure
