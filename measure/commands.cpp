// `xdpml bench` (BPF_PROG_TEST_RUN per-packet cost) and `xdpml measure` (rdtscp round trip
// through a veth pair with and without the program).
#include "measure/commands.hpp"

#include "loader/library.hpp"
#include "loader/loader.hpp"
#include "measure/bench.hpp"
#include "measure/machine.hpp"
#include "measure/plot.hpp"
#include "measure/roundtrip.hpp"
#include "packetgen/netdev.hpp"
#include "packetgen/network.hpp"
#include "packetgen/sender.hpp"
#include "packetgen/series.hpp"
#include "packetgen/wire.hpp"
#include "support/cli_support.hpp"
#include "support/cli_validators.hpp"
#include "support/datafile.hpp"
#include "support/stop_signal.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <dirent.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>

namespace xdpml::measure {

namespace {

using packetgen::Encoding;
using packetgen::ModelKind;
using packetgen::Series;
using packetgen::WireFormat;

std::string fixed(double v, int digits = 1) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

// "95%", "99.9%".
std::string percent(double confidence) {
  const double p = confidence * 100;
  return fixed(p, std::abs(p - std::round(p)) < 1e-9 ? 0 : 1) + "%";
}

std::string interval_text(const Interval& i, int digits = 1) {
  return "[" + fixed(i.lo, digits) + ", " + fixed(i.hi, digits) + "]";
}

nlohmann::json interval_json(const Interval& i) {
  return nlohmann::json::array({i.lo, i.hi});
}

// A failure with the exit code it deserves.
struct Stop {
  Failure failure;
  int code;
};

struct WireArgs {
  std::string format, epsilon = "0.1", data;
  uint32_t scale = 16384;
  int column = 0;
};

// An object loaded into the kernel (not attached), with the wire format its packets have.
struct LoadedObject {
  std::string path;
  std::unique_ptr<loader::OpenedObject> object;
  std::vector<std::unique_ptr<loader::OpenedObject>> copies; // further loads of the same object
  WireFormat format;
  bool has_contract = false;
  uint32_t xlated_insns = 0;
  uint32_t jited_bytes = 0;
  std::optional<Series> series;
  std::vector<uint8_t> tags;    // expected (exact reference) per window
  std::vector<int64_t> results; // networks' regressions: the expected result per row
  bool network() const { return format.model == ModelKind::Network; }
  // The window makes the program do its full work: a valid ANOVA window (split or no split);
  // every row of a network.
  bool full_work(size_t w) const {
    return w < tags.size() && (network() ? tags[w] != 0 : tags[w] == 1 || tags[w] == 2);
  }
};

// The data file of ANOVA objects, read once for all of them (networks read feature tables).
struct SeriesData {
  const WireArgs& wire;
  std::optional<std::vector<DataValue>> values;
};

// Loads `path` and builds the packets of its windows: an ANOVA object's sliding windows of the
// data file, a network's rows of the data file as a feature table, or, without --data,
// `random_rows` random rows inside the network's wire ranges.
std::optional<Stop> load_for_measurement(const std::string& path, SeriesData& data,
                                         size_t random_rows, const loader::Interface& interface,
                                         loader::XdpMode mode, loader::LibraryLog& log, int loads,
                                         LoadedObject& out) {
  const WireArgs& w = data.wire;
  out.path = path;
  auto opened = loader::open_object(path, {}, log);
  if (!opened) return Stop{opened.failure(), kExitInputError};
  out.object = std::make_unique<loader::OpenedObject>(std::move(*opened));
  std::optional<packetgen::Network> net;
  if (out.object->contract().is_object()) {
    auto f = packetgen::wire_format_from_contract(out.object->contract(), path);
    if (!f) return Stop{f.failure(), kExitInputError};
    out.format = *f;
    out.has_contract = true;
    if (out.network()) {
      auto n = packetgen::network_from_contract(out.object->contract(), out.format, false);
      if (!n) return Stop{n.failure(), kExitInputError};
      net = std::move(*n);
    }
  } else {
    if (!out.object->contract_problem().empty())
      return Stop{fail(path + ": " + out.object->contract_problem(), {},
                       "recompile the object with `xdpml compile`"),
                  kExitInputError};
    if (w.format.empty())
      return Stop{fail(path + " has no I/O contract, so the packets it expects are unknown", {},
                       "give the 2019 formats' parameters: --format osh-u32|osh-f64 --scale N "
                       "[--epsilon E]"),
                  kExitUsage};
    auto f = packetgen::wire_format_osh(w.format, w.scale, w.epsilon);
    if (!f) return Stop{f.failure(), kExitUsage};
    out.format = *f;
  }
  if (net) {
    if (w.data.empty()) {
      out.series = packetgen::random_network_series(out.format, net->wire_min, net->wire_max,
                                                    std::max<size_t>(random_rows, 1));
    } else {
      auto table = model::read_feature_csv(w.data, out.format.samples);
      if (!table) return Stop{table.failure(), kExitInputError};
      out.series = packetgen::network_series(out.format, net->q, *table);
    }
    auto expected = packetgen::network_expected(*out.series, net->q);
    out.tags = std::move(expected.tags);
    out.results = std::move(expected.results);
  } else {
    if (w.data.empty())
      return Stop{fail(path + " is an ANOVA segmenter: say which series to send with --data FILE",
                       {}, "networks can be measured on random rows; the segmenter needs data"),
                  kExitUsage};
    if (!data.values) {
      auto values = read_data_file(w.data, w.column);
      if (!values) return Stop{values.failure(), kExitInputError};
      data.values = std::move(*values);
    }
    auto series = Series::make(out.format, *data.values, w.data);
    if (!series) return Stop{series.failure(), kExitInputError};
    out.series = std::move(*series);
    auto tags = packetgen::expected_tags(*out.series, packetgen::Reference::Exact);
    if (!tags) return Stop{tags.failure(), kExitInputError};
    out.tags = std::move(tags->tags);
  }
  if (auto st = loader::load_object(*out.object, interface, mode, log); !st)
    return Stop{st.failure(), kExitSystemError};
  for (int k = 1; k < loads; ++k) {
    auto copy = loader::open_object(path, {}, log);
    if (!copy) return Stop{copy.failure(), kExitInputError};
    out.copies.push_back(std::make_unique<loader::OpenedObject>(std::move(*copy)));
    if (auto st = loader::load_object(*out.copies.back(), interface, mode, log); !st)
      return Stop{st.failure(), kExitSystemError};
  }
  auto info = loader::program_info_from_fd(out.object->program_fd());
  if (!info) return Stop{info.failure(), kExitSystemError};
  out.xlated_insns = info->xlated_bytes / 8;
  out.jited_bytes = info->jited_bytes;
  return std::nullopt;
}

// The object's loaded instances: the first load and its copies.
std::vector<const loader::OpenedObject*> instances(const LoadedObject& o) {
  std::vector<const loader::OpenedObject*> v{o.object.get()};
  for (const auto& c : o.copies) v.push_back(c.get());
  return v;
}

// Windows on which every object does its full work (expected tag split or no split, not
// invalid), `n` of them spread evenly over the data (cycled when there are fewer). Networks do
// their full work on every row: the first n rows (cycled).
std::vector<uint64_t> full_work_windows(const std::vector<LoadedObject>& objects, size_t n) {
  std::vector<uint64_t> valid;
  const size_t windows = objects.front().tags.size();
  for (size_t w = 0; w < windows; ++w) {
    bool all = true;
    for (const auto& o : objects)
      if (!o.full_work(w)) all = false;
    if (all) valid.push_back(w);
  }
  if (valid.empty()) return {};
  std::vector<uint64_t> out;
  if (objects.front().network()) {
    for (size_t r = 0; r < n; ++r) out.push_back(valid[r % valid.size()]);
    return out;
  }
  for (size_t r = 0; r < n; ++r) out.push_back(valid[(r * valid.size()) / n % valid.size()]);
  return out;
}

std::string format_name(const WireFormat& f) {
  if (f.model == ModelKind::Network) return "network";
  return f.encoding == Encoding::U32 ? "osh-u32" : "osh-f64";
}

void add_wire_options(CLI::App* c, WireArgs& w) {
  c->add_option("--data", w.data,
                "data file: one value per line, or CSV with --column; for networks a feature "
                "table (without it: random rows inside the contract's wire ranges)");
  c->add_option("--column", w.column, "CSV column (0-based)")
      ->check(non_negative_number())
      ->capture_default_str();
  c->add_option("--format", w.format, "wire format of objects without an I/O contract")
      ->check(CLI::IsMember({"osh-u32", "osh-f64"}));
  c->add_option("--scale", w.scale, "integerization factor (with --format)")
      ->check(CLI::Range(1u, 0xffffffffu))
      ->capture_default_str();
  c->add_option("--epsilon", w.epsilon, "Chebyshev epsilon (with --format)")->capture_default_str();
}

// ---- bench -----------------------------------------------------------------------------------

struct BenchArgs {
  std::vector<std::string> objects;
  WireArgs wire;
  int runs = 31;
  int loads = 8;
  double run_ms = 4;
  int cpu = -1;
  double confidence = 0.95;
  bool json = false;
};

nlohmann::json bench_json(const BenchArgs& a, const BenchResult& r, const MachineInfo& m, int cpu,
                          const std::vector<LoadedObject>& objects,
                          const std::vector<uint64_t>& windows) {
  nlohmann::json programs = nlohmann::json::array();
  for (size_t i = 0; i < r.targets.size(); ++i) {
    const auto& t = r.targets[i];
    nlohmann::json p{{"object", t.name},
                     {"format", format_name(objects[i].format)},
                     {"contract", objects[i].has_contract},
                     {"xlated_insns", t.xlated_insns},
                     {"jited_bytes", t.jited_bytes},
                     {"repeat", t.repeat},
                     {"ns", t.median},
                     {"ns_ci", interval_json(t.ci)},
                     {"net_ns", t.net_median},
                     {"net_ns_ci", interval_json(t.net_ci)},
                     {"naive_repeat_ns", t.naive_ns},
                     {"runs_checked", t.checked},
                     {"runs_ok", t.tags_ok},
                     {"mismatches", t.mismatches},
                     {"tags", objects[i].network()
                                  ? nlohmann::json{{"0", t.tag_counts[0]},
                                                   {"1", t.tag_counts[1]},
                                                   {"2", t.tag_counts[2]},
                                                   {"3", t.tag_counts[3]},
                                                   {"other", t.tag_counts[4]}}
                                  : nlohmann::json{{"unprocessed", t.tag_counts[0]},
                                                   {"split", t.tag_counts[1]},
                                                   {"no_split", t.tag_counts[2]},
                                                   {"invalid", t.tag_counts[3]},
                                                   {"other", t.tag_counts[4]}}},
                     {"samples_ns", t.ns},
                     {"samples_net_ns", t.net}};
    if (i == 0) {
      p["ratio"] = 1.0;
    } else if (t.ratio) {
      p["ratio"] = *t.ratio;
      p["ratio_ci"] = interval_json(t.ratio_ci);
    } else {
      p["ratio"] = nullptr;
    }
    programs.push_back(p);
  }
  const nlohmann::json data =
      a.wire.data.empty() ? nlohmann::json("random rows") : nlohmann::json(a.wire.data);
  return {{"ok", r.tags_ok()},
          {"machine", m.to_json()},
          {"cpu", cpu},
          {"data", data},
          {"windows", windows},
          {"runs", r.runs},
          {"loads", a.loads},
          {"confidence", a.confidence},
          {"method", "BPF_PROG_TEST_RUN with repeat; each repeat runs the program 32 times "
                     "through a wrapper that zeroes the tag and tail-calls it; kernel test timer; "
                     "net = wrapped program - wrapped empty program, per interleaved round"},
          {"runs_per_repeat", kRunsPerRepeat},
          {"floor",
           {{"ns", r.floor_median},
            {"ns_ci", interval_json(r.floor_ci)},
            {"repeat", r.floor_repeat},
            {"wrapper_insns", r.wrapper_insns},
            {"samples_ns", r.floor_ns}}},
          {"programs", programs}};
}

void print_bench(std::ostream& out, const BenchArgs& a, const BenchResult& r, const MachineInfo& m,
                 int cpu, const std::vector<uint64_t>& windows, size_t total_windows,
                 bool networks) {
  out << "bench: " << r.runs << " interleaved runs per program (rotating over " << a.loads
      << " loaded copies of each) on ";
  if (!networks)
    out << windows.size() << " windows of " << a.wire.data << " (of " << total_windows
        << ", each one doing the full work)";
  else if (a.wire.data.empty())
    out << windows.size() << " random rows inside the contracts' wire ranges";
  else
    out << windows.size() << " rows of " << a.wire.data << " (the first "
        << std::min(windows.size(), total_windows) << " of " << total_windows << ")";
  out << "; " << percent(a.confidence) << " confidence intervals\n";
  out << "  machine  " << m.describe() << "; pinned to CPU " << cpu << "\n";
  out << "  floor    " << fixed(r.floor_median, 2) << " ns/packet " << interval_text(r.floor_ci, 2)
      << ": the wrapper (call, zero the tag, tail call; " << kRunsPerRepeat
      << " runs per repeat) around an empty program\n";
  size_t width = 7;
  for (const auto& t : r.targets) width = std::max(width, t.name.size());
  out << "  " << std::left << std::setw(static_cast<int>(width)) << "program" << std::right
      << "  insns  jited  " << std::setw(24) << "ns/packet"
      << "  " << std::setw(24) << "net ns"
      << "  ratio\n";
  for (size_t i = 0; i < r.targets.size(); ++i) {
    const auto& t = r.targets[i];
    out << "  " << std::left << std::setw(static_cast<int>(width)) << t.name << std::right << "  "
        << std::setw(5) << t.xlated_insns << "  " << std::setw(5) << t.jited_bytes << "  "
        << std::setw(24) << (fixed(t.median, 2) + " " + interval_text(t.ci, 2)) << "  "
        << std::setw(24) << (fixed(t.net_median, 2) + " " + interval_text(t.net_ci, 2)) << "  ";
    if (i == 0)
      out << "1";
    else if (t.ratio)
      out << fixed(*t.ratio, 3) << " " << interval_text(t.ratio_ci, 3);
    else
      out << "-";
    out << '\n';
  }
  out << "  naive    the program alone with repeat (it sees its own tag from the 2nd repeat on, "
         "so this is its early exit plus the test loop):";
  for (const auto& t : r.targets) out << ' ' << fixed(t.naive_ns, 0) << " ns";
  out << "; not used\n";
  for (const auto& t : r.targets) {
    if (t.tags_ok == t.checked && t.mismatches.empty()) {
      out << "  tags     " << t.name << ": " << t.tags_ok << "/" << t.checked
          << (networks ? " timed runs left the reference's output (full work)\n"
                       : " timed runs left the expected tag (full work)\n");
      continue;
    }
    out << "  FAIL     " << t.name << ": " << (t.checked - t.tags_ok) << " of " << t.checked
        << " timed runs left a wrong packet\n";
    for (const auto& m : t.mismatches) out << "             " << m << '\n';
  }
}

int run_bench_command(const BenchArgs& a) {
  if (a.runs < 3)
    return report_failure(fail("--runs must be at least 3 (a median with an interval)"), a.json,
                          kExitUsage);
  loader::LibraryLog log(false);
  SeriesData data{a.wire, std::nullopt};
  std::vector<LoadedObject> objects(a.objects.size());
  for (size_t i = 0; i < a.objects.size(); ++i)
    if (auto stop = load_for_measurement(a.objects[i], data, static_cast<size_t>(a.runs),
                                         loader::Interface{}, loader::XdpMode::Skb, log, a.loads,
                                         objects[i]))
      return report_failure(stop->failure, a.json, stop->code);
  for (const auto& o : objects)
    if (o.network() != objects[0].network())
      return report_failure(fail("a network (" + (o.network() ? o.path : objects[0].path) +
                                     ") and an ANOVA segmenter (" +
                                     (o.network() ? objects[0].path : o.path) +
                                     ") read different data files",
                                 {}, "bench them separately"),
                            a.json, kExitUsage);
  for (const auto& o : objects)
    if (o.format.tag_offset != objects[0].format.tag_offset)
      return report_failure(fail("the objects write their tags at different offsets (" +
                                     std::to_string(objects[0].format.tag_offset) + " in " +
                                     objects[0].path + ", " + std::to_string(o.format.tag_offset) +
                                     " in " + o.path + ")",
                                 {}, "bench them separately"),
                            a.json, kExitUsage);
  const auto windows = full_work_windows(objects, static_cast<size_t>(a.runs));
  if (windows.empty())
    return report_failure(fail("no window of " + a.wire.data +
                                   " makes every program do its full work (all are invalid)",
                               {}, "use data whose windows are valid (sum of A below 2^30)"),
                          a.json, kExitInputError);
  auto cpu = pin_to_cpu(a.cpu);
  if (!cpu) return report_failure(cpu.failure(), a.json, kExitSystemError);

  std::vector<BenchTarget> targets;
  for (const auto& o : objects) {
    BenchTarget t;
    t.name = o.path;
    for (const auto* inst : instances(o)) t.fds.push_back(inst->program_fd());
    t.xlated_insns = o.xlated_insns;
    t.jited_bytes = o.jited_bytes;
    packetgen::Endpoints ep;
    for (uint64_t w : windows) {
      t.packets.push_back(packetgen::build_frame(o.format, ep, o.series->window_bytes(w), w));
      t.windows.push_back(w);
      t.expected_tag.push_back(o.tags[w]);
      t.expected_result.push_back(o.results.empty() ? std::nullopt
                                                    : std::optional<int64_t>(o.results[w]));
    }
    targets.push_back(std::move(t));
  }
  BenchOptions bo;
  bo.runs = a.runs;
  bo.floor_loads = a.loads;
  bo.run_ms = a.run_ms;
  bo.confidence = a.confidence;
  bo.tag_offset = objects[0].format.tag_offset;
  bo.tag_bytes = 8;
  bo.result_offset = objects[0].format.result_offset;
  bo.progress = !a.json && isatty(STDERR_FILENO);
  auto r = run_bench(targets, bo);
  if (!r) return report_failure(r.failure(), a.json, kExitSystemError);
  const auto machine = machine_info();
  if (a.json)
    std::cout << json_text(bench_json(a, *r, machine, *cpu, objects, windows)) << '\n';
  else
    print_bench(std::cout, a, *r, machine, *cpu, windows, objects[0].tags.size(),
                objects[0].network());
  return r->tags_ok() ? kExitOk : kExitMismatch;
}

// ---- measure ---------------------------------------------------------------------------------

struct MeasureArgs {
  std::string tx, rx, obj, baseline, mode = "skb";
  std::string sender = "auto"; // how frames leave tx (packetgen/sender.hpp)
  WireArgs wire;
  uint64_t count = 20000;
  uint32_t batch = 100;
  uint32_t warmup = 16;
  int loads = 4;
  int cpu = -1;
  double confidence = 0.95;
  std::string plot, csv;
  bool no_tag_check = false;
  bool json = false;
};

// The network namespace we run in must be a testbed (a name under /run/netns starting with
// xdpml-): `measure` sends frames, and must never send them on a real network.
Result<std::string> testbed_namespace() {
  struct stat self {};
  if (stat("/proc/self/ns/net", &self) != 0)
    return fail("cannot tell which network namespace this is (/proc/self/ns/net)");
  DIR* dir = opendir("/run/netns");
  if (dir) {
    std::string found;
    while (dirent* e = readdir(dir)) {
      const std::string name = e->d_name;
      if (!name.starts_with("xdpml-")) continue;
      struct stat st {};
      if (stat(("/run/netns/" + name).c_str(), &st) == 0 && st.st_ino == self.st_ino &&
          st.st_dev == self.st_dev) {
        found = name;
        break;
      }
    }
    closedir(dir);
    if (!found.empty()) return found;
  }
  return fail("xdpml measure sends frames and runs only inside a testbed network namespace "
              "(one named xdpml-*)",
              {},
              "xdpml testbed up --name xdpml-tb; ip netns exec xdpml-tb xdpml measure --tx "
              "tb-tx --rx tb-rx ...");
}

std::string csv_of(const RoundTripResult& r) {
  std::ostringstream out;
  out << "batch,condition,window,cycles,ns,tag,tag_ok\n";
  for (const auto& s : r.samples)
    out << s.batch << ',' << (s.with ? "with" : "without") << ',' << s.window << ',' << s.cycles
        << ',' << fixed(s.ns, 1) << ',' << s.tag << ',' << (s.tag_ok ? 1 : 0) << '\n';
  return out.str();
}

nlohmann::json summary_json(const Summary& s) {
  return {{"n", s.n}, {"min", s.min}, {"median", s.median}, {"p99", s.p99}, {"max", s.max}};
}

nlohmann::json difference_json(const Difference& d) {
  return {{"value", d.value}, {"ci", interval_json(d.ci)}, {"resolved", d.resolved()}};
}

std::string verdict(const RoundTripResult& r, double confidence, bool baseline) {
  const auto& d = r.d_median;
  const std::string what = baseline ? "the program's cost over the baseline"
                                    : "the program's cost plus the attach overhead";
  std::ostringstream s;
  if (!d.resolved()) {
    s << "cannot resolve a difference: the median round trip changes by " << fixed(d.value, 1)
      << " ns, but its " << percent(confidence) << " confidence interval " << interval_text(d.ci)
      << " ns includes 0";
    return s.str();
  }
  s << what << ": " << fixed(d.value, 1) << " ns per round trip at the median ("
    << percent(confidence) << " CI " << interval_text(d.ci) << " ns)";
  return s.str();
}

int run_measure_command(const MeasureArgs& a) {
  stop_on_sigint_and_sigterm();
  auto ns = testbed_namespace();
  if (!ns) return report_failure(ns.failure(), a.json, kExitSystemError);
  const auto mode = loader::parse_mode(a.mode);
  if (!mode || *mode == loader::XdpMode::Hw)
    return report_failure(fail("--mode must be skb or native"), a.json, kExitUsage);
  if (a.batch == 0 || a.count < 2ull * a.batch)
    return report_failure(fail("--count must hold at least two batches (2 x --batch)"), a.json,
                          kExitUsage);
  auto rx_if = loader::find_interface(a.rx);
  if (!rx_if) return report_failure(rx_if.failure(), a.json, kExitSystemError);
  auto present = loader::query_attachments(*rx_if);
  if (!present) return report_failure(present.failure(), a.json, kExitSystemError);
  if (present->any())
    return report_failure(fail(a.rx + " already has an XDP program attached", {},
                               "measure attaches and detaches its own programs: unload it first "
                               "(xdpml unload --dev " +
                                   a.rx + ")"),
                          a.json, kExitSystemError);
  auto cpu = pin_to_cpu(a.cpu);
  if (!cpu) return report_failure(cpu.failure(), a.json, kExitSystemError);
  auto tsc = calibrate_tsc(0.1);
  if (!tsc) return report_failure(tsc.failure(), a.json, kExitSystemError);

  loader::LibraryLog log(false);
  // The program itself as its baseline is an A/A run: both conditions are the same attached
  // program, so any difference is noise, and the method must report it as unresolved.
  std::error_code ec;
  const bool self_baseline =
      !a.baseline.empty() && std::filesystem::equivalent(a.obj, a.baseline, ec);
  const bool has_baseline = !a.baseline.empty();
  std::vector<LoadedObject> objects(has_baseline && !self_baseline ? 2 : 1);
  SeriesData data{a.wire, std::nullopt};
  if (auto stop = load_for_measurement(a.obj, data, 1000, *rx_if, *mode, log, a.loads, objects[0]))
    return report_failure(stop->failure, a.json, stop->code);
  if (objects.size() == 2)
    if (auto stop =
            load_for_measurement(a.baseline, data, 1000, *rx_if, *mode, log, a.loads, objects[1]))
      return report_failure(stop->failure, a.json, stop->code);
  const auto& main = objects[0];
  // Only the program under test decides which windows make it do its full work.
  std::vector<uint64_t> valid;
  for (size_t w = 0; w < main.tags.size(); ++w)
    if (main.full_work(w)) valid.push_back(w);
  if (valid.empty())
    return report_failure(fail("no window of " + a.wire.data +
                               " makes the program do its full work (all are invalid)"),
                          a.json, kExitInputError);

  auto rx = packetgen::RawSocket::open_rx(a.rx, main.format);
  if (!rx) return report_failure(rx.failure(), a.json, kExitSystemError);
  const auto kind = packetgen::parse_sender_kind(a.sender);
  if (!kind) return report_failure(fail("unknown sender '" + a.sender + "'"), a.json, kExitUsage);
  auto opened = packetgen::open_sender(a.tx, *kind, 1);
  if (!opened) return report_failure(opened.failure(), a.json, kExitSystemError);
  if (!a.json)
    for (const auto& n : opened->notes) std::cerr << "note: " << n << '\n';
  packetgen::FrameSender& tx = *opened->sender;
  packetgen::Endpoints ep;
  ep.src_mac = tx.mac();
  ep.dst_mac = rx->mac();
  std::vector<RoundTripFrame> frames;
  // Up to 1000 windows spread over the data: varied, but few enough to stay in the cache.
  const size_t n = std::min<size_t>(valid.size(), 1000);
  for (size_t k = 0; k < n; ++k) {
    const uint64_t w = valid[k * valid.size() / n];
    std::optional<uint64_t> tag;
    std::optional<int64_t> result;
    if (!a.no_tag_check) tag = main.tags[w];
    if (!a.no_tag_check && !main.results.empty()) result = main.results[w];
    frames.push_back(
        {packetgen::build_frame(main.format, ep, main.series->window_bytes(w), w), w, tag, result});
  }

  // Attach/detach (or replace) per batch; whatever we attached is detached at the end, also
  // after an error or a signal.
  struct Attached {
    const loader::Interface& interface;
    loader::XdpMode mode;
    loader::LibraryLog& log;
    bool any = false;
    ~Attached() {
      if (any) (void)loader::detach_programs(interface, mode, log);
    }
  } attached{*rx_if, *mode, log};
  // Pair k of batches uses loaded copy k % --loads of each program (JIT placement varies
  // between copies; rotating puts that into the intervals), so every batch follows a switch.
  // With the program as its own baseline nothing is ever switched: one copy, an exact A/A (a
  // switch only at the start of each pair made the second batch of every pair ~8 ns slower
  // and biased the A/A).
  auto main_copies = instances(objects[0]);
  if (self_baseline) main_copies.resize(1);
  const auto base_copies = objects.size() == 2 ? instances(objects[1]) : main_copies;
  const loader::OpenedObject* current = nullptr; // attached now
  SwitchFn switch_to = [&](bool with, uint32_t pair) -> Status {
    const loader::OpenedObject* want = nullptr;
    if (with || self_baseline)
      want = main_copies[pair % main_copies.size()];
    else if (has_baseline)
      want = base_copies[pair % base_copies.size()];
    if (want == current) return ok_status();
    if (!want) {
      auto d = loader::detach_programs(*rx_if, *mode, log);
      if (!d) return d.failure();
      attached.any = false;
    } else {
      auto r = loader::attach_program(*want, *rx_if, *mode, attached.any, log);
      if (!r) return r.failure();
      attached.any = true;
    }
    current = want;
    return ok_status();
  };

  RoundTripOptions ro;
  ro.count = a.count;
  ro.batch = a.batch;
  ro.warmup = a.warmup;
  ro.confidence = a.confidence;
  ro.progress = !a.json && isatty(STDERR_FILENO);
  ro.stop = &stop_requested();
  ro.seed = std::random_device{}();
  auto r = run_round_trips(tx, *rx, main.format, frames, switch_to, *tsc, ro);
  if (attached.any) {
    if (auto d = loader::detach_programs(*rx_if, *mode, log); !d)
      return report_failure(d.failure(), a.json, kExitSystemError);
    attached.any = false;
  }
  if (!r) return report_failure(r.failure(), a.json, kExitSystemError);
  if (r->samples.empty())
    return report_failure(fail("no frame came back from " + a.tx + " to " + a.rx, {},
                               "check that they are the two ends of one veth pair"),
                          a.json, kExitSystemError);

  const auto machine = machine_info();
  std::vector<double> with_ns, without_ns;
  for (const auto& s : r->samples) (s.with ? with_ns : without_ns).push_back(s.ns);
  if (!a.plot.empty()) {
    HistogramOptions ho;
    ho.title = "xdpml measure: " + a.tx + " -> " + a.rx + " round trip, " + a.mode + " mode";
    ho.subtitle = machine.describe();
    ho.quantum = static_cast<double>(r->tsc_step_ticks) * 1e9 / r->tsc.hz;
    auto name = [](const std::string& path) {
      return std::filesystem::path(path).filename().string();
    };
    const std::string base = has_baseline ? "baseline " + name(a.baseline) : "no program";
    auto svg = histogram_svg(
        {{base, "#1f77b4", without_ns}, {"with " + name(a.obj), "#d62728", with_ns}}, ho);
    if (auto st = write_text_file(a.plot, svg); !st)
      return report_failure(st.failure(), a.json, kExitInputError);
  }
  if (!a.csv.empty())
    if (auto st = write_text_file(a.csv, csv_of(*r)); !st)
      return report_failure(st.failure(), a.json, kExitInputError);

  const bool tags_ok = r->with_tag_ok == r->with_checked;
  if (a.json) {
    nlohmann::json j{
        {"ok", tags_ok},
        {"netns", *ns},
        {"tx", a.tx},
        {"rx", a.rx},
        {"mode", a.mode},
        {"sender", {{"path", tx.path()}, {"mode", tx.mode()}, {"notes", opened->notes}}},
        {"object", a.obj},
        {"xlated_insns", main.xlated_insns},
        {"baseline", has_baseline ? nlohmann::json(a.baseline) : nlohmann::json(nullptr)},
        {"data", a.wire.data},
        {"machine", machine.to_json()},
        {"cpu", *cpu},
        {"tsc", r->tsc.to_json()},
        {"tsc_step_ticks", r->tsc_step_ticks},
        {"tsc_step_ns", static_cast<double>(r->tsc_step_ticks) * 1e9 / r->tsc.hz},
        {"self_baseline", self_baseline},
        {"batches", r->batches},
        {"batch", a.batch},
        {"warmup", a.warmup},
        {"loads", a.loads},
        {"order_seed", ro.seed},
        {"lost", r->lost},
        {"interrupted", r->interrupted},
        {"confidence", a.confidence},
        {"with", summary_json(r->with)},
        {"without", summary_json(r->without)},
        {"difference",
         {{"min", difference_json(r->d_min)},
          {"median", difference_json(r->d_median)},
          {"p99", difference_json(r->d_p99)}}},
        {"resolved", r->d_median.resolved()},
        {"verdict", verdict(*r, a.confidence, has_baseline)},
        {"tags",
         {{"checked", a.no_tag_check ? 0 : r->with_checked},
          {"ok", r->with_tag_ok},
          {"unprocessed", r->with_unprocessed},
          {"mismatches", r->mismatches}}}};
    if (!a.plot.empty()) j["plot"] = a.plot;
    if (!a.csv.empty()) j["csv"] = a.csv;
    std::cout << json_text(j) << '\n';
  } else {
    auto& out = std::cout;
    out << "measure: " << r->samples.size() << " round trips " << a.tx << " -> " << a.rx << " ("
        << *ns << "), " << r->batches << " alternating batches of " << a.batch << ", " << a.mode
        << " mode, pinned to CPU " << *cpu << "\n";
    out << "  program   " << a.obj << " (" << main.xlated_insns << " insns), "
        << (self_baseline  ? "against itself (A/A: the difference is noise)"
            : has_baseline ? "baseline " + a.baseline
                           : "against no program attached")
        << "\n";
    out << "  machine   " << machine.describe() << "\n";
    out << "  sender    " << tx.path() << " (" << tx.mode() << ") on " << a.tx << "\n";
    out << "  TSC       " << fixed(r->tsc.hz / 1e6, 1) << " MHz (" << r->tsc.source << " over "
        << fixed(r->tsc.seconds, 2) << " s)";
    if (r->tsc_step_ticks > 1)
      out << ", advancing in steps of " << r->tsc_step_ticks << " ticks ("
          << fixed(static_cast<double>(r->tsc_step_ticks) * 1e9 / r->tsc.hz, 1)
          << " ns): quantiles are interpolated within a step";
    out << "\n";
    out << "  ns             " << std::setw(10) << "min" << std::setw(10) << "median"
        << std::setw(10) << "p99"
        << "\n";
    auto row = [&](const char* name, const Summary& s) {
      out << "  " << std::left << std::setw(13) << name << std::right << std::setw(10)
          << fixed(s.min) << std::setw(10) << fixed(s.median) << std::setw(10) << fixed(s.p99)
          << "   (" << s.n << " frames)\n";
    };
    row(has_baseline ? "baseline" : "without", r->without);
    row("with", r->with);
    out << "  difference   " << std::setw(10) << fixed(r->d_min.value) << std::setw(10)
        << fixed(r->d_median.value) << std::setw(10) << fixed(r->d_p99.value) << "\n";
    out << "  " << std::left << std::setw(13) << (percent(a.confidence) + " CI") << std::right
        << "min " << interval_text(r->d_min.ci) << ", median " << interval_text(r->d_median.ci)
        << ", p99 " << interval_text(r->d_p99.ci) << " (bootstrap over " << r->batches / 2
        << " batch pairs)\n";
    out << "  result    " << verdict(*r, a.confidence, has_baseline) << "\n";
    if (r->lost) out << "  note      " << r->lost << " frames did not come back within 1 s\n";
    if (r->interrupted) out << "  note      interrupted: figures from the batches done\n";
    if (a.no_tag_check)
      out << "  tags      not checked (--no-tag-check): " << r->with_unprocessed << " of "
          << r->with_checked << " frames with the program came back with tag 0\n";
    else if (tags_ok)
      out << "  tags      " << r->with_tag_ok << "/" << r->with_checked
          << " frames with the program carried the expected tag (full work)\n";
    else {
      out << "  FAIL      " << (r->with_checked - r->with_tag_ok) << " of " << r->with_checked
          << " frames with the program carried a wrong tag (" << r->with_unprocessed
          << " untouched)\n";
      for (const auto& m : r->mismatches) out << "            " << m << '\n';
    }
  }
  return tags_ok ? kExitOk : kExitMismatch;
}

} // namespace

void register_commands(CLI::App& app, int* exit_code) {
  auto ba = std::make_shared<BenchArgs>();
  auto* bench = app.add_subcommand(
      "bench", "Per-packet cost of XDP programs with BPF_PROG_TEST_RUN (real compute path)");
  bench->add_option("objects", ba->objects, "objects to measure; ratios are against the first")
      ->required();
  add_wire_options(bench, ba->wire);
  bench->add_option("--runs", ba->runs, "timed runs per program")
      ->check(CLI::Range(3, 100000))
      ->capture_default_str();
  bench
      ->add_option("--loads", ba->loads,
                   "separately loaded copies of each program, used in turn (JIT placement varies)")
      ->check(CLI::Range(1, 32))
      ->capture_default_str();
  bench->add_option("--run-ms", ba->run_ms, "duration of one timed run (sets the repeat count)")
      ->check(CLI::Range(0.1, 1000.0))
      ->capture_default_str();
  bench->add_option("--cpu", ba->cpu, "CPU to pin to (default: the one it starts on)");
  bench->add_option("--confidence", ba->confidence, "level of the confidence intervals")
      ->check(CLI::Range(0.5, 0.999))
      ->capture_default_str();
  bench->add_flag("--json", ba->json, "print the result (or errors) as JSON");
  bench->callback([ba, exit_code] { *exit_code = run_bench_command(*ba); });

  auto ma = std::make_shared<MeasureArgs>();
  auto* measure = app.add_subcommand(
      "measure", "rdtscp round trip through a veth pair, with and without the program attached");
  measure->add_option("--tx", ma->tx, "device to send on")->required();
  measure->add_option("--rx", ma->rx, "device the program is attached to")->required();
  measure->add_option("--obj", ma->obj, "the program (object) to measure")->required();
  measure->add_option("--baseline", ma->baseline,
                      "attach this object instead of nothing in the batches without the program");
  add_wire_options(measure, ma->wire);
  measure->add_option("--count", ma->count, "timed frames, both conditions together")
      ->check(positive_number())
      ->capture_default_str();
  measure->add_option("--batch", ma->batch, "frames per batch")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  measure->add_option("--warmup", ma->warmup, "untimed frames after each switch")
      ->capture_default_str();
  measure
      ->add_option("--loads", ma->loads,
                   "separately loaded copies of each program, one per batch pair in turn")
      ->check(CLI::Range(1, 32))
      ->capture_default_str();
  measure->add_option("--mode", ma->mode, "attach mode")
      ->check(CLI::IsMember({"skb", "native"}))
      ->capture_default_str();
  measure->add_option("--cpu", ma->cpu, "CPU to pin to (default: the one it starts on)");
  measure
      ->add_option("--sender", ma->sender,
                   "how frames leave --tx: AF_XDP where the device takes it, else AF_PACKET "
                   "(auto), or only one of them")
      ->check(CLI::IsMember({"auto", "af_xdp", "af_packet"}))
      ->capture_default_str();
  measure->add_option("--confidence", ma->confidence, "level of the confidence intervals")
      ->check(CLI::Range(0.5, 0.999))
      ->capture_default_str();
  measure->add_flag("--no-tag-check", ma->no_tag_check,
                    "do not require the expected tag in frames (for programs that do not write "
                    "it, e.g. an empty pass program)");
  measure->add_option("--plot", ma->plot, "write a latency histogram (SVG)");
  measure->add_option("--csv", ma->csv, "write the raw samples (CSV)");
  measure->add_flag("--json", ma->json, "print the result (or errors) as JSON");
  measure->callback([ma, exit_code] { *exit_code = run_measure_command(*ma); });
}

} // namespace xdpml::measure
