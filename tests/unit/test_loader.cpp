// The loader's parts that need no network interface: provenance lookup, verifier reports,
// program selection, the state records behind `xdpml status`, and the libbpf/libxdp boundary
// (error normalisation, captured prints). Attaching is tested by tests/loader/loader.sh.
#include "loader/library.hpp"
#include "loader/loader.hpp"
#include "loader/netdev.hpp"
#include "loader/state.hpp"
#include "loader/verifier_report.hpp"

#include <catch2/catch.hpp>

#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <regex>

using namespace xdpml;
using namespace xdpml::loader;

namespace {

const nlohmann::json kContract = nlohmann::json::parse(R"({
  "model": "anova",
  "program": "xdpml_anova",
  "provenance": [{"insn": 0, "node": "prologue"}, {"insn": 2, "node": "match.length"},
                 {"insn": 6, "node": "match.magic"}, {"insn": 12, "node": "A[0]"},
                 {"insn": 15, "node": ""}, {"insn": 16, "node": "A[1]"}]
})");

// r2 = *(u32 *)(r1 + 0); r0 = *(u16 *)(r2 + 12); r1 = 0x1122334455667788 ll; w0 = 2; exit
const std::vector<uint8_t> kCode = {
    0x61, 0x12, 0,  0, 0,    0,    0,    0,    //
    0x69, 0x20, 12, 0, 0,    0,    0,    0,    //
    0x18, 0x01, 0,  0, 0x88, 0x77, 0x66, 0x55, //
    0,    0,    0,  0, 0x44, 0x33, 0x22, 0x11, //
    0xb4, 0x00, 0,  0, 2,    0,    0,    0,    //
    0x95, 0,    0,  0, 0,    0,    0,    0,
};

// What the kernel (6.x, log level 1) writes for a packet read without a bounds check.
const std::string kVerifierLog = "func#0 @0\n"
                                 "0: R1=ctx() R10=fp0\n"
                                 "0: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx() R2=pkt(r=0)\n"
                                 "1: (69) r0 = *(u16 *)(r2 +12)\n"
                                 "invalid access to packet, off=12 size=2, R2(id=0,off=12,r=0)\n"
                                 "R2 offset is outside of the packet\n"
                                 "processed 2 insns (limit 1000000) max_states_per_insn 0 "
                                 "total_states 0 peak_states 0 mark_read 0\n";

struct TemporaryDirectory {
  std::filesystem::path path;
  TemporaryDirectory() {
    char pattern[] = "/tmp/xdpml-test-loader.XXXXXX";
    path = mkdtemp(pattern);
  }
  ~TemporaryDirectory() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

InterfaceRecord sample_record() {
  InterfaceRecord record;
  record.netns_inode = 4026531840u;
  record.ifindex = 7;
  record.ifname = "xdpml-test0";
  AttachmentRecord skb;
  skb.prog_id = 42;
  skb.object_path = "/tmp/model.o";
  skb.section = "xdp";
  skb.program = "xdpml_anova";
  skb.contract = {{"model", "anova"}, {"layout", {{"data_offset", 58}}}};
  skb.attached_at = "2026-01-02T03:04:05Z";
  record.by_mode[XdpMode::Skb] = skb;
  AttachmentRecord hw;
  hw.prog_id = 43;
  hw.object_path = "/tmp/other.o";
  hw.section = "xdp/offload";
  hw.program = "offloaded";
  record.by_mode[XdpMode::Hw] = hw;
  return record;
}

} // namespace

TEST_CASE("provenance maps an instruction to the run of model nodes containing it", "[loader]") {
  CHECK(model_node_for_instruction(kContract, 0) == "prologue");
  CHECK(model_node_for_instruction(kContract, 1) == "prologue");
  CHECK(model_node_for_instruction(kContract, 2) == "match.length");
  CHECK(model_node_for_instruction(kContract, 11) == "match.magic");
  CHECK(model_node_for_instruction(kContract, 12) == "A[0]");
  CHECK(model_node_for_instruction(kContract, 15) == ""); // a run without a node
  CHECK(model_node_for_instruction(kContract, 500) == "A[1]");
  CHECK(model_node_for_instruction(kContract, -1) == "");
  CHECK(model_node_for_instruction(nullptr, 3) == "");
  CHECK(model_node_for_instruction({{"model", "anova"}}, 3) == "");
  const auto damaged = nlohmann::json::parse(
      R"({"provenance": [{"insn": "x"}, 3, {"insn": 1, "node": "n"}, {"node": "m"}]})");
  CHECK(model_node_for_instruction(damaged, 5) == "n");
}

TEST_CASE("instruction_text disassembles the kernel's numbering (ld_imm64 is two)", "[loader]") {
  CHECK(instruction_text(kCode, 0) == "w2 = *(u32 *)(r1 + 0)");
  CHECK(instruction_text(kCode, 1) == "w0 = *(u16 *)(r2 + 12)");
  CHECK(instruction_text(kCode, 2) == "r1 = 1234605616436508552 ll");
  CHECK(instruction_text(kCode, 4) == "w0 = 2");
  CHECK(instruction_text(kCode, 5) == "exit");
  CHECK(instruction_text(kCode, 6) == "");
  CHECK(instruction_text(kCode, -1) == "");
}

TEST_CASE("verifier hints cover the usual rejections", "[loader]") {
  CHECK_THAT(verifier_hint("invalid access to packet, off=12 size=2"), Catch::Contains("data_end"));
  CHECK_THAT(verifier_hint("R0 !read_ok"), Catch::Contains("r0"));
  CHECK_THAT(verifier_hint("R1 invalid mem access 'map_value_or_null'"),
             Catch::Contains("against 0"));
  CHECK_THAT(verifier_hint("something new"), Catch::Contains("log excerpt"));
}

TEST_CASE("a verifier rejection names instruction, text, model node and log excerpt", "[loader]") {
  Rejection r;
  r.program = "xdpml_anova";
  r.section = "xdp";
  r.verifier_log = kVerifierLog;
  r.code = kCode;
  r.error_number = EACCES;
  SECTION("with a contract") {
    nlohmann::json contract = kContract;
    contract["provenance"] = {{{"insn", 0}, {"node", "prologue"}}, {{"insn", 1}, {"node", "A[3]"}}};
    r.contract = contract;
    const auto failure = describe_rejection(r);
    const auto& items = failure.diagnostics.items();
    REQUIRE(items.size() == 3);
    CHECK(items[0].severity == Severity::Error);
    CHECK(items[0].message ==
          "program 'xdpml_anova' (section xdp) was rejected by the verifier at instruction 1 "
          "(model node A[3]): invalid access to packet, off=12 size=2, R2(id=0,off=12,r=0); R2 "
          "offset is outside of the packet");
    CHECK_THAT(items[0].hint, Catch::Contains("data_end"));
    CHECK(items[1].severity == Severity::Note);
    CHECK(items[1].message == "instruction 1: w0 = *(u16 *)(r2 + 12)    # A[3]");
    CHECK_THAT(items[2].message, Catch::StartsWith("verifier log around it:\n"));
    CHECK_THAT(items[2].message, Catch::Contains("    1: (69) r0 = *(u16 *)(r2 +12)\n"));
    CHECK_THAT(items[2].message, !Catch::Contains("processed 2 insns"));
  }
  SECTION("without a contract there is no model node") {
    const auto failure = describe_rejection(r);
    CHECK_THAT(failure.diagnostics.items()[0].message,
               Catch::Contains("at instruction 1: invalid access"));
    CHECK_THAT(failure.diagnostics.render(), !Catch::Contains("model node"));
  }
  SECTION("a log without an instruction falls back to the errno") {
    r.verifier_log = "\n";
    const auto failure = describe_rejection(r);
    REQUIRE(failure.diagnostics.size() == 1);
    CHECK_THAT(failure.diagnostics.items()[0].message,
               Catch::EndsWith("rejected by the verifier: Permission denied"));
  }
}

TEST_CASE("select_program picks the XDP program or explains what the object has", "[loader]") {
  const std::vector<ProgramCandidate> one = {{"f", "xdp", "xdp"}};
  const std::vector<ProgramCandidate> mixed = {
      {"cls", "tc", "sched_cls"}, {"a", "xdp", "xdp"}, {"b", "xdp/b", "xdp"}, {"odd", "foo", ""}};
  const auto message = [](const Result<size_t>& r) {
    return r ? std::string() : r.diagnostics().items().front().message;
  };

  auto r = select_program(one, {}, "m.o", {});
  REQUIRE(r);
  CHECK(*r == 0);

  r = select_program(mixed, {}, "m.o", {});
  REQUIRE_FALSE(r);
  CHECK(message(r) == "the object has 2 XDP programs: 'a' (section xdp, xdp), 'b' (section "
                      "xdp/b, xdp)");
  CHECK(r.diagnostics().items().front().location.file == "m.o");

  r = select_program(mixed, {"xdp/b", ""}, "m.o", {});
  REQUIRE(r);
  CHECK(*r == 2);
  r = select_program(mixed, {"", "a"}, "m.o", {});
  REQUIRE(r);
  CHECK(*r == 1);
  // Named explicitly, a program in a section libbpf does not know loads as XDP.
  r = select_program(mixed, {"foo", ""}, "m.o", {});
  REQUIRE(r);
  CHECK(*r == 3);

  r = select_program(mixed, {"tc", ""}, "m.o", {});
  REQUIRE_FALSE(r);
  CHECK(message(r) == "program 'cls' (section tc, sched_cls) is not an XDP program");

  r = select_program(mixed, {"nope", ""}, "m.o", {});
  REQUIRE_FALSE(r);
  CHECK_THAT(message(r), Catch::StartsWith("no program matches --sec nope; its programs: 'cls'"));
  r = select_program(mixed, {"xdp", "b"}, "m.o", {});
  REQUIRE_FALSE(r);
  CHECK_THAT(message(r), Catch::StartsWith("no program matches --sec xdp --prog b;"));

  r = select_program({{"cls", "tc", "sched_cls"}}, {}, "m.o", {});
  REQUIRE_FALSE(r);
  CHECK(message(r) == "the object has no XDP program; its programs: 'cls' (section tc, "
                      "sched_cls)");

  r = select_program({}, {}, "m.o", {"", ".strtab", ".text", ".data", ".rel.data", ".symtab"});
  REQUIRE_FALSE(r);
  CHECK(message(r) == "the object has no XDP program; it has no programs at all (sections: "
                      ".text, .data)");
  CHECK_THAT(r.diagnostics().items().front().hint, Catch::Contains("STT_FUNC"));
}

TEST_CASE("modes: names, parsing and attach flags", "[loader]") {
  for (auto mode : kAllModes) CHECK(parse_mode(mode_name(mode)) == mode);
  CHECK_FALSE(parse_mode("offload"));
  CHECK(mode_flag(XdpMode::Skb) == XDP_FLAGS_SKB_MODE);
  CHECK(mode_flag(XdpMode::Native) == XDP_FLAGS_DRV_MODE);
  CHECK(mode_flag(XdpMode::Hw) == XDP_FLAGS_HW_MODE);
  Attachments a;
  a.native = 5;
  a.hw = 9;
  CHECK(a.any());
  CHECK(a.id(XdpMode::Skb) == 0);
  const std::vector<std::pair<XdpMode, uint32_t>> want = {{XdpMode::Native, 5}, {XdpMode::Hw, 9}};
  CHECK(a.attached() == want);
  CHECK_FALSE(Attachments{}.any());
}

TEST_CASE("state records round-trip through JSON and files", "[loader]") {
  const InterfaceRecord record = sample_record();
  SECTION("JSON") {
    auto back = interface_record_from_json(to_json(record));
    REQUIRE(back);
    CHECK(to_json(*back) == to_json(record));
    CHECK(back->by_mode.at(XdpMode::Hw).contract.is_null());
    CHECK_FALSE(interface_record_from_json({{"netns_inode", 1}}));
    auto bad_mode = to_json(record);
    bad_mode["modes"]["offload"] = bad_mode["modes"]["skb"];
    CHECK_FALSE(interface_record_from_json(bad_mode));
  }
  SECTION("files") {
    TemporaryDirectory tmp;
    const StateStore store(tmp.path / "run" / "xdpml"); // created on first write
    CHECK_FALSE(store.read(record.netns_inode, record.ifindex));
    REQUIRE(store.write(record));
    const auto path = store.path_for(record.netns_inode, record.ifindex);
    CHECK(path.filename() == "4026531840-7.json");
    auto back = store.read(record.netns_inode, record.ifindex);
    REQUIRE(back);
    CHECK(to_json(*back) == to_json(record));
    // The same ifindex in another network namespace is another interface.
    CHECK_FALSE(store.read(record.netns_inode + 1, record.ifindex));
    // A record under the wrong name (copied by hand) is ignored.
    std::filesystem::copy_file(path, store.path_for(1, 1));
    CHECK_FALSE(store.read(1, 1));
    // Damaged records are ignored, not errors.
    { std::ofstream(path) << "{ not json"; }
    CHECK_FALSE(store.read(record.netns_inode, record.ifindex));
    // Writing replaces atomically and leaves no temporary behind.
    REQUIRE(store.write(record));
    CHECK(store.read(record.netns_inode, record.ifindex));
    // An empty record removes the file.
    InterfaceRecord empty = record;
    empty.by_mode.clear();
    REQUIRE(store.write(empty));
    CHECK_FALSE(std::filesystem::exists(path));
    size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(tmp.path / "run" / "xdpml")) {
      CHECK(entry.path().filename().string().find(".tmp.") == std::string::npos);
      ++files;
    }
    CHECK(files == 1); // the hand-made copy
  }
  SECTION("update is a read-modify-write") {
    TemporaryDirectory tmp;
    const StateStore store(tmp.path);
    const auto add = [&](XdpMode mode, uint32_t id) {
      return store.update(9, 3, [&](InterfaceRecord& r) {
        r.ifname = "xdpml-test1";
        r.by_mode[mode].prog_id = id;
      });
    };
    REQUIRE(add(XdpMode::Hw, 10));
    REQUIRE(add(XdpMode::Skb, 11));
    auto both = store.read(9, 3);
    REQUIRE(both);
    CHECK(both->netns_inode == 9);
    CHECK(both->ifindex == 3);
    CHECK(both->by_mode.size() == 2);
    CHECK(both->by_mode.at(XdpMode::Hw).prog_id == 10);
    REQUIRE(store.update(9, 3, [](InterfaceRecord& r) { r.by_mode.clear(); }));
    CHECK_FALSE(std::filesystem::exists(store.path_for(9, 3)));
  }
}

TEST_CASE("libbpf and libxdp errors normalise to errno", "[loader]") {
  int value = 0;
  CHECK(libbpf_pointer_error(&value) == 0);
  errno = ENOENT;
  CHECK(libbpf_pointer_error(nullptr) == ENOENT);
  CHECK(libbpf_int_error(3) == 0);
  CHECK(libbpf_int_error(-EBUSY) == EBUSY);
  // libxdp encodes errors in the pointer itself (ERR_PTR): never NULL-checked.
  CHECK(libxdp_pointer_error(reinterpret_cast<void*>(static_cast<intptr_t>(-EOPNOTSUPP))) ==
        EOPNOTSUPP);
  CHECK(libxdp_pointer_error(&value) == 0);
  CHECK(describe_errno(ENODEV) == "No such device");
  CHECK_THAT(describe_errno(LIBBPF_ERRNO__FORMAT), Catch::Contains("format"));
}

TEST_CASE("LibraryLog captures libbpf's prints and finds the kernel's words", "[loader]") {
  LibraryLog log(false);
  // libbpf warns about a file it cannot open; the warning must land in the log.
  errno = 0;
  bpf_object* object = bpf_object__open_file("/nonexistent/xdpml-test.o", nullptr);
  CHECK(object == nullptr);
  CHECK(libbpf_pointer_error(object) == ENOENT);
  REQUIRE_FALSE(log.lines().empty());
  CHECK_THAT(log.lines().back(), Catch::StartsWith("libbpf: "));
  CHECK_THAT(log.last_warning(), Catch::Contains("xdpml-test.o"));
  CHECK(log.last_kernel_message().empty());
  // netlink extack messages arrive as libbpf warnings.
  log.append(0, "libbpf: Kernel error message: XDP program already attached.\n");
  log.append(2, "libbpf: debug line\nsecond line\n");
  CHECK(log.last_kernel_message() == "XDP program already attached.");
  CHECK(log.lines().back() == "libbpf: second line");
  CHECK(log.last_warning() == "Kernel error message: XDP program already attached.");
  log.clear();
  CHECK(log.lines().empty());
}

TEST_CASE("kernel load times become ISO 8601 UTC", "[loader]") {
  const std::string text = boot_time_to_iso8601(1'000'000'000ull);
  CHECK(std::regex_match(text, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
}
