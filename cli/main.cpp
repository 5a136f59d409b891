// xdpml: wires the subcommands of each module together, nothing else.
#include "asm/commands.hpp"
#include "compiler/commands.hpp"
#include "compiler/nfp/commands.hpp"
#include "loader/commands.hpp"
#include "measure/commands.hpp"
#include "packetgen/commands.hpp"
#include "support/cli_support.hpp"
#include "support/output_file.hpp"

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

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
  } catch (const std::exception& e) {
    // Errors travel as values; an exception reaching this point is a bug, most likely on
    // input nobody validated. Say so instead of aborting with a core dump.
    std::cerr << "xdpml: internal error: " << e.what()
              << "\n  hint: this is a bug in xdpml; please report the command line and its input "
                 "files\n";
    return xdpml::kExitInputError;
  }
  // Output that did not arrive (a full disk, a closed pipe) is a failure, not exit 0.
  if (auto st = xdpml::flush_stdout(); !st) {
    std::cerr << st.diagnostics().render();
    if (exit_code == xdpml::kExitOk) exit_code = xdpml::kExitInputError;
  }
  return exit_code;
}
