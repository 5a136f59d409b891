// `xdpml asm` and `xdpml disasm`: the asm module's subcommands.
#pragma once

namespace CLI {
class App;
}

namespace xdpml::assembler {

// Registers the subcommands; when one runs it stores its exit code in *exit_code.
void register_commands(CLI::App& app, int* exit_code);

} // namespace xdpml::assembler
