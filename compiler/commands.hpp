// `xdpml compile ...` and `xdpml info`: the compiler module's subcommands.
#pragma once

namespace CLI {
class App;
}

namespace xdpml::compiler {

void register_commands(CLI::App& app, int* exit_code);

} // namespace xdpml::compiler
