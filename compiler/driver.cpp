#include "compiler/driver.hpp"

#include "asm/disassembler.hpp"
#include "compiler/nfp/check.hpp"
#include "compiler/passes.hpp"

#include <elf.h>

#include <chrono>

namespace xdpml::compiler {

Result<CompiledModel> compile_function(Function f, nlohmann::json contract,
                                       const CompileOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  CompiledModel out;
  std::string trace;
  auto pipeline = standard_pipeline();
  auto tracer = [&](const std::string& pass, const Function& fn) {
    trace += "; ---- after " + pass + "\n" + print(fn);
  };
  if (auto st = pipeline.run(
          f, options.print_ir ? std::function<void(const std::string&, const Function&)>(tracer)
                              : nullptr);
      !st)
    return st.failure();
  CodegenOptions cg;
  cg.store_immediate = options.target == Target::Kernel; // the NFP JIT has no BPF_ST
  cg.max_registers = options.max_registers;
  cg.verifier_visible_bounds = options.target == Target::Nfp;
  auto program = generate(f, cg);
  if (!program) return program.failure();

  bpf::ObjectFile obj;
  auto& text = obj.add_section(kProgramSection, SHT_PROGBITS, bpf::kShfAlloc | bpf::kShfExec, 8);
  for (const auto& insn : program->insns) bpf::append_bytes(insn, text.data);
  bpf::Symbol sym;
  sym.name = f.name;
  sym.section = 0;
  sym.size = text.data.size();
  sym.type = STT_FUNC;
  sym.bind = STB_GLOBAL;
  obj.symbols.push_back(sym);
  auto& lic = obj.add_section("license", SHT_PROGBITS, bpf::kShfAlloc | bpf::kShfWrite, 1);
  const std::string license = "Dual BSD/GPL";
  lic.data.assign(license.begin(), license.end());
  lic.data.push_back(0);

  // Provenance: runs of instructions and the model node they came from, so listings and
  // verifier errors can point back to the model.
  nlohmann::json provenance = nlohmann::json::array();
  size_t slot = 0;
  int last = -2;
  for (size_t i = 0; i < program->insns.size(); ++i) {
    if (program->origins[i] != last) {
      last = program->origins[i];
      provenance.push_back(
          {{"insn", slot},
           {"node", last >= 0 ? program->origin_names[static_cast<size_t>(last)] : ""}});
    }
    slot += static_cast<size_t>(program->insns[i].slots());
  }
  bpf::XdpProgramDescription description;
  description.section = kProgramSection;
  description.function = f.name;
  if (contract.contains("model") && contract["model"].is_string())
    description.file = "xdpml " + contract["model"].get<std::string>();
  for (const auto& run : provenance)
    description.lines.push_back({run["insn"].get<uint32_t>(), run["node"].get<std::string>()});
  if (auto st = bpf::describe_xdp_program(obj, description); !st) return st.failure();
  contract["xdpml_contract"] = 1;
  contract["program"] = f.name;
  contract["section"] = kProgramSection;
  contract["code"] = {{"instructions", program->insns.size()},
                      {"slots", program->slots()},
                      {"stack_bytes", program->stack_bytes},
                      {"spilled_values", program->spilled_values},
                      {"registers", program->registers_used}};
  contract["provenance"] = provenance;
  contract::store_contract(obj, contract);

  if (options.target == Target::Nfp) {
    // The compiler checks its own output against the NFP JIT's rules and budget.
    nfp::NfpProfile profile;
    profile.fw_stack_bytes = options.nfp_stack_bytes;
    profile.max_nfp_insns = options.nfp_max_insns;
    auto report = nfp::check_nfp(obj, profile);
    if (!report) return report.failure();
    Diagnostics diags;
    for (const auto& finding : report->findings) {
      if (finding.severity == nfp::FindingSeverity::W) continue;
      Diagnostic d;
      d.message = finding.rule + ": " + finding.message +
                  (finding.insn ? " (instruction " + std::to_string(*finding.insn) + ": " +
                                      finding.asm_text + ")"
                                : "");
      d.location = {"<model>", 0, 0, 1,
                    finding.node.empty() ? "NFP offload" : "model node '" + finding.node + "'"};
      d.hint = finding.hint;
      diags.add(d);
    }
    if (diags.has_errors()) return fail(diags);
    nlohmann::json programs = nlohmann::json::array();
    for (const auto& p : report->programs)
      programs.push_back({{"program", p.name},
                          {"estimated_nfp_insns", p.estimated_nfp_insns},
                          {"budget", p.budget}});
    contract["nfp"] = {{"checked", true}, {"programs", programs}};
    contract::store_contract(obj, contract);
  }
  out.ir = std::move(f);
  out.program = std::move(*program);
  out.object = std::move(obj);
  out.contract = std::move(contract);
  out.ir_trace = std::move(trace);
  out.compile_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

Result<std::string> listing(const CompiledModel& model, bool annotate) {
  assembler::DisasmOptions opts;
  if (annotate) {
    std::vector<std::string> notes;
    for (size_t i = 0; i < model.program.insns.size(); ++i) {
      const int o = model.program.origins[i];
      const std::string note = o >= 0 ? model.program.origin_names[static_cast<size_t>(o)] : "";
      for (int s = 0; s < model.program.insns[i].slots(); ++s) notes.push_back(note);
    }
    opts.notes[kProgramSection] = std::move(notes);
  }
  // The contract and the BTF describing the entry point are data for tools and loaders, not
  // for the listing (`xdpml disasm` of the object shows them).
  bpf::ObjectFile shown = model.object;
  for (const char* hidden : {contract::kSection, contract::kLegacySection, ".BTF", ".BTF.ext"})
    if (const int s = shown.find_section(hidden); s >= 0)
      shown.sections.erase(shown.sections.begin() + s);
  return assembler::disassemble(shown, opts);
}

} // namespace xdpml::compiler
