// `xdpml check --target nfp`: the Netronome offload checker's subcommand.
#pragma once

namespace CLI {
class App;
}

namespace xdpml::nfp {

void register_commands(CLI::App& app, int* exit_code);

} // namespace xdpml::nfp
