#include "loader/commands.hpp"

#include "loader/library.hpp"
#include "loader/loader.hpp"
#include "support/cli_support.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <sstream>

namespace xdpml::loader {

namespace {

const std::vector<std::string> kModeNames = {"skb", "native", "hw"};

struct LoadArgs {
  std::string device;
  std::string mode;
  bool replace = false;
  std::string section;
  std::string program;
  bool verbose = false;
  bool json = false;
  std::string object;
};

struct UnloadArgs {
  std::string device;
  std::string mode;
  bool verbose = false;
  bool json = false;
};

struct StatusArgs {
  std::string device;
  bool verbose = false;
  bool json = false;
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

int run_load(const LoadArgs& a) {
  LibraryLog log(a.verbose);
  const XdpMode mode = *parse_mode(a.mode);
  auto interface = find_interface(a.device);
  if (!interface) return report_failure(interface.failure(), a.json, kExitSystemError);
  auto object = open_object(a.object, {a.section, a.program}, log);
  if (!object) return report_failure(object.failure(), a.json, kExitInputError);
  if (a.replace)
    if (auto target = check_replace_target(*interface, mode); !target)
      return report_failure(target.failure(), a.json, kExitSystemError);
  if (auto loaded = load_object(*object, *interface, mode, log); !loaded)
    return report_failure(loaded.failure(), a.json, kExitSystemError);
  auto attached = attach_program(*object, *interface, mode, a.replace, log);
  if (!attached) return report_failure(attached.failure(), a.json, kExitSystemError);

  std::vector<std::string> warnings = attached->warnings;
  if (auto recorded =
          remember_attachment(StateStore{}, *interface, mode, *object, attached->program.id);
      !recorded)
    warnings.push_back("attached, but `xdpml status` will not know the object it came from: " +
                       recorded.diagnostics().items().front().message);
  print_warnings(warnings);

  const auto& p = attached->program;
  const std::string mode_text(mode_name(mode));
  if (a.json) {
    nlohmann::json j{{"ok", true},
                     {"ifname", interface->name},
                     {"ifindex", interface->ifindex},
                     {"mode", mode_text},
                     {"id", p.id},
                     {"name", p.name},
                     {"tag", p.tag},
                     {"object", object->absolute_path()},
                     {"section", object->chosen().section},
                     {"program", object->chosen().name}};
    if (attached->replaced_id) j["replaced_id"] = attached->replaced_id;
    if (object->contract().is_object()) j["model"] = object->contract().value("model", "");
    std::cout << j.dump(2) << '\n';
  } else if (attached->replaced_id) {
    std::cout << "replaced '" << attached->replaced_name << "' (id " << attached->replaced_id
              << ") with '" << p.name << "' (id " << p.id << ") on " << interface->name << " in "
              << mode_text << " mode\n";
  } else {
    std::cout << "attached '" << p.name << "' (id " << p.id << ") from " << object->path() << " to "
              << interface->name << " in " << mode_text << " mode\n";
  }
  return kExitOk;
}

// ---- unload ----------------------------------------------------------------------------------

int run_unload(const UnloadArgs& a) {
  LibraryLog log(a.verbose);
  auto interface = find_interface(a.device);
  if (!interface) return report_failure(interface.failure(), a.json, kExitSystemError);
  std::optional<XdpMode> mode;
  if (!a.mode.empty()) mode = parse_mode(a.mode);
  auto detached = detach_programs(*interface, mode, log);
  if (!detached) return report_failure(detached.failure(), a.json, kExitSystemError);
  if (auto forgotten = forget_detached(StateStore{}, *interface); !forgotten)
    print_warnings({forgotten.diagnostics().items().front().message});

  if (a.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& d : *detached) {
      nlohmann::json entry{{"mode", mode_name(d.mode)}, {"id", d.id}, {"name", d.name}};
      if (d.libxdp_dispatcher)
        entry["libxdp_dispatcher"] = {{"components", d.dispatcher_components}};
      list.push_back(entry);
    }
    std::cout << nlohmann::json{{"ok", true},
                                {"ifname", interface->name},
                                {"ifindex", interface->ifindex},
                                {"detached", list}}
                     .dump(2)
              << '\n';
    return kExitOk;
  }
  for (const auto& d : *detached) {
    std::cout << "detached '" << d.name << "' (id " << d.id << ") from " << interface->name << " ("
              << mode_name(d.mode) << " mode)";
    if (d.libxdp_dispatcher && d.dispatcher_components)
      std::cout << ": a libxdp dispatcher with " << d.dispatcher_components << " program(s)";
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
    for (const auto& c : p.dispatcher->components)
      components.push_back({{"id", c.id}, {"name", c.name}, {"run_priority", c.run_priority}});
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
        for (const auto& c : p.dispatcher->components)
          std::cout << "      id " << c.id << " '" << c.name << "', run priority " << c.run_priority
                    << '\n';
      } else {
        std::cout << "    libxdp dispatcher: " << p.dispatcher->note << '\n';
      }
    }
  }
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
  if (a.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : statuses) list.push_back(to_json(s));
    std::cout << nlohmann::json{{"interfaces", list}}.dump(2) << '\n';
    return kExitOk;
  }
  if (statuses.empty()) std::cout << "no XDP programs attached in this network namespace\n";
  for (const auto& s : statuses) print_status(s);
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
                 "atomically replace the program attached in this mode");
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
  unload->add_flag("-v,--verbose", unload_args->verbose, "show libbpf's and libxdp's messages");
  unload->add_flag("--json", unload_args->json, "print the result (or errors) as JSON");
  unload->callback([unload_args, exit_code] { *exit_code = run_unload(*unload_args); });

  auto status_args = std::make_shared<StatusArgs>();
  auto* status =
      app.add_subcommand("status", "Show the XDP programs attached in this network namespace");
  status->add_option("--dev", status_args->device, "only this interface");
  status->add_flag("-v,--verbose", status_args->verbose, "show libbpf's and libxdp's messages");
  status->add_flag("--json", status_args->json, "print as JSON");
  status->callback([status_args, exit_code] { *exit_code = run_status(*status_args); });
}

} // namespace xdpml::loader
