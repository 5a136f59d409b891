#include "compiler/driver.hpp"

#include "asm/disassembler.hpp"
#include "compiler/nfp/check.hpp"
#include "compiler/passes.hpp"

#include <elf.h>

#include <chrono>
#include <optional>

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
  contract["xdpml_contract"] = 1;
  contract["program"] = f.name;
  contract["section"] = kProgramSection;
  contract["code"] = {{"instructions", program->insns.size()},
                      {"slots", program->slots()},
                      {"stack_bytes", program->stack_bytes},
                      {"spilled_values", program->spilled_values},
                      {"registers", program->registers_used}};
  contract["provenance"] = provenance;
  const std::string text_json = contract.dump(1);
  auto& cs = obj.add_section(kContractSection, SHT_PROGBITS, 0, 1);
  cs.data.assign(text_json.begin(), text_json.end());

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
    const std::string again = contract.dump(1);
    obj.sections.back().data.assign(again.begin(), again.end());
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
  // The contract is data for tools, not for the listing.
  bpf::ObjectFile shown = model.object;
  const int cs = shown.find_section(kContractSection);
  if (cs >= 0) shown.sections.erase(shown.sections.begin() + cs);
  return assembler::disassemble(shown, opts);
}

namespace {

// The types of every field a tool reads, checked once here: a damaged or foreign object's
// contract is then one clear error naming the field instead of an exception deep inside `info`,
// `load`, `send` or `check`.
std::optional<std::string> contract_shape_error(const nlohmann::json& c) {
  using nlohmann::json;
  if (!c.is_object()) return "the contract is not a JSON object";
  auto kind = [](const json& v) { return std::string(v.type_name()) + " " + v.dump(); };
  auto want = [&](const json& obj, const std::string& path, std::initializer_list<const char*> keys,
                  auto is_ok, const char* what) -> std::optional<std::string> {
    for (const char* k : keys) {
      const auto it = obj.find(k);
      if (it != obj.end() && !is_ok(*it))
        return "field " + path + k + " must be " + what + ", not " + kind(*it);
    }
    return std::nullopt;
  };
  const auto is_string = [](const json& v) { return v.is_string(); };
  const auto is_object = [](const json& v) { return v.is_object(); };
  const auto is_count = [](const json& v) {
    return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
  };
  std::optional<std::string> e;
  if ((e = want(c, "", {"model", "program", "section", "validity"}, is_string, "a string")) ||
      (e = want(c, "", {"code", "layout", "match", "anova", "tags"}, is_object, "an object")) ||
      (e = want(c, "", {"xdpml_contract"}, is_count, "a non-negative integer")))
    return e;
  if (c.contains("code") &&
      (e = want(c["code"], "code.",
                {"instructions", "slots", "stack_bytes", "registers", "spilled_values"}, is_count,
                "a non-negative integer")))
    return e;
  if (c.contains("layout") &&
      ((e = want(c["layout"], "layout.", {"magic", "encoding"}, is_string, "a string")) ||
       (e = want(c["layout"], "layout.",
                 {"payload_offset", "magic_offset", "tag_offset", "tag_bytes", "data_offset",
                  "samples", "stride", "frame_bytes", "udp_dest_port"},
                 is_count, "a non-negative integer"))))
    return e;
  if (c.contains("anova") &&
      ((e = want(c["anova"], "anova.", {"epsilon", "input", "rounding", "y"}, is_string,
                 "a string")) ||
       (e = want(c["anova"], "anova.", {"window", "scale", "threshold_T", "sum_limit"}, is_count,
                 "a non-negative integer"))))
    return e;
  if (c.contains("provenance")) {
    const auto& p = c["provenance"];
    if (!p.is_array()) return "field provenance must be an array, not " + kind(p);
    for (size_t i = 0; i < p.size(); ++i) {
      const std::string at = "provenance[" + std::to_string(i) + "].";
      if (!p[i].is_object()) return "field provenance[" + std::to_string(i) + "] must be an object";
      if ((e = want(p[i], at, {"insn"}, is_count, "a non-negative integer")) ||
          (e = want(p[i], at, {"node"}, is_string, "a string")))
        return e;
    }
  }
  return std::nullopt;
}

} // namespace

Result<nlohmann::json> read_contract(const bpf::ObjectFile& object) {
  const int cs = object.find_section(kContractSection);
  if (cs < 0)
    return fail(
        "the object has no I/O contract (section " + std::string(kContractSection) + ")", {},
        "objects compiled by `xdpml compile` carry one; for others pass --format and --scale");
  const auto& d = object.sections[static_cast<size_t>(cs)].data;
  nlohmann::json contract;
  try {
    contract = nlohmann::json::parse(d.begin(), d.end());
  } catch (const std::exception& e) {
    return fail(std::string("the I/O contract is not valid JSON: ") + e.what(),
                {"<object>", 0, 0, 1, "section " + std::string(kContractSection)});
  }
  if (auto error = contract_shape_error(contract))
    return fail("the I/O contract is malformed: " + *error,
                {"<object>", 0, 0, 1, "section " + std::string(kContractSection)},
                "recompile the object with `xdpml compile`");
  return contract;
}

} // namespace xdpml::compiler
