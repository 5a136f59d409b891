#include "loader/loader.hpp"

#include "loader/dispatcher.hpp"

#include "bpf/elf.hpp"
#include "bpf/kernel.hpp"
#include "contract/contract.hpp"
#include "loader/verifier_report.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>

namespace xdpml::loader {

namespace {

// libxdp's name for its dispatcher program (it checks the same name itself).
constexpr const char* kDispatcherName = "xdp_dispatcher";
// Room for the level-1 log of any program the verifier accepts in size; should a log still
// overflow, kernels since 6.4 keep its tail, which is where the error is.
constexpr size_t kVerifierLogBytes = 16u << 20;

const char* const kRootHint =
    "loading and attaching XDP programs needs root (CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN)";

std::string now_iso8601() {
  const time_t now = time(nullptr);
  tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string describe_candidate(const ProgramCandidate& c) {
  return "'" + c.name + "' (section " + c.section + ", " +
         (c.type.empty() ? "type unknown to libbpf" : c.type) + ")";
}

std::string list_candidates(const std::vector<ProgramCandidate>& candidates) {
  std::vector<std::string> items;
  for (const auto& c : candidates) items.push_back(describe_candidate(c));
  return join(items, ", ");
}

// What the object has, for errors that say the program asked for is not there.
std::string object_contents(const std::vector<ProgramCandidate>& candidates,
                            const std::vector<std::string>& sections) {
  if (!candidates.empty()) return "its programs: " + list_candidates(candidates);
  std::vector<std::string> shown;
  for (const auto& s : sections)
    if (!s.empty() && !s.starts_with(".rel") && s != ".strtab" && s != ".symtab")
      shown.push_back(s);
  return "it has no programs at all" +
         (shown.empty() ? std::string() : " (sections: " + join(shown, ", ") + ")");
}

const char* const kProgramHint =
    "an XDP program is a function (STT_FUNC symbol) in an executable section named 'xdp' or "
    "'xdp/...'; functions in .text are only subprograms";

// Program ids attached in one mode, as seen by the kernel right now.
uint32_t attached_id(const Interface& interface, XdpMode mode) {
  auto attachments = query_attachments(interface);
  return attachments ? attachments->id(mode) : 0;
}

std::string program_label(uint32_t id) {
  auto info = program_info(id);
  if (!info) return "id " + std::to_string(id);
  return "'" + info->name + "', id " + std::to_string(id);
}

} // namespace

// ---- Choosing the program --------------------------------------------------------------------

Result<size_t> select_program(const std::vector<ProgramCandidate>& candidates,
                              const ProgramSelection& selection, const std::string& object_path,
                              const std::vector<std::string>& sections) {
  const SourceLocation where{object_path};
  const bool named = !selection.section.empty() || !selection.program.empty();
  std::vector<size_t> matches;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const auto& c = candidates[i];
    if (!selection.section.empty() && c.section != selection.section) continue;
    if (!selection.program.empty() && c.name != selection.program) continue;
    if (!named && !c.is_xdp()) continue;
    matches.push_back(i);
  }
  if (!named) {
    if (matches.empty())
      return fail("the object has no XDP program; " + object_contents(candidates, sections), where,
                  kProgramHint);
    if (matches.size() > 1) {
      std::vector<ProgramCandidate> xdp;
      for (auto i : matches) xdp.push_back(candidates[i]);
      return fail("the object has " + std::to_string(matches.size()) +
                      " XDP programs: " + list_candidates(xdp),
                  where, "choose one with --prog NAME or --sec SECTION");
    }
    return matches.front();
  }
  std::string asked;
  if (!selection.section.empty()) asked += "--sec " + selection.section;
  if (!selection.program.empty())
    asked += (asked.empty() ? "" : " ") + std::string("--prog ") + selection.program;
  if (matches.empty())
    return fail("no program matches " + asked + "; " + object_contents(candidates, sections), where,
                candidates.empty() ? kProgramHint : "name one of the programs listed");
  if (matches.size() > 1) {
    std::vector<ProgramCandidate> several;
    for (auto i : matches) several.push_back(candidates[i]);
    return fail("several programs match " + asked + ": " + list_candidates(several), where,
                "add --prog NAME to choose one");
  }
  const auto& chosen = candidates[matches.front()];
  if (!chosen.is_xdp() && !chosen.type.empty())
    return fail("program " + describe_candidate(chosen) + " is not an XDP program", where,
                "xdpml load attaches XDP programs; load " + chosen.type +
                    " programs with their own tools");
  return matches.front();
}

// ---- Loading ---------------------------------------------------------------------------------

int OpenedObject::program_fd() const {
  return program_ ? bpf_program__fd(program_) : -1;
}

Result<OpenedObject> open_object(const std::string& path, const ProgramSelection& selection,
                                 LibraryLog& log) {
  const SourceLocation where{path};
  // libbpf's own message for these would be a bare "No such file or directory".
  if (access(path.c_str(), R_OK) != 0) {
    const int err = errno;
    return fail("cannot open '" + path + "': " + describe_errno(err), where,
                err == ENOENT ? "pass the object file produced by `xdpml compile` or `xdpml asm`"
                              : "check the permissions of the file and of its directories");
  }
  if (std::filesystem::is_directory(path))
    return fail("'" + path + "' is a directory, not an object file", where,
                "pass the object file produced by `xdpml compile` or `xdpml asm`");

  // Our ELF reader explains malformed files precisely (which section, what is wrong); it also
  // gives the section list and the contract. libbpf stays the judge of what it can load: an
  // object our reader does not understand may still be fine for libbpf.
  auto elf = bpf::read_elf_file(path);

  log.clear();
  LIBBPF_OPTS(bpf_object_open_opts, options);
  errno = 0;
  bpf_object* raw = bpf_object__open_file(path.c_str(), &options);
  if (const int err = libbpf_pointer_error(raw)) {
    if (!elf) return elf.failure();
    const std::string why = log.last_warning();
    return fail("libbpf cannot open '" + path + "': " + (why.empty() ? describe_errno(err) : why),
                where, "--verbose shows all of libbpf's messages");
  }
  OpenedObject opened;
  opened.object_ = BpfObject(raw);
  opened.path_ = path;
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(path, ec);
  opened.absolute_path_ = ec ? path : absolute.lexically_normal().string();

  std::vector<ProgramCandidate> candidates;
  std::vector<bpf_program*> programs;
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, raw) {
    ProgramCandidate c;
    c.name = bpf_program__name(program);
    c.section = bpf_program__section_name(program);
    const auto type = bpf_program__type(program);
    if (type != BPF_PROG_TYPE_UNSPEC)
      if (const char* name = libbpf_bpf_prog_type_str(type)) c.type = name;
    candidates.push_back(std::move(c));
    programs.push_back(program);
  }
  std::vector<std::string> sections;
  if (elf)
    for (const auto& s : elf->sections) sections.push_back(s.name);
  auto chosen = select_program(candidates, selection, path, sections);
  if (!chosen) return chosen.failure();
  opened.chosen_ = candidates[*chosen];
  opened.program_ = programs[*chosen];

  if (elf) {
    auto contract = contract::read_contract(*elf);
    // A contract describes the object's one compiled program; ignore it for any other.
    if (contract && contract->value("program", opened.chosen_.name) == opened.chosen_.name)
      opened.contract_ = std::move(*contract);
    // The program loads without its contract (only tools need it), but say why it is gone.
    if (!contract && contract::has_contract(*elf))
      opened.contract_problem_ = contract.diagnostics().items().front().message;
  }
  return opened;
}

namespace {

// Creates the object's maps on the device for hw mode and hands them to libbpf.
// - Without BTF: the kernel refuses BTF key/value types on offloaded maps (ENOTSUPP); libbpf
//   would try with BTF, warn and retry, so it is done here, on purpose, once.
// - Perf event arrays stay on the host: the kernel lets an offloaded program use them
//   (bpf_map_offload_neutral) but cannot offload them.
// - Global-data maps (.data, .rodata, .bss) are left to libbpf, which fills them in (and the
//   device refuses them; `xdpml check --target nfp` says so before loading).
Status create_offloaded_maps(const OpenedObject& object, const Interface& interface) {
  const SourceLocation kernel{"<kernel>", 0, 0, 1, "load"};
  const auto ifindex = static_cast<uint32_t>(interface.ifindex);
  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, object.object()) {
    if (bpf_map__type(map) == BPF_MAP_TYPE_PERF_EVENT_ARRAY) continue;
    if (bpf_map__is_internal(map)) {
      bpf_map__set_ifindex(map, ifindex);
      continue;
    }
    LIBBPF_OPTS(bpf_map_create_opts, options, .map_flags = bpf_map__map_flags(map),
                .map_ifindex = ifindex);
    const int fd = bpf_map_create(bpf_map__type(map), bpf_map__name(map), bpf_map__key_size(map),
                                  bpf_map__value_size(map), bpf_map__max_entries(map), &options);
    if (fd < 0) {
      const int err = libbpf_int_error(fd);
      if (err == EPERM || err == EACCES)
        return fail("permission denied creating map '" + std::string(bpf_map__name(map)) +
                        "': " + describe_errno(err),
                    kernel, kRootHint);
      // The kernel says EINVAL both for a device that offloads nothing and for a map type it
      // cannot offload, so the hint names both.
      return fail("'" + interface.name + "' cannot offload map '" + bpf_map__name(map) + "' (" +
                      describe_errno(err) + ")",
                  kernel,
                  "hw mode needs a NIC whose driver offloads BPF (Netronome nfp, or netdevsim for "
                  "tests) and maps it can hold: ARRAY or HASH, map_flags 0, within its limits "
                  "(netdevsim: 2 entries; nfp: as its firmware reports); `xdpml check --target "
                  "nfp` checks the object");
    }
    const bpf::Fd owned(fd);
    // libbpf keeps its own duplicate and skips creating the map.
    if (const int err = libbpf_int_error(bpf_map__reuse_fd(map, owned.get())))
      return fail("cannot hand the offloaded map '" + std::string(bpf_map__name(map)) +
                      "' to libbpf: " + describe_errno(err),
                  kernel);
  }
  return ok_status();
}

// libbpf pins the maps an object declares with `pinning = LIBBPF_PIN_BY_NAME` at
// <pin root>/<map name> (/sys/fs/bpf/NAME by default) while loading it, or reuses the map
// pinned there. When that fails the program is never loaded, and the load's errno alone says
// "failed to load object" or, for a directory in the way, EACCES (which would read as "needs
// root"). This names the map, the path and what is wrong with it, with libbpf's own words.
std::optional<Failure> pin_failure(const OpenedObject& object, const LibraryLog& log, int err) {
  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, object.object()) {
    const char* pin = bpf_map__pin_path(map);
    if (!pin) continue;
    const std::string path(pin);
    std::string said;
    for (const auto& line : log.lines())
      if (line.find(path) != std::string::npos &&
          (line.find("couldn't") != std::string::npos || line.find("failed") != std::string::npos ||
           line.find("not on BPF FS") != std::string::npos)) {
        said = line.starts_with("libbpf: ") ? line.substr(8) : line;
        break;
      }
    if (said.empty()) continue;
    const std::string directory = std::filesystem::path(path).parent_path().string();
    struct stat there {};
    const bool exists = lstat(path.c_str(), &there) == 0;
    std::string why;
    if (!is_bpffs(directory))
      why = directory + " is not on a bpffs";
    else if (exists && S_ISDIR(there.st_mode))
      why = "a directory is in the way";
    else if (err == EROFS)
      why = "the bpffs at " + directory + " is read-only";
    else if (exists)
      why = "what is pinned there is not a map of this definition (type, key and value size, "
            "max_entries, flags)";
    else
      why = describe_errno(err);
    return fail("map '" + std::string(bpf_map__name(map)) + "' of program '" +
                    object.chosen().name + "' is pinned by name at " + path +
                    ", and libbpf cannot use that path: " + why + " (libbpf: " + said + ")",
                {"<kernel>", 0, 0, 1, "load"},
                "the object asks libbpf to pin the map (pinning = LIBBPF_PIN_BY_NAME): its path "
                "must be on a writable bpffs (`mount -t bpf bpf " +
                    directory +
                    "`; `ip netns exec` hides the host's) and hold nothing or a map of the "
                    "same definition; remove what is there (`rm " +
                    path + "`) if nothing else uses it");
  }
  return std::nullopt;
}

} // namespace

Status load_object(OpenedObject& object, const Interface& interface, XdpMode mode,
                   LibraryLog& log) {
  bpf_program* chosen = object.program();
  // Only the chosen program is loaded: another program of the object must not make the load
  // fail, and hw mode binds to one device.
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, object.object()) {
    if (program != chosen) bpf_program__set_autoload(program, false);
  }
  // Named explicitly in a section libbpf does not know: load it as XDP (like `ip link`).
  if (bpf_program__type(chosen) == BPF_PROG_TYPE_UNSPEC)
    bpf_program__set_type(chosen, BPF_PROG_TYPE_XDP);
  if (mode == XdpMode::Hw) {
    // Offloaded programs and their maps are created on the device, so the kernel must know
    // which device before it verifies the program.
    bpf_program__set_ifindex(chosen, static_cast<uint32_t>(interface.ifindex));
    if (auto maps = create_offloaded_maps(object, interface); !maps) return maps.failure();
  }
  // libbpf first loads without a log and, if that fails, retries with log level 1 into this
  // buffer (instead of printing the log itself).
  std::vector<char> verifier_log(kVerifierLogBytes, '\0');
  bpf_program__set_log_buf(chosen, verifier_log.data(), verifier_log.size());

  log.clear();
  const int err = libbpf_int_error(bpf_object__load(object.object()));
  if (!err) return ok_status();

  const SourceLocation kernel{"<kernel>", 0, 0, 1, "load"};
  const std::string name = object.chosen().name;
  // The verifier reports most rejections as EACCES, so a log decides, not the errno.
  const std::string verifier_text(verifier_log.data());
  // In hw mode the driver prepares the verification; when it refuses (netdevsim with
  // bpf_bind_accept off), the verifier checks no instruction: not a verifier finding.
  if (mode == XdpMode::Hw && verifier_text.find("processed 0 insns") != std::string::npos)
    return fail("'" + interface.name + "' refused to take program '" + name +
                    "' for offload before verifying it (" + describe_errno(err) + ")",
                kernel,
                "the device's driver does not take BPF programs now (netdevsim: bpf_bind_accept "
                "is off; `dmesg` may say why); use --mode native or --mode skb");
  if (verifier_text.find_first_not_of(" \n") != std::string::npos) {
    Rejection rejection;
    rejection.program = name;
    rejection.section = object.chosen().section;
    rejection.verifier_log = verifier_text;
    rejection.contract = object.contract();
    rejection.error_number = err;
    const bpf_insn* insns = bpf_program__insns(chosen);
    const size_t count = bpf_program__insn_cnt(chosen);
    if (insns && count) {
      const auto* bytes = reinterpret_cast<const uint8_t*>(insns);
      rejection.code.assign(bytes, bytes + count * sizeof(bpf_insn));
    }
    return describe_rejection(rejection);
  }
  if (auto pinning = pin_failure(object, log, err)) return *pinning;
  if (err == EPERM || err == EACCES)
    return fail("permission denied loading program '" + name + "': " + describe_errno(err), kernel,
                kRootHint);
  if (mode == XdpMode::Hw)
    return fail("'" + interface.name + "' cannot offload XDP programs: the kernel refused to " +
                    "create the program or its maps on the device (" + describe_errno(err) + ")",
                kernel,
                "hw mode needs a NIC whose driver offloads BPF (Netronome nfp, or netdevsim "
                "for tests); use --mode native or --mode skb");
  const std::string why = log.last_warning();
  return fail("the kernel refused to load program '" + name +
                  "': " + (why.empty() ? describe_errno(err) : why),
              kernel, "--verbose shows all of libbpf's messages");
}

// ---- Attaching -------------------------------------------------------------------------------

Status check_replace_target(const Interface& interface, XdpMode mode) {
  auto attachments = query_attachments(interface);
  if (!attachments) return attachments.failure();
  if (attachments->id(mode)) return ok_status();
  std::string hint = "drop --replace to attach";
  for (const auto& [other, id] : attachments->attached())
    hint += "; a program (id " + std::to_string(id) + ") is attached in " +
            std::string(mode_name(other)) + " mode: use --mode " + std::string(mode_name(other));
  return fail("nothing is attached to '" + interface.name + "' in " + std::string(mode_name(mode)) +
                  " mode, so there is nothing to replace",
              {}, hint);
}

Result<AttachOutcome> attach_program(const OpenedObject& object, const Interface& interface,
                                     XdpMode mode, bool replace, LibraryLog& log) {
  const std::string mode_text(mode_name(mode));
  const SourceLocation kernel{"<kernel>", 0, 0, 1, "attach"};
  AttachOutcome outcome;
  uint32_t flags = mode_flag(mode);
  LIBBPF_OPTS(bpf_xdp_attach_opts, options);
  bpf::Fd old_program;
  if (replace) {
    outcome.replaced_id = attached_id(interface, mode);
    if (!outcome.replaced_id) {
      auto why = check_replace_target(interface, mode);
      if (!why) return why.failure();
    }
    const int fd = bpf_prog_get_fd_by_id(outcome.replaced_id);
    if (fd < 0) {
      const int err = libbpf_int_error(fd);
      if (err == EPERM || err == EACCES)
        return fail("permission denied: " + describe_errno(err), kernel, kRootHint);
      return fail("the program to replace (id " + std::to_string(outcome.replaced_id) +
                      ") disappeared: " + describe_errno(err),
                  kernel, "run the command again, or without --replace");
    }
    old_program = bpf::Fd(fd);
    if (auto info = program_info_from_fd(fd)) outcome.replaced_name = info->name;
    // The kernel swaps only if the attached program is still the one we hold: no window
    // without a program, and no silent replacement of a program attached meanwhile.
    flags |= XDP_FLAGS_REPLACE;
    options.old_prog_fd = old_program.get();
  } else {
    // Never replace someone else's program by accident.
    flags |= XDP_FLAGS_UPDATE_IF_NOEXIST;
  }

  log.clear();
  const int err =
      libbpf_int_error(bpf_xdp_attach(interface.ifindex, object.program_fd(), flags, &options));
  if (err) {
    const std::string said = log.last_kernel_message();
    const std::string kernel_words = said.empty() ? describe_errno(err) : said;
    if (err == EPERM || err == EACCES)
      return fail("permission denied attaching to '" + interface.name + "': " + kernel_words,
                  kernel, kRootHint);
    if (err == EBUSY && !replace) {
      const uint32_t existing = attached_id(interface, mode);
      return fail("'" + interface.name + "' already has an XDP program in " + mode_text +
                      " mode (" + (existing ? program_label(existing) : "unknown") + ")",
                  kernel,
                  "--replace swaps it atomically; `xdpml unload --dev " + interface.name +
                      " --mode " + mode_text + "` removes it");
    }
    if (err == EEXIST && replace)
      return fail("the program attached to '" + interface.name +
                      "' changed while it was being replaced: " + kernel_words,
                  kernel, "check `xdpml status --dev " + interface.name + "` and run again");
    if (err == EEXIST)
      return fail("cannot attach to '" + interface.name + "' in " + mode_text +
                      " mode: " + kernel_words,
                  kernel, "the kernel allows skb or native mode, not both: unload the other first");
    if (err == EOPNOTSUPP || err == ENODEV)
      return fail("'" + interface.name + "' does not support XDP in " + mode_text +
                      " mode: " + kernel_words,
                  kernel,
                  mode == XdpMode::Hw ? "hw mode needs a NIC whose driver offloads BPF"
                                      : "use --mode skb (generic XDP works on every interface)");
    return fail("the kernel refused to attach to '" + interface.name + "' in " + mode_text +
                    " mode: " + kernel_words,
                kernel, "--verbose shows all of libbpf's messages");
  }
  auto info = program_info_from_fd(object.program_fd());
  if (!info) return info.failure();
  outcome.program = std::move(*info);
  if (outcome.replaced_name == kDispatcherName)
    outcome.warnings.push_back("the replaced program was a libxdp dispatcher: its component "
                               "programs stay pinned in bpffs until `xdp-loader clean`");
  return outcome;
}

namespace {

// The recorded program is still attached in its mode: directly, or as a component of the
// libxdp dispatcher there.
bool still_attached(const Interface& interface, const Attachments& attachments, XdpMode mode,
                    uint32_t prog_id) {
  if (attachments.id(mode) == prog_id) return true;
  if (mode == XdpMode::Hw || !attachments.id(mode)) return false;
  const auto components = dispatcher_components(interface, mode);
  return components && std::any_of(components->begin(), components->end(),
                                   [&](const ComponentRef& c) { return c.id == prog_id; });
}

// Keeps only the records whose program is still attached in that mode.
void prune_record(InterfaceRecord& record, const Interface& interface,
                  const Attachments& attachments) {
  for (auto it = record.by_mode.begin(); it != record.by_mode.end();) {
    if (!still_attached(interface, attachments, it->first, it->second.prog_id))
      it = record.by_mode.erase(it);
    else
      ++it;
  }
}

nlohmann::json contract_for_record(const nlohmann::json& contract) {
  if (!contract.is_object()) return nullptr;
  nlohmann::json copy = contract;
  // Provenance only serves verifier errors at load time; it is the bulk of the contract.
  copy.erase("provenance");
  return copy;
}

} // namespace

Status remember_attachment(const StateStore& store, const Interface& interface, XdpMode mode,
                           const OpenedObject& object, uint32_t prog_id) {
  auto netns = current_netns_inode();
  if (!netns) return netns.failure();
  AttachmentRecord entry;
  entry.prog_id = prog_id;
  entry.object_path = object.absolute_path();
  entry.section = object.chosen().section;
  entry.program = object.chosen().name;
  entry.contract = contract_for_record(object.contract());
  entry.attached_at = now_iso8601();
  // What is attached is asked under the store's lock: a concurrent `load --replace` may have
  // swapped this program out since it was attached and recorded its own, which a record of
  // ours written afterwards would overwrite (the record would then name a program that is
  // gone, and `status` would show no origin for the one attached).
  std::optional<Failure> problem;
  auto written = store.update(*netns, interface.ifindex, [&](InterfaceRecord& record) {
    auto attachments = query_attachments(interface);
    if (!attachments) {
      problem = attachments.failure();
      return;
    }
    record.ifname = interface.name;
    prune_record(record, interface, *attachments);
    if (!still_attached(interface, *attachments, mode, prog_id)) {
      const uint32_t now = attachments->id(mode);
      problem = fail("'" + interface.name + "' no longer runs it in " +
                     std::string(mode_name(mode)) + " mode: " +
                     (now ? "another program (id " + std::to_string(now) + ") replaced it"
                          : "it was detached") +
                     " meanwhile");
      return;
    }
    record.by_mode[mode] = std::move(entry);
  });
  if (!written) return written;
  if (problem) return *problem;
  return ok_status();
}

// ---- Detaching -------------------------------------------------------------------------------

Result<std::vector<DetachedProgram>> detach_programs(const Interface& interface,
                                                     std::optional<XdpMode> mode, LibraryLog& log) {
  const SourceLocation kernel{"<kernel>", 0, 0, 1, "detach"};
  auto attachments = query_attachments(interface);
  if (!attachments) return attachments.failure();
  std::vector<std::pair<XdpMode, uint32_t>> targets;
  if (mode) {
    if (!attachments->id(*mode)) {
      std::string hint = "`xdpml status --dev " + interface.name + "` shows what is attached";
      for (const auto& [other, id] : attachments->attached())
        hint = "a program (id " + std::to_string(id) + ") is attached in " +
               std::string(mode_name(other)) + " mode: use --mode " +
               std::string(mode_name(other)) + " or leave --mode out";
      return fail("nothing is attached to '" + interface.name + "' in " +
                      std::string(mode_name(*mode)) + " mode",
                  {}, hint);
    }
    targets.emplace_back(*mode, attachments->id(*mode));
  } else {
    targets = attachments->attached();
    if (targets.empty())
      return fail("no XDP program is attached to '" + interface.name + "'", {},
                  "`xdpml status` lists the interfaces that have one");
  }

  std::vector<DetachedProgram> detached;
  for (const auto& [target_mode, id] : targets) {
    DetachedProgram d{target_mode, id, "", false, 0};
    auto info = program_info(id);
    if (!info) {
      const auto& first = info.diagnostics().items().front();
      return fail(first.message, kernel, first.hint);
    }
    d.name = info->name;
    d.libxdp_dispatcher = d.name == kDispatcherName;
    detached.push_back(d);
  }

  // A libxdp dispatcher keeps its component programs pinned in bpffs; libxdp's own detach
  // removes those pins too. It also detaches a hw program, so use it only when that is wanted.
  const auto main_target = std::find_if(detached.begin(), detached.end(), [](const auto& d) {
    return d.libxdp_dispatcher && d.mode != XdpMode::Hw;
  });
  if (main_target != detached.end()) {
    log.clear();
    if (XdpMultiprog view = libxdp_view(interface);
        view && !xdp_multiprog__is_legacy(view.get()) && libxdp_components_plausible(view.get())) {
      const bool hw_attached = attachments->hw != 0;
      const bool hw_targeted = std::any_of(detached.begin(), detached.end(),
                                           [](const auto& d) { return d.mode == XdpMode::Hw; });
      if (!hw_attached || hw_targeted) {
        main_target->dispatcher_components = xdp_multiprog__program_count(view.get());
        const int err = libxdp_int_error(xdp_multiprog__detach(view.get()));
        if (err)
          return fail("libxdp could not detach its dispatcher from '" + interface.name +
                          "': " + describe_errno(err),
                      kernel, "--verbose shows libxdp's messages");
        return detached;
      }
    }
  }

  for (const auto& d : detached) {
    const int fd = bpf_prog_get_fd_by_id(d.id);
    if (fd < 0) {
      const int err = libbpf_int_error(fd);
      if (err == ENOENT) continue; // detached meanwhile: the goal is reached
      return fail("cannot detach program " + std::to_string(d.id) + ": " + describe_errno(err),
                  kernel, err == EPERM ? kRootHint : "");
    }
    bpf::Fd expected(fd);
    LIBBPF_OPTS(bpf_xdp_attach_opts, options);
    options.old_prog_fd = expected.get();
    log.clear();
    const int err = libbpf_int_error(
        bpf_xdp_detach(interface.ifindex, mode_flag(d.mode) | XDP_FLAGS_REPLACE, &options));
    if (err) {
      const std::string said = log.last_kernel_message();
      if (err == EPERM || err == EACCES)
        return fail("permission denied detaching from '" + interface.name + "'", kernel, kRootHint);
      return fail("the kernel refused to detach program " + std::to_string(d.id) + " from '" +
                      interface.name + "': " + (said.empty() ? describe_errno(err) : said),
                  kernel,
                  err == EEXIST ? "another program was attached meanwhile; check `xdpml status`"
                                : "");
    }
  }
  return detached;
}

Result<std::optional<DetachedProgram>> detach_own_component(const Interface& interface,
                                                            XdpMode mode, const StateStore& store,
                                                            LibraryLog& log) {
  if (mode == XdpMode::Hw) return std::optional<DetachedProgram>();
  auto netns = current_netns_inode();
  if (!netns) return std::optional<DetachedProgram>();
  const auto record = store.read(*netns, interface.ifindex);
  if (!record) return std::optional<DetachedProgram>();
  const auto it = record->by_mode.find(mode);
  if (it == record->by_mode.end()) return std::optional<DetachedProgram>();
  const auto components = dispatcher_components(interface, mode);
  if (!components || components->size() < 2) return std::optional<DetachedProgram>();
  const auto ours = std::find_if(components->begin(), components->end(),
                                 [&](const ComponentRef& c) { return c.id == it->second.prog_id; });
  if (ours == components->end()) return std::optional<DetachedProgram>();
  if (auto removed = detach_components(interface, mode, {ours->id}, log); !removed)
    return removed.failure();
  DetachedProgram d;
  d.mode = mode;
  d.id = ours->id;
  d.name = ours->name;
  d.components_left = static_cast<int>(components->size()) - 1;
  return std::optional<DetachedProgram>(d);
}

Status forget_detached(const StateStore& store, const Interface& interface) {
  auto netns = current_netns_inode();
  if (!netns) return netns.failure();
  // Nothing recorded, nothing to forget (and no reason to create the directory).
  if (!store.read(*netns, interface.ifindex)) return ok_status();
  auto attachments = query_attachments(interface);
  if (!attachments) return attachments.failure();
  return store.update(*netns, interface.ifindex, [&](InterfaceRecord& record) {
    prune_record(record, interface, *attachments);
  });
}

// ---- Status ----------------------------------------------------------------------------------

Result<InterfaceStatus> interface_status(const Interface& interface, const StateStore& store,
                                         LibraryLog& log) {
  auto attachments = query_attachments(interface);
  if (!attachments) return attachments.failure();
  InterfaceStatus status;
  status.interface = interface;
  if (!attachments->any()) return status;

  std::optional<InterfaceRecord> record;
  if (auto netns = current_netns_inode()) record = store.read(*netns, interface.ifindex);

  XdpMultiprog view;
  bool consulted_libxdp = false;
  for (const auto& [mode, id] : attachments->attached()) {
    AttachedProgram program;
    program.mode = mode;
    program.id = id;
    if (auto info = program_info(id))
      program.info = std::move(*info);
    else
      program.info_error = info.diagnostics().items().front().message;
    if (record) {
      const auto it = record->by_mode.find(mode);
      if (it != record->by_mode.end() && it->second.prog_id == id) program.origin = it->second;
    }
    if (mode != XdpMode::Hw) {
      if (!consulted_libxdp) {
        log.clear();
        view = libxdp_view(interface);
        consulted_libxdp = true;
      }
      if (view && !xdp_multiprog__is_legacy(view.get()) &&
          libxdp_components_plausible(view.get())) {
        DispatcherView dispatcher;
        dispatcher.components_known = true;
        for (xdp_program* p = xdp_multiprog__next_prog(nullptr, view.get()); p;
             p = xdp_multiprog__next_prog(p, view.get())) {
          DispatcherComponent c{xdp_program__id(p), xdp_program__name(p), xdp_program__run_prio(p),
                                std::nullopt};
          if (record)
            if (const auto it = record->by_mode.find(mode);
                it != record->by_mode.end() && it->second.prog_id == c.id)
              c.origin = it->second;
          dispatcher.components.push_back(std::move(c));
        }
        program.dispatcher = std::move(dispatcher);
      } else if (program.info && program.info->name == kDispatcherName) {
        // libxdp treats a dispatcher whose pins it cannot find as a plain program.
        DispatcherView dispatcher;
        const std::string bpffs = libxdp_bpffs_directory();
        const std::string state =
            bpffs + "/xdp/dispatch-" + std::to_string(interface.ifindex) + "-" + std::to_string(id);
        std::error_code ec;
        dispatcher.note =
            "named like libxdp's dispatcher, but libxdp cannot read its component programs: " +
            (!is_bpffs(bpffs)
                 ? "libxdp keeps them in bpffs, and " + bpffs + " is not a bpffs mount here"
             : std::filesystem::exists(std::filesystem::symlink_status(state, ec))
                 ? "its pinned state at " + state + " is unreadable or holds no extension programs"
                 : "no pinned state for it under " + bpffs);
        program.dispatcher = std::move(dispatcher);
      }
    }
    status.programs.push_back(std::move(program));
  }
  return status;
}

} // namespace xdpml::loader
