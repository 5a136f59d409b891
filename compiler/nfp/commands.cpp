#include "compiler/nfp/commands.hpp"

#include "bpf/elf.hpp"
#include "support/cli_support.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace xdpml::nfp {

namespace {

struct CheckArgs {
  std::string input;
  std::string target;
  bool json = false;
  ProfileArgs profile;
};

int run_check(const CheckArgs& a) {
  auto profile = make_profile(a.profile);
  if (!profile) return report_failure(profile.failure(), a.json, kExitUsage);
  auto object = bpf::read_elf_file(a.input);
  if (!object) return report_failure(object.failure(), a.json);
  auto report = check_nfp(*object, *profile, forced_prog_type(a.profile));
  if (!report) return report_failure(report.failure(), a.json);
  if (a.json)
    std::cout << json_text(render_json(*report, a.input, *profile)) << '\n';
  else
    std::cout << render_text(*report, a.input);
  return report->passed() ? kExitOk : kExitInputError;
}

} // namespace

void add_profile_options(CLI::App& app, ProfileArgs& p) {
  app.add_option("--nfp-max-insns", p.max_insns,
                 "NFP instruction budget (FW BPF_MAX_LEN; default 2800)");
  app.add_option("--nfp-stack", p.stack,
                 "FW stack bytes (BPF_STACK_SZ*64; unknown: assume 512 and warn)");
  app.add_option("--nfp-helpers", p.helpers,
                 "helper ids the FW implements (default 1,2,3,25; add 7, 44, 65 if present)")
      ->delimiter(',');
  app.add_option("--nfp-inl-mtu", p.inl_mtu,
                 "usable packet split point in bytes (BPF_INL_MTU*64 - 32; unknown: warn)");
  app.add_option("--nfp-mtu", p.mtu, "netdev MTU of the target interface");
  app.add_flag("--nfp-queue-select", p.queue_select,
               "the FW can set xdp_md.rx_queue_index (QUEUE_SELECT capability)");
  app.add_option("--nfp-max-elem-size", p.max_elem_size,
                 "max round8(key) + round8(value) per map entry (default 64)");
  app.add_option("--nfp-max-map-elems", p.max_map_elems,
                 "max map entries over all maps of the device (default 3072000)");
  app.add_option("--nfp-max-maps", p.max_maps, "max maps per device (FW max_maps)");
  app.add_option("--prog-type", p.prog_type,
                 "program type: from the section name (auto), xdp or tc")
      ->check(CLI::IsMember({"auto", "xdp", "tc"}));
}

Result<NfpProfile> make_profile(const ProfileArgs& a) {
  NfpProfile p;
  if (a.max_insns) p.max_nfp_insns = *a.max_insns;
  p.fw_stack_bytes = a.stack;
  p.fw_inl_mtu = a.inl_mtu;
  p.netdev_mtu = a.mtu;
  if (!a.helpers.empty()) {
    p.helpers.clear();
    for (int h : a.helpers) {
      if (h <= 0)
        return fail("--nfp-helpers: '" + std::to_string(h) + "' is not a helper id", {},
                    "list helper ids, e.g. --nfp-helpers 1,2,3,25");
      p.helpers.insert(h);
    }
  }
  p.queue_select = a.queue_select;
  if (a.max_elem_size) p.max_elem_size = *a.max_elem_size;
  if (a.max_map_elems) p.max_map_elems = *a.max_map_elems;
  p.max_maps = a.max_maps;
  return p;
}

std::optional<ProgType> forced_prog_type(const ProfileArgs& a) {
  if (a.prog_type == "xdp") return ProgType::Xdp;
  if (a.prog_type == "tc") return ProgType::SchedCls;
  return std::nullopt;
}

void register_commands(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<CheckArgs>();
  auto* check = app.add_subcommand(
      "check", "Check that an object can be offloaded (--target nfp: Netronome NFP JIT rules)");
  check->add_option("object", args->input, "BPF ELF object")->required();
  check->add_option("--target", args->target, "offload target")
      ->required()
      ->check(CLI::IsMember({"nfp"}));
  check->add_flag("--json", args->json, "print the report as JSON");
  add_profile_options(*check, args->profile);
  check->callback([args, exit_code] { *exit_code = run_check(*args); });
}

} // namespace xdpml::nfp
