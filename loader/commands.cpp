#include "loader/commands.hpp"

#include "loader/dispatcher.hpp"
#include "loader/library.hpp"
#include "loader/loader.hpp"
#include "support/cli_support.hpp"

#include <CLI/CLI.hpp>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

namespace xdpml::loader {

namespace {

const std::vector<std::string> kModeNames = {"skb", "native", "hw"};

struct LoadArgs {
  std::string device;
  std::string mode;
  bool replace = false;
  bool legacy = false;
  std::optional<unsigned> priority;
  std::string section;
  std::string program;
  bool verbose = false;
  bool json = false;
  std::string object;
};

struct UnloadArgs {
  std::string device;
  std::string mode;
  bool all = false;
  bool verbose = false;
  bool json = false;
};

struct StatusArgs {
  std::string device;
  bool verbose = false;
  bool json = false;
  bool stats = false;
  double interval = 1;
};

void print_warnings(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) std::cerr << "warning: " << w << '\n';
}

std::string contract_summary(const nlohmann::json& contract) {
  if (!contract.is_object()) return {};
  std::ostringstream out;
  out << "model " << contract.value("model", std::string("?"));
  if (contract.contains("layout") && contract["layout"].is_object()) {
    const auto& layout = contract["layout"];
    if (layout.contains("samples") && layout.contains("encoding"))
      out << ", " << layout["samples"].dump() << " x " << layout.value("encoding", "")
          << " at offset " << layout.value("data_offset", 0);
    if (layout.contains("tag_offset"))
      out << ", result tag at offset " << layout.value("tag_offset", 0);
    if (layout.contains("udp_dest_port")) out << ", UDP port " << layout.value("udp_dest_port", 0);
  }
  return out.str();
}

// ---- load ------------------------------------------------------------------------------------

// How `load` attaches: through libxdp's dispatcher where the kernel allows it, else alone.
enum class AttachPath { Dispatcher, Legacy, Offload };

const char* attach_path_name(AttachPath path) {
  switch (path) {
  case AttachPath::Dispatcher:
    return "dispatcher";
  case AttachPath::Legacy:
    return "legacy";
  case AttachPath::Offload:
    return "offload";
  }
  return "?";
}

// The program attached in `mode` is one that is not a libxdp dispatcher (so nothing can be
// added beside it, and --replace means swapping it).
bool plain_program_attached(const Interface& interface, XdpMode mode) {
  auto attachments = query_attachments(interface);
  return attachments && attachments->id(mode) && !dispatcher_components(interface, mode);
}

int run_load(const LoadArgs& a) {
  LibraryLog log(a.verbose);
  const XdpMode mode = *parse_mode(a.mode);
  auto interface = find_interface(a.device);
  if (!interface) return report_failure(interface.failure(), a.json, kExitSystemError);
  auto object = open_object(a.object, {a.section, a.program}, log);
  if (!object) return report_failure(object.failure(), a.json, kExitInputError);

  std::vector<std::string> notes;
  AttachPath path = mode == XdpMode::Hw ? AttachPath::Offload
                    : a.legacy          ? AttachPath::Legacy
                                        : AttachPath::Dispatcher;
  if (path == AttachPath::Offload)
    notes.push_back(std::string("hw mode attaches the program alone: no dispatcher exists for "
                                "offloaded programs") +
                    (a.priority ? ", so --priority has no effect" : ""));
  if (path == AttachPath::Dispatcher) {
    if (auto support = probe_dispatcher_support(); !support) {
      const auto& why = support.diagnostics().items().front();
      notes.push_back("programs cannot share '" + interface->name +
                      "' on this kernel: " + why.message + "; attached alone, as with --legacy");
      path = AttachPath::Legacy;
    } else if (plain_program_attached(*interface, mode)) {
      if (!a.replace)
        return report_failure(
            fail("'" + interface->name + "' has an XDP program in " + std::string(mode_name(mode)) +
                     " mode that is not a libxdp dispatcher, so programs cannot be added beside it",
                 {"<kernel>", 0, 0, 1, "attach"},
                 "unload it first, or attach it through libxdp (xdp-loader); --legacy --replace "
                 "swaps it for this program"),
            a.json, kExitSystemError);
      notes.push_back("the program attached in " + std::string(mode_name(mode)) +
                      " mode is not in a libxdp dispatcher: --replace swaps it alone (--legacy)");
      path = AttachPath::Legacy;
    }
  }
  if (path != AttachPath::Dispatcher && a.replace)
    if (auto target = check_replace_target(*interface, mode); !target)
      return report_failure(target.failure(), a.json, kExitSystemError);
  // The program is verified as XDP first in every path: a rejection then names the model node.
  if (auto loaded = load_object(*object, *interface, mode, log); !loaded)
    return report_failure(loaded.failure(), a.json, kExitSystemError);

  ProgramInfo attached_program;
  uint32_t replaced_id = 0, dispatcher_id = 0;
  unsigned run_priority = 0;
  std::string replaced_name;
  std::vector<std::string> warnings;
  if (path == AttachPath::Dispatcher) {
    auto mounted = ensure_libxdp_bpffs();
    if (!mounted) return report_failure(mounted.failure(), a.json, kExitSystemError);
    if (!mounted->empty()) notes.push_back(*mounted);
    DispatcherAttach request{object->absolute_path(), object->chosen().section,
                             object->chosen().name, a.priority, a.replace};
    auto attached = attach_to_dispatcher(request, *interface, mode, log);
    if (!attached) return report_failure(attached.failure(), a.json, kExitSystemError);
    attached_program = attached->program;
    dispatcher_id = attached->dispatcher_id;
    run_priority = attached->run_priority;
    if (!attached->replaced_ids.empty()) {
      replaced_id = attached->replaced_ids.front();
      replaced_name = object->chosen().name;
    }
    notes.insert(notes.end(), attached->notes.begin(), attached->notes.end());
  } else {
    auto attached = attach_program(*object, *interface, mode, a.replace, log);
    if (!attached) return report_failure(attached.failure(), a.json, kExitSystemError);
    attached_program = attached->program;
    replaced_id = attached->replaced_id;
    replaced_name = attached->replaced_name;
    warnings = attached->warnings;
  }

  if (!object->contract_problem().empty())
    warnings.push_back("ignored the object's I/O contract: " + object->contract_problem());
  if (auto recorded =
          remember_attachment(StateStore{}, *interface, mode, *object, attached_program.id);
      !recorded)
    warnings.push_back("attached, but `xdpml status` will not know the object it came from: " +
                       recorded.diagnostics().items().front().message);
  print_warnings(warnings);

  const auto& p = attached_program;
  const std::string mode_text(mode_name(mode));
  if (a.json) {
    nlohmann::json j{{"ok", true},
                     {"ifname", interface->name},
                     {"ifindex", interface->ifindex},
                     {"mode", mode_text},
                     {"attach", attach_path_name(path)},
                     {"id", p.id},
                     {"name", p.name},
                     {"tag", p.tag},
                     {"object", object->absolute_path()},
                     {"section", object->chosen().section},
                     {"program", object->chosen().name},
                     {"notes", notes}};
    if (path == AttachPath::Dispatcher) {
      j["dispatcher_id"] = dispatcher_id;
      j["run_priority"] = run_priority;
    }
    if (replaced_id) j["replaced_id"] = replaced_id;
    if (object->contract().is_object()) j["model"] = object->contract().value("model", "");
    std::cout << json_text(j) << '\n';
    return kExitOk;
  }
  for (const auto& n : notes) std::cerr << "note: " << n << '\n';
  if (replaced_id)
    std::cout << "replaced '" << replaced_name << "' (id " << replaced_id << ") with '" << p.name
              << "' (id " << p.id << ") on " << interface->name << " in " << mode_text << " mode";
  else
    std::cout << "attached '" << p.name << "' (id " << p.id << ") from " << object->path() << " to "
              << interface->name << " in " << mode_text << " mode";
  if (path == AttachPath::Dispatcher)
    std::cout << ", through libxdp's dispatcher (id " << dispatcher_id << ", run priority "
              << run_priority << ")";
  std::cout << '\n';
  return kExitOk;
}

// ---- unload ----------------------------------------------------------------------------------

int run_unload(const UnloadArgs& a) {
  LibraryLog log(a.verbose);
  auto interface = find_interface(a.device);
  if (!interface) return report_failure(interface.failure(), a.json, kExitSystemError);
  std::optional<XdpMode> mode;
  if (!a.mode.empty()) mode = parse_mode(a.mode);
  // In a dispatcher shared with other programs, only xdpml's own program leaves (unless --all).
  std::optional<DetachedProgram> own;
  if (!a.all)
    for (XdpMode m : {XdpMode::Skb, XdpMode::Native}) {
      if (mode && *mode != m) continue;
      auto removed = detach_own_component(*interface, m, StateStore{}, log);
      if (!removed) return report_failure(removed.failure(), a.json, kExitSystemError);
      if (*removed) own = **removed;
    }
  auto detached = own ? Result<std::vector<DetachedProgram>>(std::vector<DetachedProgram>{*own})
                      : detach_programs(*interface, mode, log);
  if (!detached) return report_failure(detached.failure(), a.json, kExitSystemError);
  if (auto forgotten = forget_detached(StateStore{}, *interface); !forgotten)
    print_warnings({forgotten.diagnostics().items().front().message});

  if (a.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& d : *detached) {
      nlohmann::json entry{{"mode", mode_name(d.mode)}, {"id", d.id}, {"name", d.name}};
      if (d.libxdp_dispatcher)
        entry["libxdp_dispatcher"] = {{"components", d.dispatcher_components}};
      if (d.components_left >= 0) entry["dispatcher_programs_left"] = d.components_left;
      list.push_back(entry);
    }
    std::cout << json_text(nlohmann::json{{"ok", true},
                                          {"ifname", interface->name},
                                          {"ifindex", interface->ifindex},
                                          {"detached", list}})
              << '\n';
    return kExitOk;
  }
  for (const auto& d : *detached) {
    std::cout << "detached '" << d.name << "' (id " << d.id << ") from " << interface->name << " ("
              << mode_name(d.mode) << " mode)";
    if (d.libxdp_dispatcher && d.dispatcher_components)
      std::cout << ": a libxdp dispatcher with " << d.dispatcher_components << " program(s)";
    if (d.components_left >= 0)
      std::cout << ": removed from libxdp's dispatcher; " << d.components_left
                << " other program(s) keep running";
    std::cout << '\n';
  }
  return kExitOk;
}

// ---- status ----------------------------------------------------------------------------------

nlohmann::json to_json(const AttachedProgram& p) {
  nlohmann::json j{{"mode", mode_name(p.mode)}, {"id", p.id}};
  if (p.info) {
    j["name"] = p.info->name;
    j["tag"] = p.info->tag;
    j["xlated_bytes"] = p.info->xlated_bytes;
    j["jited_bytes"] = p.info->jited_bytes;
    j["loaded_at"] = p.info->loaded_at;
    j["map_ids"] = p.info->map_ids;
  } else {
    j["error"] = p.info_error;
  }
  if (p.origin)
    j["origin"] = {{"object", p.origin->object_path},
                   {"section", p.origin->section},
                   {"program", p.origin->program},
                   {"attached_at", p.origin->attached_at},
                   {"contract", p.origin->contract}};
  if (p.dispatcher) {
    nlohmann::json components = nlohmann::json::array();
    for (const auto& c : p.dispatcher->components) {
      nlohmann::json component{{"id", c.id}, {"name", c.name}, {"run_priority", c.run_priority}};
      if (c.origin)
        component["origin"] = {{"object", c.origin->object_path},
                               {"section", c.origin->section},
                               {"program", c.origin->program},
                               {"attached_at", c.origin->attached_at}};
      components.push_back(component);
    }
    j["libxdp_dispatcher"] = {{"components_known", p.dispatcher->components_known},
                              {"components", components}};
    if (!p.dispatcher->note.empty()) j["libxdp_dispatcher"]["note"] = p.dispatcher->note;
  }
  return j;
}

nlohmann::json to_json(const InterfaceStatus& s) {
  nlohmann::json programs = nlohmann::json::array();
  nlohmann::json modes = nlohmann::json::array();
  for (const auto& p : s.programs) {
    programs.push_back(to_json(p));
    modes.push_back(mode_name(p.mode));
  }
  return {{"ifname", s.interface.name},
          {"ifindex", s.interface.ifindex},
          {"modes", modes},
          {"programs", programs}};
}

void print_status(const InterfaceStatus& s) {
  std::cout << s.interface.name << " (ifindex " << s.interface.ifindex << ")";
  if (s.programs.empty()) {
    std::cout << ": no XDP program attached\n";
    return;
  }
  std::cout << '\n';
  for (const auto& p : s.programs) {
    std::cout << "  " << mode_name(p.mode) << ": id " << p.id;
    if (p.info)
      std::cout << " '" << p.info->name << "' tag " << p.info->tag << ", xlated "
                << p.info->xlated_bytes << " B, jited " << p.info->jited_bytes << " B, loaded "
                << (p.info->loaded_at.empty() ? "?" : p.info->loaded_at);
    else
      std::cout << " (" << p.info_error << ")";
    std::cout << '\n';
    if (p.origin) {
      std::cout << "    from " << p.origin->object_path << " (section " << p.origin->section
                << ", program " << p.origin->program << "), attached " << p.origin->attached_at
                << '\n';
      if (const auto summary = contract_summary(p.origin->contract); !summary.empty())
        std::cout << "    contract: " << summary << '\n';
    }
    if (p.dispatcher) {
      if (p.dispatcher->components_known) {
        std::cout << "    libxdp dispatcher with " << p.dispatcher->components.size()
                  << " program(s):\n";
        for (const auto& c : p.dispatcher->components) {
          std::cout << "      id " << c.id << " '" << c.name << "', run priority " << c.run_priority
                    << '\n';
          if (c.origin)
            std::cout << "        from " << c.origin->object_path << " (section "
                      << c.origin->section << ", program " << c.origin->program << "), attached "
                      << c.origin->attached_at << '\n';
        }
      } else {
        std::cout << "    libxdp dispatcher: " << p.dispatcher->note << '\n';
      }
    }
  }
}

// ---- status --stats ---------------------------------------------------------------------------
//
// The kernel counts run_time_ns and run_cnt per program only while kernel.bpf_stats_enabled is
// on (it costs two clock reads per run). BPF_ENABLE_STATS turns it on for as long as the returned
// fd is open, so the setting is restored by the kernel even if we are killed; writing the sysctl
// is the fallback for kernels without it (before 5.8), restored on every way out of the command,
// SIGINT/SIGTERM included (they end the interval early instead of killing the process).

std::atomic<bool> g_stats_stop{false};

void on_stats_signal(int) {
  g_stats_stop.store(true);
}

struct RunCounters {
  uint64_t run_time_ns = 0;
  uint64_t run_cnt = 0;
};

std::optional<RunCounters> read_counters(uint32_t id) {
  const int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0) return std::nullopt;
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  const int err = bpf_obj_get_info_by_fd(fd, &info, &len);
  close(fd);
  if (err) return std::nullopt;
  return RunCounters{info.run_time_ns, info.run_cnt};
}

constexpr const char* kStatsSysctl = "/proc/sys/kernel/bpf_stats_enabled";

// Keeps run-time statistics enabled while alive.
class StatsEnabled {
public:
  static Result<std::unique_ptr<StatsEnabled>> enable() {
    auto s = std::make_unique<StatsEnabled>();
    s->fd_ = bpf_enable_stats(BPF_STATS_RUN_TIME);
    if (s->fd_ >= 0) {
      s->method_ = "BPF_ENABLE_STATS";
      return s;
    }
    const int err = errno;
    if (err == EPERM) return fail("enabling BPF run-time statistics needs root (CAP_SYS_ADMIN)");
    std::ifstream in(kStatsSysctl);
    if (!(in >> s->old_))
      return fail("cannot enable BPF run-time statistics: BPF_ENABLE_STATS failed (" +
                  std::string(strerror(err)) + ") and " + kStatsSysctl + " is not readable");
    s->method_ = "sysctl kernel.bpf_stats_enabled";
    if (s->old_ != "0") return s; // already on: nothing to restore
    if (!write_sysctl("1"))
      return fail(std::string("cannot enable BPF run-time statistics: cannot write ") +
                  kStatsSysctl);
    s->restore_ = true;
    return s;
  }
  ~StatsEnabled() {
    if (fd_ >= 0) close(fd_);
    if (restore_) write_sysctl(old_);
  }
  const std::string& method() const { return method_; }

private:
  static bool write_sysctl(const std::string& value) {
    std::ofstream out(kStatsSysctl);
    out << value << '\n';
    out.close();
    return static_cast<bool>(out);
  }
  int fd_ = -1;
  std::string method_;
  std::string old_;
  bool restore_ = false;
};

struct ProgramStats {
  uint64_t runs = 0;
  uint64_t run_time_ns = 0;
  bool available = false;
  double ns_per_run() const {
    return runs ? static_cast<double>(run_time_ns) / static_cast<double>(runs) : 0.0;
  }
};

struct StatsSample {
  double seconds = 0;
  std::string method;
  std::map<uint32_t, ProgramStats> programs; // by program id
};

Result<StatsSample> sample_stats(const std::vector<uint32_t>& ids, double interval) {
  struct sigaction sa {
  }, old_int{}, old_term{};
  sa.sa_handler = on_stats_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  StatsSample out;
  {
    auto enabled = StatsEnabled::enable();
    if (!enabled) {
      sigaction(SIGINT, &old_int, nullptr);
      sigaction(SIGTERM, &old_term, nullptr);
      return enabled.failure();
    }
    out.method = (*enabled)->method();
    std::map<uint32_t, RunCounters> before;
    for (auto id : ids)
      if (auto c = read_counters(id)) before[id] = *c;
    const auto t0 = std::chrono::steady_clock::now();
    const auto end = t0 + std::chrono::duration<double>(interval);
    while (!g_stats_stop.load() && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (auto id : ids) {
      ProgramStats ps;
      const auto after = read_counters(id);
      if (after && before.count(id)) {
        ps.available = true;
        ps.runs = after->run_cnt - before[id].run_cnt;
        ps.run_time_ns = after->run_time_ns - before[id].run_time_ns;
      }
      out.programs[id] = ps;
    }
  } // statistics off again (or the sysctl restored) before anything is printed
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return out;
}

nlohmann::json stats_json(const ProgramStats& s) {
  if (!s.available) return {{"available", false}};
  return {{"available", true},
          {"runs", s.runs},
          {"run_time_ns", s.run_time_ns},
          {"ns_per_run", s.runs ? nlohmann::json(s.ns_per_run()) : nlohmann::json(nullptr)}};
}

std::string stats_text(const ProgramStats& s, double seconds) {
  if (!s.available) return "statistics unavailable (program gone?)";
  std::ostringstream out;
  out << s.runs << " runs in " << std::fixed << std::setprecision(2) << seconds << " s";
  if (s.runs)
    out << ", " << std::setprecision(1) << s.ns_per_run() << " ns per run";
  else
    out << " (no traffic)";
  return out.str();
}

int run_status(const StatusArgs& a) {
  LibraryLog log(a.verbose);
  std::vector<Interface> interfaces;
  if (!a.device.empty()) {
    auto interface = find_interface(a.device);
    if (!interface) return report_failure(interface.failure(), a.json, kExitSystemError);
    interfaces.push_back(*interface);
  } else {
    auto all = list_interfaces();
    if (!all) return report_failure(all.failure(), a.json, kExitSystemError);
    interfaces = std::move(*all);
  }
  const StateStore store;
  std::vector<InterfaceStatus> statuses;
  for (const auto& interface : interfaces) {
    auto status = interface_status(interface, store, log);
    if (!status) {
      // An interface that vanished while we listed them is not an error for a listing.
      if (a.device.empty()) continue;
      return report_failure(status.failure(), a.json, kExitSystemError);
    }
    // Without --dev, only interfaces with XDP are worth a line.
    if (a.device.empty() && status->programs.empty()) continue;
    statuses.push_back(std::move(*status));
  }
  std::optional<StatsSample> stats;
  if (a.stats) {
    std::vector<uint32_t> ids;
    for (const auto& s : statuses)
      for (const auto& p : s.programs) ids.push_back(p.id);
    auto sample = sample_stats(ids, a.interval);
    if (!sample) return report_failure(sample.failure(), a.json, kExitSystemError);
    stats = std::move(*sample);
  }
  if (a.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : statuses) {
      auto j = to_json(s);
      if (stats)
        for (size_t i = 0; i < s.programs.size(); ++i)
          j["programs"][i]["stats"] = stats_json(stats->programs[s.programs[i].id]);
      list.push_back(j);
    }
    nlohmann::json out{{"interfaces", list}};
    if (stats) out["stats"] = {{"seconds", stats->seconds}, {"method", stats->method}};
    std::cout << json_text(out) << '\n';
    return kExitOk;
  }
  if (statuses.empty()) std::cout << "no XDP programs attached in this network namespace\n";
  for (const auto& s : statuses) {
    print_status(s);
    if (stats)
      for (const auto& p : s.programs)
        std::cout << "    stats (" << mode_name(p.mode) << ", id " << p.id
                  << "): " << stats_text(stats->programs[p.id], stats->seconds) << '\n';
  }
  if (stats)
    std::cout << "run-time statistics over " << std::fixed << std::setprecision(2) << stats->seconds
              << " s, enabled for the interval only (" << stats->method << ")\n";
  return kExitOk;
}

} // namespace

void register_commands(CLI::App& app, int* exit_code) {
  auto load_args = std::make_shared<LoadArgs>();
  auto* load = app.add_subcommand("load", "Load an XDP program from an object and attach it");
  load->add_option("object", load_args->object, "ELF object (from xdpml compile / xdpml asm)")
      ->required();
  load->add_option("--dev", load_args->device, "network interface")->required();
  load->add_option("--mode", load_args->mode, "skb (generic), native (driver) or hw (offload)")
      ->required()
      ->check(CLI::IsMember(kModeNames));
  load->add_flag("--replace", load_args->replace,
                 "atomically replace the program attached in this mode (in a libxdp dispatcher: "
                 "the program of the same name)");
  load->add_flag("--legacy", load_args->legacy,
                 "attach alone through netlink, not through libxdp's multi-program dispatcher");
  load->add_option("--priority", load_args->priority,
                   "run priority in libxdp's dispatcher (lower runs first; default: the "
                   "object's, 50 for xdpml objects)")
      ->check(CLI::Range(0u, 0x7fffffffu));
  load->add_option("--sec", load_args->section, "ELF section of the program to load");
  load->add_option("--prog", load_args->program, "name of the program to load");
  load->add_flag("-v,--verbose", load_args->verbose, "show libbpf's and libxdp's messages");
  load->add_flag("--json", load_args->json, "print the result (or errors) as JSON");
  load->callback([load_args, exit_code] { *exit_code = run_load(*load_args); });

  auto unload_args = std::make_shared<UnloadArgs>();
  auto* unload = app.add_subcommand("unload", "Detach the XDP program(s) of an interface");
  unload->add_option("--dev", unload_args->device, "network interface")->required();
  unload->add_option("--mode", unload_args->mode, "only this mode (default: whatever is attached)")
      ->check(CLI::IsMember(kModeNames));
  unload->add_flag("--all", unload_args->all,
                   "detach a libxdp dispatcher with every program in it (default: only the "
                   "program xdpml attached, when others share the dispatcher)");
  unload->add_flag("-v,--verbose", unload_args->verbose, "show libbpf's and libxdp's messages");
  unload->add_flag("--json", unload_args->json, "print the result (or errors) as JSON");
  unload->callback([unload_args, exit_code] { *exit_code = run_unload(*unload_args); });

  auto status_args = std::make_shared<StatusArgs>();
  auto* status =
      app.add_subcommand("status", "Show the XDP programs attached in this network namespace");
  status->add_option("--dev", status_args->device, "only this interface");
  status->add_flag("-v,--verbose", status_args->verbose, "show libbpf's and libxdp's messages");
  status->add_flag("--json", status_args->json, "print as JSON");
  status->add_flag("--stats", status_args->stats,
                   "sample run time and run count of the attached programs (bpf_stats)");
  status->add_option("--interval", status_args->interval, "seconds to sample for (with --stats)")
      ->check(CLI::Range(0.01, 3600.0))
      ->capture_default_str();
  status->callback([status_args, exit_code] { *exit_code = run_status(*status_args); });
}

} // namespace xdpml::loader
