// Sharing an interface with other XDP programs through libxdp's multi-program dispatcher.
//
// libxdp attaches a small dispatcher program to the interface and runs each component
// program as an extension (BPF_PROG_TYPE_EXT, "freplace") of one of its slots, in priority
// order; a component's return value either ends the chain or, for the actions in its
// chain-call set (XDP_PASS for xdpml's programs), hands the frame to the next program. The
// dispatcher's state lives in bpffs, which is how `xdp-loader status/unload` and other libxdp
// users see and manage the programs xdpml attaches.
//
// Some kernels refuse extension programs altogether (this project's CI kernel answers EPERM
// to every BPF_PROG_TYPE_EXT load, as root, before the verifier runs); libxdp then silently
// falls back to attaching one program without a dispatcher. probe_dispatcher_support() asks
// the kernel the same question libxdp's compatibility check asks, so that `xdpml load` can say
// why programs cannot be shared instead of failing later or hiding it.
#pragma once

#include "loader/library.hpp"
#include "loader/netdev.hpp"
#include "support/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xdpml::loader {

// Where libxdp keeps its state: $LIBXDP_BPFFS, else /sys/fs/bpf.
std::string libxdp_bpffs_directory();
bool is_bpffs(const std::string& path);
// Keeps libxdp from mounting bpffs by itself (LIBXDP_BPFFS_AUTOMOUNT=1 would): xdpml mounts
// one only where it says so (ensure_libxdp_bpffs).
void forbid_bpffs_automount();
// libxdp's view of the skb/native program of an interface; null when it cannot tell.
XdpMultiprog libxdp_view(const Interface& interface);
// Whether the components libxdp lists for a dispatcher are what its state should hold:
// extension programs named as libxdp says. libxdp takes whatever is pinned at
// <bpffs>/xdp/dispatch-<ifindex>-<id>/prog<N>-prog for component N without checking it (a map
// pinned there comes back as a "program" with the map's id and no name); when this is false the
// dispatcher's components are unknown, and it is detached as a plain program.
bool libxdp_components_plausible(xdp_multiprog* multiprog);

// Whether this kernel lets libxdp's dispatcher run component programs: an XDP program with
// BTF is loaded and an extension of it is loaded and linked, as libxdp's own check does.
// Fails with the kernel's answer ("extension programs are refused: Operation not permitted").
Status probe_dispatcher_support();

// Makes sure libxdp's bpffs directory ($LIBXDP_BPFFS, else /sys/fs/bpf) is a bpffs, mounting
// one there if not. Returns what it did for the user ("" when nothing was needed).
Result<std::string> ensure_libxdp_bpffs();

struct DispatcherAttach {
  std::string object_path;
  std::string section;
  std::string program;              // the program's name, as libxdp sees it
  std::optional<unsigned> priority; // overrides the object's run config
  bool replace = false;             // swap out the component(s) with the same name
};

struct DispatcherOutcome {
  ProgramInfo program;        // the component as the kernel sees it (type ext)
  uint32_t dispatcher_id = 0; // the dispatcher now attached
  unsigned run_priority = 0;
  std::vector<uint32_t> replaced_ids; // components removed by --replace
  std::vector<std::string> notes;
};

// Adds the program to the interface's dispatcher in `mode` (creating one when nothing is
// attached). libxdp builds a new dispatcher with the old components plus this one and swaps
// it in atomically, so the programs already there keep running throughout. With `replace`,
// the components named like this program are removed afterwards (a second atomic swap): the
// interface is never without the program, and for one dispatcher generation both the old and
// the new one run (the first in priority order writes the tag; the other passes the frame,
// whose tag is then set).
Result<DispatcherOutcome> attach_to_dispatcher(const DispatcherAttach& request,
                                               const Interface& interface, XdpMode mode,
                                               LibraryLog& log);

struct ComponentRef {
  uint32_t id = 0;
  std::string name;
  unsigned run_priority = 0;
};

// The components of the libxdp dispatcher attached in `mode`, or nullopt when what is
// attached there is not a dispatcher libxdp can read.
std::optional<std::vector<ComponentRef>> dispatcher_components(const Interface& interface,
                                                               XdpMode mode);

// Removes the components with these ids from the dispatcher in `mode` (libxdp swaps in a
// dispatcher without them, or detaches it when none would be left).
Status detach_components(const Interface& interface, XdpMode mode, const std::vector<uint32_t>& ids,
                         LibraryLog& log);

} // namespace xdpml::loader
