// xdpml_storm: the malformed-frame storm (reliability, item 6). Every example program (or any
// object given with --obj) is loaded into the kernel and fed frames through BPF_PROG_TEST_RUN
// that are not ours or are broken, family by family (frames.hpp), each derived from the
// program's own I/O contract. The reference classifier (oracle.hpp) decides for each frame
// whether the program owns it: a foreign frame must come back XDP_PASS with every byte
// unchanged; an owned one XDP_PASS with only the tag (and a regression's result) written.
//
// Exit codes: 0 every frame as expected; 1 any failure (each family's first failing frame is
// printed with its family, seed and index: `--replay FAMILY:INDEX` generates it again); 2 usage;
// 3 this process cannot load BPF programs (under ctest, XDPML_TEST_SKIP_CODE instead: skipped).
#include "compiler/match.hpp"
#include "support/cli_support.hpp"
#include "tests/storm/frames.hpp"
#include "tests/storm/mutants.hpp"
#include "tests/storm/oracle.hpp"
#include "tests/storm/programs.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <sys/utsname.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

namespace xdpml::storm {

namespace {

constexpr uint32_t kXdpPass = 2;
constexpr size_t kEthernetHeader = 14; // BPF_PROG_TEST_RUN refuses shorter XDP frames

struct Options {
  uint64_t frames = 1000000; // per program, split evenly over the families
  uint64_t seed = 1;
  std::vector<std::string> programs; // built-in names; empty: all (unless --obj)
  std::vector<std::string> objects;
  bool strict_align = false; // for --obj
  std::vector<std::string> families;
  std::string replay; // FAMILY:INDEX
  std::string markdown;
  std::string source_dir = XDPML_SOURCE_DIR;
  bool json = false;
  bool list = false;
  bool self_test = false;
  std::string command_line;
};

const char* verdict_name(uint32_t v) {
  static const char* names[] = {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"};
  return v < 5 ? names[v] : "unknown";
}

std::string hex_u64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string hexdump(const Frame& f, const std::string& indent) {
  std::string out;
  char buf[24];
  for (size_t row = 0; row < f.size(); row += 16) {
    std::snprintf(buf, sizeof buf, "%04zx ", row);
    out += indent + buf;
    std::string text;
    for (size_t i = row; i < row + 16; ++i) {
      if (i < f.size()) {
        std::snprintf(buf, sizeof buf, " %02x", f[i]);
        out += buf;
        text += f[i] >= 0x20 && f[i] < 0x7f ? static_cast<char>(f[i]) : '.';
      } else {
        out += "   ";
      }
    }
    out += "  " + text + "\n";
  }
  if (f.empty()) out += indent + "(empty)\n";
  return out;
}

std::string hex_string(const Frame& f) {
  std::string s;
  char buf[4];
  for (uint8_t b : f) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    s += buf;
  }
  return s;
}

// ---- one frame

enum class Outcome { ForeignUntouched, OwnedProcessed, Refused, Failed };

struct Check {
  Outcome outcome = Outcome::Failed;
  bool ours = false;
  std::string why; // Failed
  Frame out;       // what the kernel returned
  uint32_t retval = 0;
  bool ran = false;
};

Check check_frame(int fd, const Layout& l, const Frame& in, bool control) {
  Check c;
  c.ours = is_ours(in, l);
  auto r = bpf::test_run(fd, in);
  if (!r) {
    if (in.size() < kEthernetHeader) {
      c.outcome = Outcome::Refused;
      return c;
    }
    c.why = "BPF_PROG_TEST_RUN failed: " + r.diagnostics().items().front().message;
    return c;
  }
  c.ran = true;
  c.retval = r->retval;
  c.out = std::move(r->data_out);
  if (control && !c.ours) {
    c.why = "the reference classifier does not own a valid frame built from the contract";
    return c;
  }
  if (c.retval != kXdpPass) {
    c.why = std::string("verdict ") + std::to_string(c.retval) + " (" + verdict_name(c.retval) +
            ") instead of XDP_PASS";
    return c;
  }
  if (!c.ours) {
    if (c.out.size() != in.size()) {
      c.why = "foreign frame came back " + std::to_string(c.out.size()) + " bytes long, not " +
              std::to_string(in.size());
      return c;
    }
    for (size_t i = 0; i < in.size(); ++i)
      if (in[i] != c.out[i]) {
        c.why = "foreign frame modified: byte " + std::to_string(i) + " " + std::to_string(in[i]) +
                " -> " + std::to_string(c.out[i]);
        return c;
      }
    c.outcome = Outcome::ForeignUntouched;
    return c;
  }
  if (auto e = owned_output_error(in, c.out, l)) {
    c.why = "owned frame: " + *e;
    return c;
  }
  c.outcome = Outcome::OwnedProcessed;
  return c;
}

// ---- a program

struct FirstFailure {
  uint64_t index = 0, frame_seed = 0;
  std::string why;
  Frame in, out;
  bool ran = false;
  uint32_t retval = 0;
};

struct FamilyStats {
  size_t family = 0; // index in families()
  uint64_t frames = 0, foreign = 0, owned = 0, refused = 0, failures = 0;
  std::optional<FirstFailure> first;
};

struct ProgramRun {
  std::string name, command, match;
  bool strict_align = false;
  size_t instructions = 0;
  uint32_t frame_bytes = 0;
  double compile_ms = 0, seconds = 0;
  std::string error; // could not compile, read or load: counts as a failure
  std::vector<FamilyStats> families;
  uint64_t total(uint64_t FamilyStats::*field) const {
    uint64_t n = 0;
    for (const auto& f : families) n += f.*field;
    return n;
  }
  uint64_t failures() const { return total(&FamilyStats::failures) + (error.empty() ? 0 : 1); }
};

Frame generate(const Layout& l, uint64_t seed, size_t family, uint64_t index) {
  Rng r(frame_seed(seed, family, index));
  return families()[family].make(l, r, index);
}

struct Prepared {
  Program program;
  Layout layout;
  bpf::LoadedProgram loaded;
};

// The layout from the program's contract, and the program loaded.
Result<Prepared> prepare(Program p, ProgramRun& run) {
  run.command = p.command;
  run.strict_align = p.strict_align;
  run.instructions = p.instructions();
  auto l = layout_from_contract(p.contract, p.name);
  if (!l) return l.failure();
  run.match = l->full_match ? "full" : "magic";
  run.frame_bytes = l->frame_bytes;
  auto loaded = load(p);
  if (!loaded) return loaded.failure();
  return Prepared{std::move(p), std::move(*l), std::move(*loaded)};
}

Result<Prepared> prepare(const std::string& name, bool object, const Options& o, ProgramRun& run) {
  const auto t0 = std::chrono::steady_clock::now();
  auto p = object ? read_program(name, o.strict_align) : build_program(name, o.source_dir);
  if (!p) return p.failure();
  run.compile_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return prepare(std::move(*p), run);
}

std::vector<size_t> selected_families(const Options& o) {
  std::vector<size_t> out;
  for (size_t i = 0; i < families().size(); ++i) {
    bool take = o.families.empty();
    for (const auto& n : o.families) take |= n == families()[i].name;
    if (take) out.push_back(i);
  }
  return out;
}

void storm(const Prepared& p, const Options& o, ProgramRun& run) {
  const auto chosen = selected_families(o);
  const int fd = p.loaded.fd.get();
  // The compiler's own frame of ours (what --verify sends) must be ours by the contract too.
  const Frame own = compiler::owned_frame(p.layout.frame_bytes);
  if (Check c = check_frame(fd, p.layout, own, true); c.outcome != Outcome::OwnedProcessed)
    run.error = "compiler::owned_frame(" + std::to_string(p.layout.frame_bytes) + "): " + c.why;
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t k = 0; k < chosen.size(); ++k) {
    FamilyStats s;
    s.family = chosen[k];
    const uint64_t n = o.frames / chosen.size() + (k < o.frames % chosen.size() ? 1 : 0);
    const bool control = std::string(families()[s.family].name) == "ours";
    for (uint64_t i = 0; i < n; ++i) {
      const Frame f = generate(p.layout, o.seed, s.family, i);
      Check c = check_frame(fd, p.layout, f, control);
      ++s.frames;
      switch (c.outcome) {
      case Outcome::ForeignUntouched:
        ++s.foreign;
        break;
      case Outcome::OwnedProcessed:
        ++s.owned;
        break;
      case Outcome::Refused:
        ++s.refused;
        break;
      case Outcome::Failed:
        ++s.failures;
        if (!s.first)
          s.first =
              FirstFailure{i, frame_seed(o.seed, s.family, i), c.why, f, c.out, c.ran, c.retval};
      }
    }
    run.families.push_back(std::move(s));
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

ProgramRun storm(const std::string& name, bool object, const Options& o) {
  ProgramRun run;
  run.name = name;
  if (auto p = prepare(name, object, o, run))
    storm(*p, o, run);
  else
    run.error = p.diagnostics().render();
  return run;
}

// ---- reports

std::string replay_command(const ProgramRun& r, const Options& o, const FamilyStats& s) {
  std::ostringstream c;
  c << "xdpml_storm " << (r.command.find("xdpml compile") == 0 ? "--program " : "--obj ") << r.name
    << (r.strict_align && r.command.find("xdpml compile") != 0 ? " --strict-align" : "")
    << " --seed " << o.seed << " --replay " << families()[s.family].name << ":" << s.first->index;
  return c.str();
}

void print_text(const std::vector<ProgramRun>& runs, const Options& o) {
  std::printf("xdpml_storm: seed %llu, %llu frames per program over %zu families\n",
              static_cast<unsigned long long>(o.seed), static_cast<unsigned long long>(o.frames),
              selected_families(o).size());
  for (const auto& r : runs) {
    std::printf("\n%s: %s\n", r.name.c_str(), r.command.c_str());
    if (!r.error.empty())
      std::printf("  FAIL: %s%s", r.error.c_str(), r.error.back() == '\n' ? "" : "\n");
    if (r.families.empty()) continue;
    std::printf("  match %s%s, %zu instructions, frames >= %u bytes; compiled in %.0f ms\n",
                r.match.c_str(), r.strict_align ? ", strict alignment" : "", r.instructions,
                r.frame_bytes, r.compile_ms);
    std::printf("  %-12s %9s %9s %9s %8s %8s\n", "family", "frames", "foreign", "owned", "refused",
                "failures");
    for (const auto& s : r.families)
      std::printf(
          "  %-12s %9llu %9llu %9llu %8llu %8llu\n", families()[s.family].name,
          static_cast<unsigned long long>(s.frames), static_cast<unsigned long long>(s.foreign),
          static_cast<unsigned long long>(s.owned), static_cast<unsigned long long>(s.refused),
          static_cast<unsigned long long>(s.failures));
    const uint64_t frames = r.total(&FamilyStats::frames);
    std::printf("  %-12s %9llu %9llu %9llu %8llu %8llu   %.2f s, %.2f us/frame\n", "total",
                static_cast<unsigned long long>(frames),
                static_cast<unsigned long long>(r.total(&FamilyStats::foreign)),
                static_cast<unsigned long long>(r.total(&FamilyStats::owned)),
                static_cast<unsigned long long>(r.total(&FamilyStats::refused)),
                static_cast<unsigned long long>(r.failures()), r.seconds,
                frames ? 1e6 * r.seconds / static_cast<double>(frames) : 0.0);
    for (const auto& s : r.families) {
      if (!s.first) continue;
      const auto& f = *s.first;
      std::printf("  FAIL %s, family %s, frame %llu (seed %llu, frame seed %s): %s\n",
                  r.name.c_str(), families()[s.family].name,
                  static_cast<unsigned long long>(f.index), static_cast<unsigned long long>(o.seed),
                  hex_u64(f.frame_seed).c_str(), f.why.c_str());
      std::printf("    replay: %s\n", replay_command(r, o, s).c_str());
      std::printf("    in (%zu bytes):\n%s", f.in.size(), hexdump(f.in, "      ").c_str());
      if (f.ran)
        std::printf("    out (%zu bytes, %s):\n%s", f.out.size(), verdict_name(f.retval),
                    hexdump(f.out, "      ").c_str());
    }
  }
  uint64_t failures = 0;
  for (const auto& r : runs) failures += r.failures();
  std::printf("\n%s: %zu programs, %llu failures\n", failures ? "FAILED" : "ok", runs.size(),
              static_cast<unsigned long long>(failures));
}

nlohmann::json to_json(const std::vector<ProgramRun>& runs, const Options& o) {
  nlohmann::json progs = nlohmann::json::array();
  uint64_t failures = 0;
  for (const auto& r : runs) {
    nlohmann::json fams = nlohmann::json::array();
    for (const auto& s : r.families) {
      nlohmann::json j{{"family", families()[s.family].name},   {"frames", s.frames},
                       {"foreign_passed_untouched", s.foreign}, {"owned_processed", s.owned},
                       {"refused_by_kernel", s.refused},        {"failures", s.failures}};
      if (s.first)
        j["first_failure"] = {{"index", s.first->index},
                              {"frame_seed", hex_u64(s.first->frame_seed)},
                              {"why", s.first->why},
                              {"replay", replay_command(r, o, s)},
                              {"frame", hex_string(s.first->in)},
                              {"output", s.first->ran ? nlohmann::json(hex_string(s.first->out))
                                                      : nlohmann::json(nullptr)},
                              {"verdict", s.first->retval}};
      fams.push_back(j);
    }
    nlohmann::json p{{"program", r.name},
                     {"command", r.command},
                     {"match", r.match},
                     {"strict_align", r.strict_align},
                     {"instructions", r.instructions},
                     {"frame_bytes", r.frame_bytes},
                     {"compile_ms", r.compile_ms},
                     {"seconds", r.seconds},
                     {"frames", r.total(&FamilyStats::frames)},
                     {"foreign_passed_untouched", r.total(&FamilyStats::foreign)},
                     {"owned_processed", r.total(&FamilyStats::owned)},
                     {"refused_by_kernel", r.total(&FamilyStats::refused)},
                     {"failures", r.failures()},
                     {"families", fams}};
    if (!r.error.empty()) p["error"] = r.error;
    failures += r.failures();
    progs.push_back(p);
  }
  return {{"seed", o.seed},
          {"frames_per_program", o.frames},
          {"programs", progs},
          {"failures", failures},
          {"ok", failures == 0}};
}

std::string kernel_release() {
  utsname u{};
  if (uname(&u) != 0) return "?";
  return std::string(u.sysname) + " " + u.release;
}

std::string with_commas(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string markdown(const std::vector<ProgramRun>& runs, const Options& o) {
  std::ostringstream m;
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d", std::localtime(&now));
  const auto chosen = selected_families(o);
  uint64_t failures = 0, frames = 0;
  for (const auto& r : runs) failures += r.failures(), frames += r.total(&FamilyStats::frames);
  m << "### Malformed-frame storm\n\n"
    << "`build/tests/storm/" << o.command_line << "` (" << kernel_release() << ", " << date
    << "): " << with_commas(o.frames) << " frames per program through `BPF_PROG_TEST_RUN`, "
    << with_commas(o.frames / chosen.size()) << " per family, generated from seed " << o.seed
    << " and each program's own I/O contract; " << with_commas(frames) << " frames, " << failures
    << " failures. A frame the reference classifier (`tests/storm/oracle.cpp`, "
    << "written from docs/formats.md) calls foreign must come back `XDP_PASS` with every byte "
       "unchanged; one it calls ours `XDP_PASS` with only the tag (and a regression's result) "
       "changed to a tag of the contract. Frames shorter than 14 bytes (truncation at 0..13) are "
       "refused by the kernel (`EINVAL`): no XDP program sees them.\n\n";
  m << "| program | compiled as | match | frames | foreign, passed untouched | owned, only "
       "tag/result written | refused (< 14 bytes) | failures | time |\n"
    << "|---|---|---|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : runs) {
    m << "| " << r.name << " | `" << r.command << "` | " << r.match
      << (r.strict_align ? ", strict align" : "") << " | "
      << with_commas(r.total(&FamilyStats::frames)) << " | "
      << with_commas(r.total(&FamilyStats::foreign)) << " | "
      << with_commas(r.total(&FamilyStats::owned)) << " | "
      << with_commas(r.total(&FamilyStats::refused)) << " | " << r.failures() << " | ";
    char t[32];
    std::snprintf(t, sizeof t, "%.1f s", r.seconds);
    m << t << " |\n";
  }
  m << "\nPer family: frames that are foreign / owned by each program (the magic-only match "
       "owns frames whose Ethernet/IPv4/UDP headers are wrong but whose magic and tag are in "
       "place, as design.md §3 says it may; the full match does not).\n\n| family | frames | "
       "what |";
  for (const auto& r : runs) m << " " << r.name << " |";
  m << "\n|---|---:|---|";
  for (size_t i = 0; i < runs.size(); ++i) m << "---:|";
  m << "\n";
  for (size_t k = 0; k < chosen.size(); ++k) {
    const auto& fam = families()[chosen[k]];
    m << "| " << fam.name << " | "
      << with_commas(o.frames / chosen.size() + (k < o.frames % chosen.size() ? 1 : 0)) << " | "
      << fam.what << " |";
    for (const auto& r : runs) {
      if (k >= r.families.size()) {
        m << " – |";
        continue;
      }
      const auto& s = r.families[k];
      m << " " << with_commas(s.foreign) << " / " << with_commas(s.owned);
      if (s.refused) m << " (+" << s.refused << " refused)";
      if (s.failures) m << " **" << s.failures << " failed**";
      m << " |";
    }
    m << "\n";
  }
  return m.str();
}

// ---- --replay FAMILY:INDEX

int replay(const Options& o, const std::vector<std::pair<std::string, bool>>& targets) {
  const auto colon = o.replay.rfind(':');
  const Family* fam = colon == std::string::npos ? nullptr : find_family(o.replay.substr(0, colon));
  uint64_t index = 0;
  try {
    if (fam) index = std::stoull(o.replay.substr(colon + 1));
  } catch (const std::exception&) {
    fam = nullptr;
  }
  if (!fam) {
    std::cerr << "xdpml_storm: --replay '" << o.replay << "': expected FAMILY:INDEX (see --list)\n";
    return kExitUsage;
  }
  const size_t family = static_cast<size_t>(fam - families().data());
  int rc = kExitOk;
  for (const auto& [name, object] : targets) {
    ProgramRun run;
    auto p = prepare(name, object, o, run);
    if (!p) {
      std::cerr << name << ": " << p.diagnostics().render();
      rc = kExitInputError;
      continue;
    }
    const Frame f = generate(p->layout, o.seed, family, index);
    const Check c = check_frame(p->loaded.fd.get(), p->layout, f, std::string(fam->name) == "ours");
    std::printf("%s: family %s, frame %llu, seed %llu (frame seed %s): %zu bytes, %s by the "
                "reference classifier\n",
                name.c_str(), fam->name, static_cast<unsigned long long>(index),
                static_cast<unsigned long long>(o.seed),
                hex_u64(frame_seed(o.seed, family, index)).c_str(), f.size(),
                c.ours ? "owned" : "foreign");
    std::printf("  in:\n%s", hexdump(f, "    ").c_str());
    if (c.ran)
      std::printf("  out (%s):\n%s", verdict_name(c.retval), hexdump(c.out, "    ").c_str());
    switch (c.outcome) {
    case Outcome::ForeignUntouched:
      std::printf("  ok: passed untouched\n");
      break;
    case Outcome::OwnedProcessed:
      std::printf("  ok: processed, only tag/result written\n");
      break;
    case Outcome::Refused:
      std::printf("  refused by BPF_PROG_TEST_RUN (< 14 bytes)\n");
      break;
    case Outcome::Failed:
      std::printf("  FAIL: %s\n", c.why.c_str());
      rc = 1;
    }
  }
  return rc;
}

// ---- --self-test

int self_test(const Options& o) {
  int rc = kExitOk;
  for (const auto& m : mutants()) {
    ProgramRun run;
    run.name = m.name;
    auto base = build_program(m.base, o.source_dir);
    std::optional<Layout> layout;
    if (base)
      if (auto l = layout_from_contract(base->contract, m.base)) layout = *l;
    Result<Prepared> p = fail("cannot build " + std::string(m.base));
    if (layout)
      if (auto mutant = with_code(*base, m.name, m.source(*layout))) p = prepare(*mutant, run);
    if (!p) {
      std::printf("mutant %s: FAIL: %s", m.name, p.diagnostics().render().c_str());
      rc = 1;
      continue;
    }
    storm(*p, o, run);
    const FamilyStats* expected = nullptr;
    for (const auto& s : run.families)
      if (std::string(families()[s.family].name) == m.family) expected = &s;
    const bool caught = expected && expected->failures > 0;
    std::printf("mutant %s (%s; claims %s's contract): %llu failures, %llu in %s: %s\n", m.name,
                m.bug, m.base, static_cast<unsigned long long>(run.failures()),
                static_cast<unsigned long long>(expected ? expected->failures : 0), m.family,
                caught ? "caught" : "NOT CAUGHT");
    if (caught) std::printf("  first: %s\n", expected->first->why.c_str());
    if (!caught) rc = 1;
  }
  std::printf("%s\n", rc ? "FAILED: the storm missed a wrong program"
                         : "ok: the storm caught every wrong program");
  return rc;
}

int run(const Options& o) {
  if (o.list) {
    std::printf("programs:\n");
    for (const auto& p : builtin_programs()) std::printf("  %-22s %s\n", p.name, p.command);
    std::printf("families:\n");
    for (const auto& f : families()) std::printf("  %-12s %s\n", f.name, f.what);
    return kExitOk;
  }
  for (const auto& n : o.families)
    if (!find_family(n)) {
      std::cerr << "xdpml_storm: unknown family '" << n << "' (see --list)\n";
      return kExitUsage;
    }
  std::vector<std::pair<std::string, bool>> targets; // name, is an object file
  for (const auto& n : o.programs) {
    bool known = false;
    for (const auto& p : builtin_programs()) known |= n == p.name;
    if (!known) {
      std::cerr << "xdpml_storm: unknown program '" << n << "' (see --list)\n";
      return kExitUsage;
    }
    targets.push_back({n, false});
  }
  for (const auto& obj : o.objects) targets.push_back({obj, true});
  if (targets.empty())
    for (const auto& p : builtin_programs()) targets.push_back({p.name, false});
  if (o.frames == 0) {
    std::cerr << "xdpml_storm: --frames must be positive\n";
    return kExitUsage;
  }
  // A storm that cannot reach the kernel has tested nothing: never report it as passed.
  if (!bpf::can_load_programs()) {
    std::cerr << "xdpml_storm: skipped: this process cannot load BPF programs (needs root: "
                 "CAP_BPF and CAP_NET_ADMIN); nothing was tested\n";
    if (const char* code = std::getenv("XDPML_TEST_SKIP_CODE")) return std::atoi(code);
    return kExitSystemError;
  }
  if (o.self_test) return self_test(o);
  if (!o.replay.empty()) return replay(o, targets);
  std::vector<ProgramRun> runs;
  for (const auto& [name, object] : targets) {
    runs.push_back(storm(name, object, o));
    if (!o.json)
      std::fprintf(stderr, "storm: %s done (%.1f s)\n", name.c_str(), runs.back().seconds);
  }
  uint64_t failures = 0;
  for (const auto& r : runs) failures += r.failures();
  if (o.json)
    std::cout << json_text(to_json(runs, o)) << '\n';
  else
    print_text(runs, o);
  if (!o.markdown.empty()) {
    std::ofstream out(o.markdown);
    out << markdown(runs, o);
    if (!out) {
      std::cerr << "xdpml_storm: cannot write " << o.markdown << '\n';
      return kExitInputError;
    }
  }
  return failures ? 1 : kExitOk;
}

} // namespace

} // namespace xdpml::storm

int main(int argc, char** argv) {
  using namespace xdpml::storm;
  Options o;
  for (int i = 0; i < argc; ++i) o.command_line += (i ? " " : "") + std::string(argv[i]);
  if (const auto slash = o.command_line.find_last_of('/', o.command_line.find(' '));
      slash != std::string::npos)
    o.command_line.erase(0, slash + 1); // "xdpml_storm ...", not the build directory
  CLI::App app{"xdpml_storm: malformed and foreign frames through every example program "
               "(BPF_PROG_TEST_RUN); foreign frames must pass untouched"};
  app.add_option("--frames", o.frames, "frames per program, split evenly over the families")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed of every generated frame")->capture_default_str();
  app.add_option("--program", o.programs, "built-in program (repeatable; default: all)");
  app.add_option("--obj", o.objects, "an object compiled by xdpml compile (repeatable)");
  app.add_flag("--strict-align", o.strict_align, "load --obj with BPF_F_STRICT_ALIGNMENT");
  app.add_option("--family", o.families, "only this family (repeatable; default: all)");
  app.add_option("--replay", o.replay, "run frame INDEX of FAMILY alone, with hexdumps")
      ->type_name("FAMILY:INDEX");
  app.add_option("--markdown", o.markdown, "write the results as markdown tables to FILE")
      ->type_name("FILE");
  app.add_option("--source-dir", o.source_dir, "the checkout (for examples/models)")
      ->capture_default_str();
  app.add_flag("--json", o.json, "results as JSON on stdout");
  app.add_flag("--list", o.list, "list the programs and frame families");
  app.add_flag("--self-test", o.self_test,
               "storm deliberately wrong programs instead: each must be caught");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : xdpml::kExitUsage;
  }
  return run(o);
}
