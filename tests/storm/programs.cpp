#include "tests/storm/programs.hpp"

#include "asm/assembler.hpp"
#include "bpf/elf.hpp"
#include "compiler/anova/compile.hpp"
#include "compiler/model/compile.hpp"
#include "compiler/model/json_import.hpp"
#include "contract/contract.hpp"

#include <functional>

namespace xdpml::storm {

namespace {

struct Recipe {
  BuiltinProgram program;
  std::function<Result<compiler::CompiledModel>(const std::string& source_dir)> compile;
};

Result<compiler::CompiledModel> anova(anova::InputFormat input, uint32_t scale,
                                      anova::MatchMode match, bool strict, uint32_t window = 8) {
  anova::AnovaSpec spec;
  spec.input = input;
  spec.scale = scale;
  spec.match = match;
  spec.strict_align = strict;
  spec.window = window;
  return anova::compile_anova(spec, {});
}

Result<compiler::CompiledModel> network(const std::string& source_dir, const std::string& name,
                                        compiler::MatchMode match, bool strict) {
  const std::string dir = source_dir + "/examples/models/" + name + "/";
  auto m = model::read_model_file(dir + "model.json");
  if (!m) return m.failure();
  auto calib = model::read_feature_csv(dir + "calib.csv", m->input.features);
  if (!calib) return calib.failure();
  model::ModelCompileOptions o;
  o.match = {match, strict};
  auto net = model::compile_model(*m, &*calib, o);
  if (!net) return net.failure();
  return std::move(net->compiled);
}

const std::vector<Recipe>& recipes() {
  using anova::InputFormat;
  using compiler::MatchMode;
  static const std::vector<Recipe> all = {
      {{"anova-u32", "xdpml compile anova --input u32", false},
       [](const std::string&) { return anova(InputFormat::U32, 16384, MatchMode::Magic, false); }},
      {{"anova-f64", "xdpml compile anova --input f64 --scale 100", false},
       [](const std::string&) { return anova(InputFormat::F64, 100, MatchMode::Magic, false); }},
      {{"anova-u32-strict", "xdpml compile anova --strict-align", true},
       [](const std::string&) { return anova(InputFormat::U32, 16384, MatchMode::Magic, true); }},
      {{"anova-u32-full", "xdpml compile anova --match full", false},
       [](const std::string&) { return anova(InputFormat::U32, 16384, MatchMode::Full, false); }},
      {{"anova-f64-full-strict",
        "xdpml compile anova --input f64 --scale 100 --match full --strict-align", true},
       [](const std::string&) { return anova(InputFormat::F64, 100, MatchMode::Full, true); }},
      {{"anova-u32-w32", "xdpml compile anova --window 32", false},
       [](const std::string&) {
         return anova(InputFormat::U32, 16384, MatchMode::Magic, false, 32);
       }},
      {{"aurora",
        "xdpml compile model examples/models/aurora/model.json --calib "
        "examples/models/aurora/calib.csv",
        false},
       [](const std::string& d) { return network(d, "aurora", MatchMode::Magic, false); }},
      {{"aurora-strict",
        "xdpml compile model examples/models/aurora/model.json --calib "
        "examples/models/aurora/calib.csv --strict-align",
        true},
       [](const std::string& d) { return network(d, "aurora", MatchMode::Magic, true); }},
      {{"classifier",
        "xdpml compile model examples/models/classifier/model.json --calib "
        "examples/models/classifier/calib.csv",
        false},
       [](const std::string& d) { return network(d, "classifier", MatchMode::Magic, false); }},
      {{"classifier-full",
        "xdpml compile model examples/models/classifier/model.json --calib "
        "examples/models/classifier/calib.csv --match full",
        false},
       [](const std::string& d) { return network(d, "classifier", MatchMode::Full, false); }},
  };
  return all;
}

// The program section and the contract of an object, as a loader would read them.
Result<Program> from_object(const bpf::ObjectFile& obj, const std::string& origin) {
  const int s = obj.find_section("xdp");
  if (s < 0) return fail(origin + ": no section 'xdp'", {}, "compile it with xdpml compile");
  const auto& sec = obj.sections[static_cast<size_t>(s)];
  if (!sec.relocations.empty())
    return fail(origin + ": section 'xdp' has relocations (maps); the storm loads programs "
                         "without maps");
  auto contract = contract::read_contract(obj);
  if (!contract) return contract.failure();
  Program p;
  p.name = origin;
  p.code = sec.data;
  p.contract = std::move(*contract);
  return p;
}

} // namespace

const std::vector<BuiltinProgram>& builtin_programs() {
  static const std::vector<BuiltinProgram> all = [] {
    std::vector<BuiltinProgram> v;
    for (const auto& r : recipes()) v.push_back(r.program);
    return v;
  }();
  return all;
}

Result<Program> build_program(const std::string& name, const std::string& source_dir) {
  for (const auto& r : recipes()) {
    if (name != r.program.name) continue;
    auto model = r.compile(source_dir);
    if (!model) return model.failure();
    // Through the bytes `xdpml compile -o` writes, and back.
    auto bytes = bpf::write_elf(model->object);
    if (!bytes) return bytes.failure();
    auto obj = bpf::read_elf(*bytes, name);
    if (!obj) return obj.failure();
    auto p = from_object(*obj, name);
    if (!p) return p.failure();
    p->command = r.program.command;
    p->strict_align = r.program.strict_align;
    return p;
  }
  return fail("unknown program '" + name + "'", {}, "see --list");
}

Result<Program> read_program(const std::string& path, bool strict_align) {
  auto obj = bpf::read_elf_file(path);
  if (!obj) return obj.failure();
  auto p = from_object(*obj, path);
  if (!p) return p.failure();
  p->command = path + (strict_align ? " (loaded with BPF_F_STRICT_ALIGNMENT)" : "");
  p->strict_align = strict_align;
  return p;
}

Result<Program> with_code(Program base, const std::string& name, const std::string& source) {
  auto obj = assembler::assemble(source, {name});
  if (!obj) return obj.failure();
  const int s = obj->find_section("xdp");
  if (s < 0) return fail(name + ": the assembly has no section 'xdp'");
  base.name = name;
  base.code = obj->sections[static_cast<size_t>(s)].data;
  return base;
}

Result<bpf::LoadedProgram> load(const Program& p) {
  bpf::LoadOptions o;
  o.name = "xdpml_storm";
  o.prog_flags = p.strict_align ? 1u : 0u; // BPF_F_STRICT_ALIGNMENT
  return bpf::load_program(p.code, o);
}

} // namespace xdpml::storm
