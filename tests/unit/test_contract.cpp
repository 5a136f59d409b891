// contract/: the I/O contract as a data format. The section and reading it back from objects,
// the shape checks of every field a tool reads (both model kinds), the typed view of a
// network's packet and its refusals, and the small parsers (magic, bounded integers, field
// placement) that packetgen shares.
#include "compiler/anova/compile.hpp"
#include "compiler/model/compile.hpp"
#include "compiler/model/json_import.hpp"
#include "contract/contract.hpp"
#include "support/cli_support.hpp"
#include "test_support.hpp"

#include <elf.h>

#include <string>

using namespace xdpml;
using nlohmann::json;

namespace {

compiler::CompiledModel compiled_network(const std::string& name, bool strict = false) {
  const std::string dir = testing::source_path("examples/models/" + name + "/");
  auto m = model::read_model_json_file(dir + "model.json");
  REQUIRE(m);
  auto calib = model::read_feature_csv(dir + "calib.csv", m->input.features);
  REQUIRE(calib);
  model::ModelCompileOptions o;
  o.match.strict_align = strict;
  auto net = model::compile_model(*m, &*calib, o);
  INFO((net ? "" : net.diagnostics().render()));
  REQUIRE(net);
  return std::move(net->compiled);
}

compiler::CompiledModel compiled_anova() {
  anova::AnovaSpec spec;
  auto m = anova::compile_anova(spec, {});
  REQUIRE(m);
  return std::move(*m);
}

bpf::ObjectFile with_section(const std::string& text) {
  bpf::ObjectFile o;
  auto& s = o.add_section(contract::kSection, SHT_PROGBITS, 0, 1);
  s.data.assign(text.begin(), text.end());
  return o;
}

std::string shape(json c) {
  const auto e = contract::shape_error(c);
  return e ? *e : "";
}

std::string refused(const json& c) {
  auto n = contract::network_contract(c, "net.o");
  if (n) return "";
  const std::string text = n.diagnostics().render();
  CHECK(text.find("net.o") != std::string::npos);
  CHECK(text.find("I/O contract") != std::string::npos);
  return text;
}

} // namespace

TEST_CASE("contract: the section compiled objects carry, read back", "[contract]") {
  // libbpf skips .debug_* sections silently; any other unknown name draws a warning.
  CHECK(std::string(contract::kSection) == ".debug_xdpml.contract");
  for (const auto& compiled : {compiled_anova(), compiled_network("classifier")}) {
    REQUIRE(contract::has_contract(compiled.object));
    const int cs = compiled.object.find_section(contract::kSection);
    REQUIRE(cs >= 0);
    CHECK(compiled.object.sections[static_cast<size_t>(cs)].flags == 0); // not allocated
    // Objects written before the rename are still read.
    bpf::ObjectFile legacy = compiled.object;
    legacy.sections[static_cast<size_t>(cs)].name = contract::kLegacySection;
    auto old = contract::read_contract(legacy);
    REQUIRE(old);
    CHECK(*old == compiled.contract);
    auto c = contract::read_contract(compiled.object);
    INFO((c ? "" : c.diagnostics().render()));
    REQUIRE(c);
    CHECK(*c == compiled.contract);
    CHECK((*c)["xdpml_contract"] == contract::kVersion);
    CHECK_FALSE(contract::shape_error(*c));
  }
  CHECK(contract::model_kind(compiled_anova().contract) == contract::ModelKind::Anova);
  CHECK(contract::model_kind(compiled_network("aurora").contract) == contract::ModelKind::Network);
  CHECK(contract::model_kind(json{{"model", "svm"}}) == contract::ModelKind::Other);
  CHECK(contract::model_kind(json::array()) == contract::ModelKind::Other);

  bpf::ObjectFile none;
  CHECK_FALSE(contract::has_contract(none));
  auto missing = contract::read_contract(none);
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.diagnostics().render(), Catch::Contains("has no I/O contract") &&
                                                 Catch::Contains(contract::kSection) &&
                                                 Catch::Contains("--format"));
  auto garbage = contract::read_contract(with_section("{\"model\": "));
  REQUIRE_FALSE(garbage);
  CHECK_THAT(garbage.diagnostics().render(), Catch::Contains("not valid JSON"));
  auto wrong = contract::read_contract(with_section("{\"layout\": {\"tag_offset\": \"50\"}}"));
  REQUIRE_FALSE(wrong);
  CHECK_THAT(wrong.diagnostics().render(),
             Catch::Contains("malformed: field layout.tag_offset must be a non-negative integer"));
  CHECK(contract::parse_contract("{\"model\": \"anova\"}"));
}

TEST_CASE("contract: every field a tool reads has its type checked", "[contract]") {
  const json net = compiled_network("aurora").contract;
  const json cls = compiled_network("classifier").contract;
  CHECK(shape(net).empty());
  CHECK(shape(cls).empty());
  CHECK(shape(compiled_anova().contract).empty());
  CHECK(shape(json::array()) == "the contract is not a JSON object");
  struct Case {
    const json* base;
    json::json_pointer at;
    json value;
    const char* error;
  };
  const Case cases[] = {
      {&net, json::json_pointer("/model"), 3, "field model must be a string"},
      {&net, json::json_pointer("/layout/result_offset"), "58",
       "field layout.result_offset must be a non-negative integer, not string \"58\""},
      {&net, json::json_pointer("/layout/result_bytes"), -4, "field layout.result_bytes"},
      {&net, json::json_pointer("/layout/features"), 1.5, "field layout.features"},
      {&net, json::json_pointer("/input"), json::array(), "field input must be an object"},
      {&net, json::json_pointer("/input/features"), "30", "field input.features"},
      {&net, json::json_pointer("/input/encoding"), 32, "field input.encoding must be a string"},
      {&net, json::json_pointer("/input/scale"), 8192, "field input.scale must be an array"},
      {&net, json::json_pointer("/input/scale/3"), "x", "field input.scale[3] must be numbers"},
      {&net, json::json_pointer("/input/wire_min/0"), 0.5,
       "field input.wire_min[0] must be integers"},
      {&net, json::json_pointer("/input/wire_max"), "big", "field input.wire_max must be an array"},
      {&net, json::json_pointer("/output/kind"), json::object(), "field output.kind"},
      {&net, json::json_pointer("/output/scale"), "16384", "field output.scale must be a number"},
      {&net, json::json_pointer("/output/result_offset"), -58, "field output.result_offset"},
      {&cls, json::json_pointer("/output/classes"), "2", "field output.classes"},
      {&cls, json::json_pointer("/output/class_names/1"), 1,
       "field output.class_names[1] must be strings"},
      {&net, json::json_pointer("/quantized"), json::array(), "field quantized must be an object"},
      {&net, json::json_pointer("/float_model"), "model.json",
       "field float_model must be an object"},
      {&net, json::json_pointer("/tags"), json::array(), "field tags must be an object"},
      {&net, json::json_pointer("/code/instructions"), -1, "field code.instructions"},
      {&net, json::json_pointer("/provenance/0/insn"), "0", "field provenance[0].insn"},
  };
  for (const auto& c : cases) {
    json bad = *c.base;
    bad[c.at] = c.value;
    INFO(c.at.to_string());
    CHECK_THAT(shape(bad), Catch::StartsWith(c.error));
  }
}

TEST_CASE("contract: a network's packet, typed", "[contract]") {
  auto n = contract::network_contract(compiled_network("aurora").contract, "aurora.o");
  INFO((n ? "" : n.diagnostics().render()));
  REQUIRE(n);
  CHECK(n->magic_offset == 42);
  CHECK(n->magic == 0x216C7174786A7A21ull);
  CHECK(n->tag_offset == 50);
  CHECK(n->result_offset == 58);
  CHECK(n->result_bytes == 4);
  CHECK(n->data_offset == 66);
  CHECK(n->features == 30);
  CHECK(n->signed_features);
  CHECK(n->data_end() == 66 + 120);
  CHECK(n->frame_bytes == n->data_end());
  CHECK(n->udp_port == 6666);
  CHECK_FALSE(n->argmax);
  CHECK(n->output_scale > 1);
  REQUIRE(n->wire_min.size() == 30);
  REQUIRE(n->wire_max.size() == 30);
  for (size_t i = 0; i < 30; ++i) CHECK(n->wire_min[i] < n->wire_max[i]);

  auto c = contract::network_contract(compiled_network("classifier", true).contract, "c.o");
  REQUIRE(c);
  CHECK(c->argmax);
  CHECK(c->classes == 2);
  CHECK(c->class_names == std::vector<std::string>{"malignant", "benign"});
  CHECK(c->features == 6);
  CHECK(c->frame_bytes == 66 + 24);
}

TEST_CASE("contract: malformed network contracts are refused, naming the field", "[contract]") {
  const json good = compiled_network("aurora").contract;
  const json cls = compiled_network("classifier").contract;
  REQUIRE(refused(good).empty());
  REQUIRE(refused(cls).empty());
  auto with = [&](const json& base, const char* pointer, json value) {
    json c = base;
    c[json::json_pointer(pointer)] = std::move(value);
    return refused(c);
  };
  CHECK_THAT(refused(compiled_anova().contract), Catch::Contains("model 'anova' is not a network"));
  CHECK_THAT(with(good, "/layout/payload_offset", 46), Catch::Contains("payload_offset 46"));
  CHECK_THAT(with(good, "/layout/magic", "zz"), Catch::Contains("magic 'zz'"));
  CHECK_THAT(with(good, "/layout/tag_bytes", 1), Catch::Contains("tag_bytes must be 8"));
  CHECK_THAT(with(good, "/layout/encoding", "f64le"), Catch::Contains("encoding 'f64le'"));
  CHECK_THAT(with(good, "/layout/stride", 8), Catch::Contains("stride 8"));
  CHECK_THAT(with(good, "/layout/features", 0), Catch::Contains("at least one feature"));
  CHECK_THAT(with(good, "/layout/result_bytes", 8), Catch::Contains("result_bytes must be 4"));
  CHECK_THAT(with(cls, "/layout/result_offset", 64), Catch::Contains("result overlaps data"));
  CHECK_THAT(with(cls, "/layout/result_offset", 46), Catch::Contains("magic overlaps result"));
  CHECK_THAT(with(good, "/layout/data_offset", 1500), Catch::Contains("data at 1500 lies outside"));
  CHECK_THAT(with(good, "/layout/data_offset", uint64_t{1} << 32),
             Catch::Contains("data_offset = 4294967296"));
  CHECK_THAT(with(good, "/layout/magic_offset", 30), Catch::Contains("magic at 30 lies outside"));
  CHECK_THAT(with(good, "/layout/frame_bytes", 1000), Catch::Contains("frame_bytes 1000"));
  CHECK_THAT(with(good, "/layout/udp_dest_port", 70000), Catch::Contains("udp_dest_port"));
  CHECK_THAT(with(good, "/output/kind", "softmax"), Catch::Contains("output.kind 'softmax'"));
  CHECK_THAT(with(good, "/output/scale", 0), Catch::Contains("output.scale 0 is not positive"));
  CHECK_THAT(with(good, "/output/result_offset", 62),
             Catch::Contains("disagrees with layout.result_offset"));
  CHECK_THAT(with(cls, "/output/classes", 0), Catch::Contains("needs a class"));
  CHECK_THAT(with(cls, "/output/classes", 256), Catch::Contains("classes = 256"));
  CHECK_THAT(with(good, "/input/features", 29), Catch::Contains("input.features 29 disagrees"));
  json short_min = good;
  short_min["input"]["wire_min"].erase(0);
  CHECK_THAT(refused(short_min), Catch::Contains("one value per feature"));
  CHECK_THAT(with(good, "/input/wire_min/2", int64_t{1} << 40), Catch::Contains("feature 2"));
  CHECK_THAT(with(good, "/input/wire_max/0", int64_t{UINT32_MAX}), Catch::Contains("i32le"));
  json no_layout = good;
  no_layout.erase("layout");
  CHECK_THAT(refused(no_layout), Catch::Contains("missing or malformed field"));
  CHECK_THAT(with(good, "/layout/features", "30"), Catch::Contains("layout.features must be"));
}

TEST_CASE("contract: magic, bounded integers and field placement", "[contract]") {
  CHECK(contract::parse_magic("0x216c7174786a7a21") == 0x216C7174786A7A21ull);
  CHECK(contract::parse_magic("216C7174786A7A21") == 0x216C7174786A7A21ull);
  CHECK(contract::parse_magic("0X1f") == 0x1f);
  CHECK(contract::parse_magic("0") == 0);
  for (const char* bad : {"", "0x", "-1", " 1", "1 ", "+1", "0x1g", "0x12345678901234567", "x1"})
    CHECK_FALSE(contract::parse_magic(bad));

  const json o{{"a", 42},          {"big", (uint64_t{1} << 32) + 42},
               {"neg", -1},        {"real", 1e20},
               {"half", 4.5},      {"text", "42"},
               {"max", UINT32_MAX}};
  CHECK(contract::unsigned_field(o, "a") == 42);
  CHECK(contract::unsigned_field(o, "max") == UINT32_MAX);
  CHECK_THROWS_WITH(contract::unsigned_field(o, "a", 41), "a = 42 is not an integer in [0, 41]");
  for (const char* k : {"big", "neg", "real", "half", "text"})
    CHECK_THROWS_AS(contract::unsigned_field(o, k), std::out_of_range);
  CHECK_THROWS(contract::unsigned_field(o, "absent"));

  using contract::Field;
  CHECK_FALSE(contract::placement_error({{"magic", 42, 50}, {"tag", 50, 58}, {"data", 58, 1506}}));
  CHECK(contract::placement_error({{"magic", 42, 50}, {"data", 58, 1507}}) ==
        "data at 58 lies outside the payload");
  CHECK(contract::placement_error({{"magic", 41, 49}}) == "magic at 41 lies outside the payload");
  CHECK(contract::placement_error({{"magic", 42, 50}, {"tag", 46, 54}}) == "magic overlaps tag");
}

TEST_CASE("JSON output survives invalid UTF-8 quoted from damaged files", "[contract]") {
  // Found by bit-flipping objects: an error quoting a damaged symbol name made
  // `check --target nfp --json` throw inside nlohmann's writer ("internal error").
  const json report{{"error", "function symbol 'xdpml_\xa0nova' does not lie inside section"}};
  CHECK_THROWS(report.dump()); // what the plain writer does with it
  const std::string out = json_text(report);
  CHECK(out.find("xdpml_\xef\xbf\xbdnova") != std::string::npos); // U+FFFD instead
}
