#include "asm/commands.hpp"
#include "support/input_file.hpp"

#include "asm/assembler.hpp"
#include "asm/disassembler.hpp"
#include "bpf/elf.hpp"
#include "support/cli_support.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

namespace xdpml::assembler {

namespace {

struct AsmArgs {
  std::string input;
  std::string output;
  bool json = false;
};

struct DisasmArgs {
  std::string input;
  std::string section;
  bool show_bytes = false;
  bool json = false;
};

int run_asm(const AsmArgs& a) {
  std::string source;
  if (a.input == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    source = ss.str();
  } else {
    auto text = read_input_file(a.input, "assembly file");
    if (!text) return report_failure(text.failure(), a.json);
    source = std::move(*text);
  }
  auto object = assemble(source, {a.input == "-" ? "<stdin>" : a.input});
  if (!object) return report_failure(object.failure(), a.json);
  if (auto st = bpf::write_elf_file(*object, a.output); !st)
    return report_failure(st.failure(), a.json);
  if (a.json) {
    nlohmann::json j;
    j["output"] = a.output;
    j["sections"] = nlohmann::json::array();
    for (const auto& s : object->sections) {
      nlohmann::json js{
          {"name", s.name}, {"size", s.size()}, {"relocations", s.relocations.size()}};
      if (s.is_code()) js["instructions"] = s.size() / bpf::kInsnBytes;
      j["sections"].push_back(js);
    }
    j["symbols"] = object->symbols.size();
    std::cout << json_text(j) << '\n';
  }
  return kExitOk;
}

int run_disasm(const DisasmArgs& a) {
  auto object = bpf::read_elf_file(a.input);
  if (!object) return report_failure(object.failure(), a.json);
  if (a.json) {
    auto sections = decode_code_sections(*object);
    if (!sections) return report_failure(sections.failure(), a.json);
    nlohmann::json j = nlohmann::json::array();
    for (const auto& s : *sections) {
      if (!a.section.empty() && s.name != a.section) continue;
      nlohmann::json insns = nlohmann::json::array();
      for (const auto& i : s.insns) {
        std::string hex;
        char buf[4];
        for (auto b : i.bytes) {
          std::snprintf(buf, sizeof buf, "%02x", b);
          hex += buf;
        }
        nlohmann::json ji{{"index", i.index}, {"bytes", hex}, {"text", i.text}, {"valid", i.valid}};
        if (!i.relocation.empty()) ji["relocation"] = i.relocation;
        insns.push_back(ji);
      }
      j.push_back({{"section", s.name}, {"instructions", insns}});
    }
    std::cout << json_text(j) << '\n';
    return kExitOk;
  }
  DisasmOptions opts;
  if (!a.section.empty()) opts.only_section = a.section;
  opts.show_bytes = a.show_bytes;
  auto text = disassemble(*object, opts);
  if (!text) return report_failure(text.failure(), a.json);
  std::cout << *text;
  return kExitOk;
}

} // namespace

void register_commands(CLI::App& app, int* exit_code) {
  auto asm_args = std::make_shared<AsmArgs>();
  auto* as =
      app.add_subcommand("asm", "Assemble LLVM-syntax BPF assembly into a relocatable ELF object");
  as->add_option("input", asm_args->input, "assembly file ('-' for stdin)")->required();
  as->add_option("-o,--output", asm_args->output, "output object")->required();
  as->add_flag("--json", asm_args->json, "print a JSON summary (and errors as JSON)");
  as->callback([asm_args, exit_code] { *exit_code = run_asm(*asm_args); });

  auto dis_args = std::make_shared<DisasmArgs>();
  auto* dis =
      app.add_subcommand("disasm", "Disassemble a BPF ELF object into re-assemblable LLVM syntax");
  dis->add_option("input", dis_args->input, "ELF object")->required();
  dis->add_option("-s,--section", dis_args->section, "only this section");
  dis->add_flag("--bytes", dis_args->show_bytes, "show instruction index and bytes as comments");
  dis->add_flag("--json", dis_args->json, "instructions as JSON");
  dis->callback([dis_args, exit_code] { *exit_code = run_disasm(*dis_args); });
}

} // namespace xdpml::assembler
