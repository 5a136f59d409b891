// xdpml: wires the subcommands of each module together, nothing else.
#include "asm/commands.hpp"
#include "compiler/commands.hpp"
#include "compiler/nfp/commands.hpp"
#include "loader/commands.hpp"
#include "measure/commands.hpp"
#include "packetgen/commands.hpp"
#include "support/cli_support.hpp"

#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"xdpml: compile models to eBPF, load them into XDP, send, verify and measure"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "xdpml 0.1.0");
  int exit_code = xdpml::kExitOk;
  xdpml::assembler::register_commands(app, &exit_code);
  xdpml::compiler::register_commands(app, &exit_code);
  xdpml::nfp::register_commands(app, &exit_code);
  xdpml::loader::register_commands(app, &exit_code);
  xdpml::packetgen::register_commands(app, &exit_code);
  xdpml::measure::register_commands(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : xdpml::kExitUsage;
  }
  return exit_code;
}
