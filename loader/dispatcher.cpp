#include "loader/dispatcher.hpp"

#include "bpf/kernel.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <xdp/libxdp.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>

namespace xdpml::loader {

namespace {

const SourceLocation kKernel{"<kernel>", 0, 0, 1, "dispatcher"};

struct XdpProgramCloser {
  void operator()(xdp_program* p) const { xdp_program__close(p); }
};
using XdpProgram = std::unique_ptr<xdp_program, XdpProgramCloser>;

struct BtfCloser {
  void operator()(btf* b) const { btf__free(b); }
};

xdp_attach_mode libxdp_mode(XdpMode mode) {
  switch (mode) {
  case XdpMode::Skb:
    return XDP_MODE_SKB;
  case XdpMode::Native:
    return XDP_MODE_NATIVE;
  case XdpMode::Hw:
    return XDP_MODE_HW;
  }
  return XDP_MODE_UNSPEC;
}

// The dispatcher in `mode`, if libxdp can read one there.
XdpMultiprog dispatcher_in(const Interface& interface, XdpMode mode) {
  XdpMultiprog view = libxdp_view(interface);
  if (!view || xdp_multiprog__is_legacy(view.get()) || !libxdp_components_plausible(view.get()))
    return nullptr;
  if (xdp_multiprog__attach_mode(view.get()) != libxdp_mode(mode)) return nullptr;
  return view;
}

} // namespace

std::string libxdp_bpffs_directory() {
  const char* configured = std::getenv("LIBXDP_BPFFS");
  return configured && *configured ? configured : "/sys/fs/bpf";
}

bool is_bpffs(const std::string& path) {
  struct statfs fs {};
  return statfs(path.c_str(), &fs) == 0 && static_cast<unsigned long>(fs.f_type) == BPF_FS_MAGIC;
}

void forbid_bpffs_automount() {
  unsetenv("LIBXDP_BPFFS_AUTOMOUNT");
}

XdpMultiprog libxdp_view(const Interface& interface) {
  forbid_bpffs_automount();
  xdp_multiprog* raw = xdp_multiprog__get_from_ifindex(interface.ifindex);
  if (libxdp_pointer_error(raw)) return nullptr;
  return XdpMultiprog(raw);
}

bool libxdp_components_plausible(xdp_multiprog* multiprog) {
  for (xdp_program* p = xdp_multiprog__next_prog(nullptr, multiprog); p;
       p = xdp_multiprog__next_prog(p, multiprog)) {
    const bpf::Fd fd(bpf_prog_get_fd_by_id(xdp_program__id(p)));
    if (!fd) return false;
    bpf_prog_info info{};
    uint32_t length = sizeof info;
    if (bpf_obj_get_info_by_fd(fd.get(), &info, &length) != 0) return false;
    // The kernel keeps the first BPF_OBJ_NAME_LEN - 1 characters of libxdp's name.
    const std::string libxdp_name = xdp_program__name(p) ? xdp_program__name(p) : "";
    if (info.type != BPF_PROG_TYPE_EXT || info.name[0] == '\0' ||
        !libxdp_name.starts_with(info.name))
      return false;
  }
  return true;
}

Status probe_dispatcher_support() {
  // The same shape as libxdp's check: a BTF-described XDP function, then an extension of it.
  std::unique_ptr<btf, BtfCloser> types(btf__new_empty());
  if (!types) return fail("cannot create BTF for the dispatcher probe", kKernel);
  btf* b = types.get();
  const int int_id = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
  const int u32_id = btf__add_int(b, "unsigned int", 4, 0);
  const int md = btf__add_struct(b, "xdp_md", 24);
  for (int i = 0; i < 6 && md > 0; ++i)
    btf__add_field(b, ("f" + std::to_string(i)).c_str(), u32_id, static_cast<uint32_t>(32 * i), 0);
  const int ptr = btf__add_ptr(b, md);
  const int proto = btf__add_func_proto(b, int_id);
  if (int_id < 0 || u32_id < 0 || md < 0 || ptr < 0 || proto < 0 ||
      btf__add_func_param(b, "ctx", ptr) < 0)
    return fail("cannot build BTF for the dispatcher probe", kKernel);
  const int func = btf__add_func(b, "xdpml_probe", BTF_FUNC_GLOBAL, proto);
  if (func < 0 || btf__load_into_kernel(b) < 0)
    return fail("the kernel refused the BTF of the dispatcher probe: " + describe_errno(errno),
                kKernel, "libxdp's dispatcher needs BTF (CONFIG_DEBUG_INFO_BTF)");
  const bpf_insn code[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 2}, // r0 = XDP_PASS
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  bpf_func_info info{0, static_cast<uint32_t>(func)};
  const auto btf_fd = static_cast<uint32_t>(btf__fd(b));
  LIBBPF_OPTS(bpf_prog_load_opts, target_options, .prog_btf_fd = btf_fd, .func_info = &info,
              .func_info_cnt = 1, .func_info_rec_size = sizeof info);
  const int target =
      bpf_prog_load(BPF_PROG_TYPE_XDP, "xdpml_probe", "GPL", code, 2, &target_options);
  if (target < 0)
    return fail("cannot load a test XDP program: " + describe_errno(errno), kKernel,
                "run as root on a kernel with BPF");
  bpf::Fd target_fd(target);
  LIBBPF_OPTS(bpf_prog_load_opts, extension_options, .prog_btf_fd = btf_fd,
              .attach_btf_id = static_cast<uint32_t>(func),
              .attach_prog_fd = static_cast<uint32_t>(target), .func_info = &info,
              .func_info_cnt = 1, .func_info_rec_size = sizeof info);
  const int extension =
      bpf_prog_load(BPF_PROG_TYPE_EXT, "xdpml_probe", "GPL", code, 2, &extension_options);
  if (extension < 0)
    return fail("this kernel refuses extension programs (BPF_PROG_TYPE_EXT, which libxdp's "
                "dispatcher runs its programs as): " +
                    describe_errno(errno),
                kKernel,
                errno == EPERM
                    ? "the refusal comes before the verifier, as root: a security policy of this "
                      "kernel (lockdown or a BPF LSM) forbids extensions; use a kernel that "
                      "allows them to share the interface, or --legacy to attach alone"
                    : "libxdp needs kernel 5.10 or later with freplace support");
  bpf::Fd extension_fd(extension);
  LIBBPF_OPTS(bpf_link_create_opts, link_options, .target_btf_id = static_cast<uint32_t>(func));
  const int link =
      bpf_link_create(extension, target, static_cast<bpf_attach_type>(0), &link_options);
  if (link < 0)
    return fail("this kernel loads extension programs but refuses to link one to an XDP "
                "program: " +
                    describe_errno(errno),
                kKernel, "libxdp's dispatcher needs freplace links (kernel 5.10 or later)");
  bpf::Fd link_fd(link);
  return ok_status();
}

Result<std::string> ensure_libxdp_bpffs() {
  const std::string dir = libxdp_bpffs_directory();
  if (is_bpffs(dir)) return std::string();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (mount("bpf", dir.c_str(), "bpf", 0, "mode=0700") != 0)
    return fail("cannot mount bpffs at " + dir + ": " + describe_errno(errno), kKernel,
                "libxdp keeps its dispatcher's state in bpffs; mount one (`mount -t bpf bpf " +
                    dir + "`), set LIBXDP_BPFFS to one, or use --legacy");
  return "mounted bpffs at " + dir + " (libxdp keeps the dispatcher's state there)";
}

std::optional<std::vector<ComponentRef>> dispatcher_components(const Interface& interface,
                                                               XdpMode mode) {
  XdpMultiprog mp = dispatcher_in(interface, mode);
  if (!mp) return std::nullopt;
  std::vector<ComponentRef> out;
  for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp.get()); p;
       p = xdp_multiprog__next_prog(p, mp.get()))
    out.push_back({xdp_program__id(p), xdp_program__name(p), xdp_program__run_prio(p)});
  return out;
}

Status detach_components(const Interface& interface, XdpMode mode, const std::vector<uint32_t>& ids,
                         LibraryLog& log) {
  XdpMultiprog mp = dispatcher_in(interface, mode);
  if (!mp)
    return fail("no libxdp dispatcher is attached to '" + interface.name + "' in " +
                    std::string(mode_name(mode)) + " mode",
                kKernel);
  std::vector<xdp_program*> chosen;
  for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp.get()); p;
       p = xdp_multiprog__next_prog(p, mp.get()))
    if (std::find(ids.begin(), ids.end(), xdp_program__id(p)) != ids.end()) chosen.push_back(p);
  if (chosen.empty()) return ok_status();
  log.clear();
  const int err = libxdp_int_error(xdp_program__detach_multi(
      chosen.data(), static_cast<int>(chosen.size()), interface.ifindex, libxdp_mode(mode), 0));
  if (err)
    return fail("libxdp could not remove the program(s) from the dispatcher on '" + interface.name +
                    "': " + describe_errno(err),
                kKernel, "--verbose shows libxdp's messages");
  return ok_status();
}

Result<DispatcherOutcome> attach_to_dispatcher(const DispatcherAttach& request,
                                               const Interface& interface, XdpMode mode,
                                               LibraryLog& log) {
  forbid_bpffs_automount();
  DispatcherOutcome outcome;
  std::vector<uint32_t> old_ids;
  if (request.replace) {
    auto components = dispatcher_components(interface, mode);
    if (components)
      for (const auto& c : *components)
        if (c.name == request.program) old_ids.push_back(c.id);
    if (old_ids.empty())
      return fail("the dispatcher on '" + interface.name + "' runs no program named '" +
                      request.program + "', so there is nothing to replace",
                  kKernel, "drop --replace to add the program beside the others");
  }

  log.clear();
  xdp_program* raw =
      xdp_program__open_file(request.object_path.c_str(), request.section.c_str(), nullptr);
  if (const int err = libxdp_pointer_error(raw))
    return fail("libxdp cannot open '" + request.object_path + "': " + describe_errno(err), kKernel,
                "--verbose shows libxdp's messages");
  XdpProgram program(raw);
  if (request.priority) xdp_program__set_run_prio(program.get(), *request.priority);
  outcome.run_priority = xdp_program__run_prio(program.get());

  log.clear();
  if (const int err = libxdp_int_error(
          xdp_program__attach(program.get(), interface.ifindex, libxdp_mode(mode), 0))) {
    const std::string said = log.last_kernel_message();
    if (err == EBUSY || err == EEXIST)
      return fail("'" + interface.name + "' has an XDP program in " + std::string(mode_name(mode)) +
                      " mode that is not a libxdp dispatcher, so programs cannot be added "
                      "beside it",
                  kKernel,
                  "unload it first, attach it through libxdp (xdp-loader), or use --legacy "
                  "--replace to swap it for this program");
    return fail("libxdp could not attach '" + request.program + "' to '" + interface.name +
                    "': " + (said.empty() ? describe_errno(err) : said),
                kKernel, "--verbose shows libxdp's messages; --legacy attaches without libxdp");
  }
  auto info = program_info(xdp_program__id(program.get()));
  if (!info) return info.failure();
  outcome.program = std::move(*info);
  XdpMultiprog mp = dispatcher_in(interface, mode);
  if (!mp)
    outcome.notes.push_back("libxdp attached the program alone, without a dispatcher: other "
                            "programs cannot be added beside it");
  else if (xdp_program* main = xdp_multiprog__main_prog(mp.get()))
    outcome.dispatcher_id = xdp_program__id(main);

  if (!old_ids.empty()) {
    if (auto removed = detach_components(interface, mode, old_ids, log); !removed)
      return fail("attached '" + request.program + "' (id " + std::to_string(outcome.program.id) +
                      "), but could not remove the one it replaces: " +
                      removed.diagnostics().items().front().message,
                  kKernel, "`xdp-loader unload " + interface.name + " -i ID` removes it");
    outcome.replaced_ids = old_ids;
  }
  return outcome;
}

} // namespace xdpml::loader
