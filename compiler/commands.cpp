#include "compiler/commands.hpp"

#include "bpf/elf.hpp"
#include "compiler/anova/compile.hpp"
#include "compiler/anova/rational.hpp"
#include "compiler/model/compile.hpp"
#include "compiler/model/json_import.hpp"
#include "compiler/verify.hpp"
#include "support/cli_support.hpp"
#include "support/output_file.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <memory>

namespace xdpml::compiler {

namespace {

struct AnovaArgs {
  std::string input = "u32";
  std::string scale = "16384";
  std::string calib;
  std::string epsilon = "0.1";
  std::string match = "magic";
  std::string target = "kernel";
  bool strict_align = false;
  uint32_t window = 8;
  std::string output;
  std::string listing;
  bool no_annotate = false;
  bool print_ir = false;
  bool json = false;
  bool verify = false;
  size_t verify_samples = 10000;
};

void print_verify(const KernelCheck& c) {
  if (!c.ran) {
    std::cerr << "--verify: kernel checks skipped: " << c.skipped_why << '\n';
    return;
  }
  std::cerr << "--verify: the verifier accepted the program (" << c.processed_insns
            << " instructions processed); " << c.compared << " test runs equal the reference\n";
}

Status write_text(const std::string& path, const std::string& text) {
  return write_output_file(path, std::string_view(text));
}

int run_anova(const AnovaArgs& a) {
  anova::AnovaSpec spec;
  spec.input = a.input == "f64" ? anova::InputFormat::F64 : anova::InputFormat::U32;
  spec.match = a.match == "full" ? anova::MatchMode::Full : anova::MatchMode::Magic;
  spec.strict_align = a.strict_align;
  spec.window = a.window;
  if (auto w = anova::check_window(a.window); !w)
    return report_failure(w.failure(), a.json, kExitUsage);
  auto eps = anova::Rational::parse(a.epsilon);
  if (!eps)
    return report_failure(
        fail("--epsilon '" + a.epsilon + "': " + eps.diagnostics().items().front().message, {},
             "give a decimal such as 0.1"),
        a.json, kExitUsage);
  if (eps->num() < 0)
    return report_failure(fail("--epsilon '" + a.epsilon + "' is negative", {},
                               "epsilon is a distance: give a decimal >= 0 such as 0.1"),
                          a.json, kExitUsage);
  spec.epsilon = *eps;
  spec.epsilon_text = a.epsilon;
  nlohmann::json scale_report;
  if (a.scale == "auto") {
    if (a.calib.empty())
      return report_failure(
          fail("--scale auto needs calibration data", {}, "add --calib FILE (one value per line)"),
          a.json, kExitUsage);
    auto data = read_data_file(a.calib);
    if (!data) return report_failure(data.failure(), a.json);
    auto choice = anova::choose_scale(*data, spec.window);
    if (!choice) return report_failure(choice.failure(), a.json);
    spec.scale = choice->scale;
    scale_report = {{"scale", choice->scale},
                    {"exact", choice->exact},
                    {"max_integerization_error", choice->max_error},
                    {"reason", choice->reason},
                    {"calibration_values", data->size()}};
    if (!a.json)
      std::cerr << "scale: " << choice->scale
                << (choice->exact
                        ? " (exact: "
                        : " (lossy, max error " + std::to_string(choice->max_error) + ": ")
                << choice->reason << ")\n";
  } else {
    try {
      size_t used = 0;
      const unsigned long s = std::stoul(a.scale, &used);
      if (used != a.scale.size() || s == 0 || s > 0xffffffffUL)
        throw std::invalid_argument("range");
      spec.scale = static_cast<uint32_t>(s);
    } catch (const std::exception&) {
      return report_failure(
          fail("--scale '" + a.scale + "' is not a positive 32-bit integer or 'auto'"), a.json,
          kExitUsage);
    }
  }
  CompileOptions opts;
  opts.target = a.target == "nfp" ? Target::Nfp : Target::Kernel;
  opts.print_ir = a.print_ir;
  auto model = anova::compile_anova(spec, opts);
  if (!model) return report_failure(model.failure(), a.json);
  if (a.print_ir) std::cerr << model->ir_trace;
  nlohmann::json verify_report;
  if (a.verify) {
    auto check = verify_in_kernel(*model, spec.strict_align,
                                  anova::anova_verify_cases(spec, a.verify_samples));
    if (!check) return report_failure(check.failure(), a.json, kExitMismatch);
    verify_report = check->to_json();
    if (!a.json) print_verify(*check);
  }
  if (auto st = bpf::write_elf_file(model->object, a.output); !st)
    return report_failure(st.failure(), a.json);
  if (!a.listing.empty()) {
    auto text = listing(*model, !a.no_annotate);
    if (!text) return report_failure(text.failure(), a.json);
    if (auto st = write_text(a.listing, *text); !st) return report_failure(st.failure(), a.json);
  }
  const auto& code = model->contract["code"];
  if (a.json) {
    nlohmann::json j = model->contract;
    j.erase("provenance");
    j["output"] = a.output;
    j["compile_ms"] = model->compile_ms;
    if (!scale_report.is_null()) j["scale_choice"] = scale_report;
    if (!verify_report.is_null()) j["verify"] = verify_report;
    // Proven value ranges, per model node: what made each operation 32- or 64-bit.
    nlohmann::json ranges = nlohmann::json::array();
    const auto& ir = model->ir;
    for (size_t i = 0; i < ir.nodes.size(); ++i) {
      const auto& n = ir.nodes[i];
      if (n.dead || !n.has_value() || n.op == Opcode::Const) continue;
      ranges.push_back({{"node", n.origin >= 0 ? ir.origins[static_cast<size_t>(n.origin)] : ""},
                        {"ir", describe(ir, static_cast<int>(i))},
                        {"min", to_string(ir.info[i].lo)},
                        {"max", to_string(ir.info[i].hi)},
                        {"alu32", ir.info[i].alu32}});
    }
    j["ranges"] = ranges;
    std::cout << json_text(j) << '\n';
  } else {
    std::cout << a.output << ": " << code["instructions"].get<int>() << " instructions ("
              << code["slots"].get<int>() << " slots), " << code["registers"].get<int>()
              << " registers, " << code["stack_bytes"].get<int>() << " stack bytes; input "
              << a.input << " x" << spec.scale << ", epsilon " << a.epsilon << ", window "
              << spec.window << "+" << spec.window << ", match " << a.match << '\n';
  }
  return kExitOk;
}

struct ModelArgs {
  std::string model;
  std::string calib;
  std::string match = "magic";
  std::string target = "kernel";
  bool strict_align = false;
  std::string output;
  std::string listing;
  bool no_annotate = false;
  bool print_ir = false;
  bool json = false;
  int weight_bits = 16;
  int pwl_segments = 16;
  double calib_margin = 0.1;
  bool verify = false;
  size_t verify_samples = 10000;
  std::string eval;
};

int run_model(const ModelArgs& a) {
  auto m = model::read_model_file(a.model);
  if (!m) return report_failure(m.failure(), a.json);
  std::optional<model::FeatureTable> calib;
  if (!a.calib.empty()) {
    auto t = model::read_feature_csv(a.calib, m->input.features);
    if (!t) return report_failure(t.failure(), a.json);
    calib = std::move(*t);
  }
  model::ModelCompileOptions o;
  o.quant.weight_bits = a.weight_bits;
  o.quant.pwl_segments = a.pwl_segments;
  o.quant.calib_margin = a.calib_margin;
  o.match = {a.match == "full" ? MatchMode::Full : MatchMode::Magic, a.strict_align};
  o.codegen.target = a.target == "nfp" ? Target::Nfp : Target::Kernel;
  o.codegen.print_ir = a.print_ir;
  auto net = model::compile_model(*m, calib ? &*calib : nullptr, o);
  if (!net) return report_failure(net.failure(), a.json);
  if (a.print_ir) std::cerr << net->compiled.ir_trace;
  if (!a.eval.empty()) {
    auto t = model::read_feature_csv(a.eval, m->input.features);
    if (!t) return report_failure(t.failure(), a.json);
    net->report["fidelity_on_eval"] =
        model::measure_fidelity(*m, net->quantized.q, *t).to_json(net->quantized.q);
    net->report["fidelity_on_eval"]["file"] = a.eval;
  }
  if (a.verify) {
    auto check = verify_in_kernel(
        net->compiled, a.strict_align,
        model::verify_cases(net->quantized.q, calib ? &*calib : nullptr, a.verify_samples));
    if (!check) return report_failure(check.failure(), a.json, kExitMismatch);
    net->report["verify"] = check->to_json();
    if (!a.json) print_verify(*check);
  }
  if (!a.output.empty())
    if (auto st = bpf::write_elf_file(net->compiled.object, a.output); !st)
      return report_failure(st.failure(), a.json);
  if (!a.listing.empty()) {
    auto text = listing(net->compiled, !a.no_annotate);
    if (!text) return report_failure(text.failure(), a.json);
    if (auto st = write_text(a.listing, *text); !st) return report_failure(st.failure(), a.json);
  }
  const auto& code = net->compiled.contract["code"];
  if (a.json) {
    nlohmann::json j = net->report;
    j["model"] = a.model;
    j["output"] = a.output;
    j["code"] = code;
    j["compile_ms"] = net->compiled.compile_ms;
    if (net->compiled.contract.contains("nfp")) j["nfp"] = net->compiled.contract["nfp"];
    j["contract"] = {{"layout", net->compiled.contract["layout"]},
                     {"input", net->compiled.contract["input"]},
                     {"output", net->compiled.contract["output"]}};
    std::cout << json_text(j) << '\n';
    return kExitOk;
  }
  std::cout << (a.output.empty() ? std::string("(no object written)") : a.output) << ": "
            << code["instructions"].get<int>() << " instructions, " << code["registers"].get<int>()
            << " registers, " << code["stack_bytes"].get<int>() << " stack bytes ("
            << code["spilled_values"].get<int>() << " spilled values); " << m->input.features
            << " features, "
            << (m->output.kind == model::OutputKind::ArgMax ? "argmax" : "regression")
            << " output\n";
  for (const auto& l : net->report["layers"]) {
    std::cout << "  " << l["layer"].get<std::string>() << " (" << l["kind"].get<std::string>()
              << ")";
    if (l["kind"] == "dense")
      std::cout << ": " << l["weights"] << " weights (" << l["zero_weights"] << " zero, "
                << l["power_of_two_weights"] << " +-2^k), " << l["weight_bits"]
                << "-bit weights, accumulator in [" << l["proven_accumulator"][0].get<std::string>()
                << ", " << l["proven_accumulator"][1].get<std::string>() << "] ("
                << l["accumulator_bits"] << " bits, " << l["arithmetic"].get<std::string>() << ")";
    std::cout << "; " << l["note"].get<std::string>() << '\n';
  }
  if (net->report.contains("fidelity_on_calibration"))
    std::cout << "  fidelity on the calibration rows: "
              << net->report["fidelity_on_calibration"].dump() << '\n';
  if (net->report.contains("fidelity_on_eval"))
    std::cout << "  fidelity on " << a.eval << ": " << net->report["fidelity_on_eval"].dump()
              << '\n';
  if (net->compiled.contract.contains("nfp"))
    std::cout << "  nfp: " << net->compiled.contract["nfp"]["programs"].dump() << '\n';
  return kExitOk;
}

int run_info(const std::string& path, bool json) {
  auto obj = bpf::read_elf_file(path);
  if (!obj) return report_failure(obj.failure(), json);
  auto contract = contract::read_contract(*obj);
  if (!contract) return report_failure(contract.failure(), json);
  if (json) {
    std::cout << json_text(*contract) << '\n';
    return kExitOk;
  }
  const auto& c = *contract;
  // Every field is optional here (read_contract checked the types of those present): a
  // damaged or foreign contract prints what it has instead of failing.
  auto text = [](const nlohmann::json& o, const char* key) -> std::string {
    if (!o.is_object() || !o.contains(key)) return "?";
    const auto& v = o[key];
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  std::cout << path << ": " << text(c, "model") << " program '" << text(c, "program")
            << "' in section '" << text(c, "section") << "'\n";
  if (c.contains("code"))
    std::cout << "  code: " << text(c["code"], "instructions") << " instructions, "
              << text(c["code"], "slots") << " slots, " << text(c["code"], "stack_bytes")
              << " stack bytes\n";
  if (c.contains("layout")) {
    const auto& l = c["layout"];
    const bool network = l.contains("features");
    std::cout << "  packet: magic " << text(l, "magic") << " at " << text(l, "magic_offset")
              << ", tag at " << text(l, "tag_offset");
    if (l.contains("result_offset")) std::cout << ", result (i32) at " << text(l, "result_offset");
    std::cout << ", " << text(l, network ? "features" : "samples") << " x " << text(l, "encoding")
              << " at " << text(l, "data_offset") << " (frame >= " << text(l, "frame_bytes")
              << " bytes)\n";
  }
  if (c.contains("match")) std::cout << "  match: " << c["match"].dump() << '\n';
  if (c.contains("anova")) std::cout << "  anova: " << c["anova"].dump() << '\n';
  if (c.contains("input") && c["input"].is_object()) {
    const auto& in = c["input"];
    std::cout << "  input: " << text(in, "features") << " features, " << text(in, "encoding");
    if (in.contains("scale") && in["scale"].is_array() && !in["scale"].empty()) {
      double lo = 0, hi = 0;
      bool first = true;
      for (const auto& s : in["scale"])
        if (s.is_number()) {
          const double v = s.get<double>();
          lo = first ? v : std::min(lo, v), hi = first ? v : std::max(hi, v), first = false;
        }
      std::cout << ", wire = round(x * scale), scale " << lo;
      if (hi != lo) std::cout << " .. " << hi;
      std::cout << ", clamped to the contract's ranges";
    }
    std::cout << '\n';
  }
  if (c.contains("output")) std::cout << "  output: " << c["output"].dump() << '\n';
  if (c.contains("quantized") && c["quantized"].is_object() && c["quantized"].contains("ops") &&
      c["quantized"]["ops"].is_array()) {
    std::cout << "  layers:";
    for (const auto& op : c["quantized"]["ops"]) {
      if (!op.is_object()) continue;
      std::cout << ' ' << text(op, "name") << " (" << text(op, "kind");
      if (op.contains("width")) std::cout << " x" << text(op, "width");
      std::cout << ')';
    }
    std::cout << '\n';
  }
  if (c.contains("tags")) std::cout << "  tags: " << c["tags"].dump() << '\n';
  if (c.contains("validity")) std::cout << "  validity: " << text(c, "validity") << '\n';
  return kExitOk;
}

} // namespace

void register_commands(CLI::App& app, int* exit_code) {
  auto* compile = app.add_subcommand("compile", "Compile a model into an XDP object");
  compile->require_subcommand(1);
  auto a = std::make_shared<AnovaArgs>();
  auto* anova = compile->add_subcommand(
      "anova", "The windowed ANOVA (Chebyshev) segmenter of the 2019 report");
  anova->add_option("--input", a->input, "sample encoding in the packet")
      ->check(CLI::IsMember({"u32", "f64"}))
      ->capture_default_str();
  anova->add_option("--scale", a->scale, "integerization factor, or 'auto' with --calib")
      ->capture_default_str();
  anova->add_option("--calib", a->calib, "calibration data for --scale auto");
  anova->add_option("--epsilon", a->epsilon, "Chebyshev epsilon (exact decimal)")
      ->capture_default_str();
  anova
      ->add_option("--match", a->match,
                   "packet matching: magic only, or Ethernet/IPv4/UDP port + magic")
      ->check(CLI::IsMember({"magic", "full"}))
      ->capture_default_str();
  anova->add_option("--target", a->target, "code generation target")
      ->check(CLI::IsMember({"kernel", "nfp"}))
      ->capture_default_str();
  anova
      ->add_option("--window", a->window,
                   "samples per window (A and B; 2N per packet): a power of two from 2 to 64")
      ->capture_default_str();
  anova->add_flag("--strict-align", a->strict_align,
                  "only naturally aligned packet accesses (BPF_F_STRICT_ALIGNMENT)");
  anova->add_option("-o,--output", a->output, "output object")->required();
  anova->add_option("-S", a->listing, "also write an LLVM-syntax listing");
  anova->add_flag("--no-annotate", a->no_annotate, "no model-node comments in the listing");
  anova->add_flag("--print-ir", a->print_ir, "print the IR after every pass to stderr");
  anova->add_flag("--json", a->json, "print the report as JSON");
  anova->add_flag("--verify", a->verify,
                  "before writing: the kernel verifier must accept the program and test runs "
                  "must equal the reference");
  anova->add_option("--verify-samples", a->verify_samples, "test runs for --verify")
      ->check(CLI::Range(size_t{1}, size_t{10000000}))
      ->capture_default_str();
  anova->callback([a, exit_code] { *exit_code = run_anova(*a); });

  auto ma = std::make_shared<ModelArgs>();
  auto* mc = compile->add_subcommand(
      "model", "A neural network (JSON or ONNX): quantize, unroll, emit eBPF");
  mc->add_option("model", ma->model, "model file: .onnx, or xdpml's JSON format")->required();
  mc->add_option("--calib", ma->calib,
                 "calibration data: CSV rows of feature values (chooses scales and ranges)");
  mc->add_option("--match", ma->match, "packet matching: magic only, or Ethernet/IPv4/UDP + magic")
      ->check(CLI::IsMember({"magic", "full"}))
      ->capture_default_str();
  mc->add_option("--target", ma->target, "code generation target")
      ->check(CLI::IsMember({"kernel", "nfp"}))
      ->capture_default_str();
  mc->add_flag("--strict-align", ma->strict_align,
               "only naturally aligned packet accesses (BPF_F_STRICT_ALIGNMENT)");
  mc->add_option("--weight-bits", ma->weight_bits, "largest integer weight magnitude, in bits")
      ->check(CLI::Range(4, 24))
      ->capture_default_str();
  mc->add_option("--calib-margin", ma->calib_margin,
                 "widen input ranges taken from --calib by this fraction of their span per side")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  mc->add_option("--pwl-segments", ma->pwl_segments, "segments of the tanh/sigmoid approximations")
      ->check(CLI::Range(3, 64))
      ->capture_default_str();
  mc->add_option("-o,--output", ma->output, "output object (omit with --json for a report only)");
  mc->add_option("-S", ma->listing, "also write an LLVM-syntax listing");
  mc->add_flag("--no-annotate", ma->no_annotate, "no model-node comments in the listing");
  mc->add_flag("--print-ir", ma->print_ir, "print the IR after every pass to stderr");
  mc->add_flag("--json", ma->json, "print the report as JSON");
  mc->add_option("--eval", ma->eval,
                 "also report fidelity (quantized vs float, and vs a label column) on this CSV");
  mc->add_flag("--verify", ma->verify,
               "before writing: the kernel verifier must accept the program and test runs on "
               "calibration and random rows must equal the bit-exact reference");
  mc->add_option("--verify-samples", ma->verify_samples, "test runs for --verify")
      ->check(CLI::Range(size_t{1}, size_t{10000000}))
      ->capture_default_str();
  mc->callback([ma, exit_code] {
    if (ma->output.empty() && !ma->json && ma->listing.empty()) {
      std::cerr << "error: say where the object goes (-o FILE), or ask for --json or -S\n";
      *exit_code = kExitUsage;
      return;
    }
    *exit_code = run_model(*ma);
  });

  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* info =
      app.add_subcommand("info", "Show an object's I/O contract (packet layout, parameters, tags)");
  info->add_option("object", *path, "object compiled by xdpml")->required();
  info->add_flag("--json", *json, "the contract as JSON");
  info->callback([path, json, exit_code] { *exit_code = run_info(*path, *json); });
}

} // namespace xdpml::compiler
