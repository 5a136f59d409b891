// Attaching, replacing and detaching XDP programs, and reporting what is attached.
//
// The operations are split into stages so that the caller can tell whose fault a failure is:
// open_object fails only on the user's input (exit code 1); find_interface, load_object,
// attach_program, detach_programs and interface_status fail when the kernel or the environment
// refuses (exit code 3). See loader/README.md for how libbpf and libxdp are used.
#pragma once

#include "loader/library.hpp"
#include "loader/netdev.hpp"
#include "loader/state.hpp"
#include "support/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct bpf_program;

namespace xdpml::loader {

// ---- Choosing the program in an object -------------------------------------------------------

struct ProgramSelection {
  std::string section; // --sec: ELF section of the program; "" = any
  std::string program; // --prog: function name of the program; "" = any
};

// What the loader knows about each program of an object before loading it.
struct ProgramCandidate {
  std::string name;
  std::string section;
  std::string type; // libbpf's name for the program type ("xdp", "sched_cls"), "" if unknown
  bool is_xdp() const { return type == "xdp"; }
};

// Picks the program to load: the one --sec/--prog name, or the object's only XDP program.
// A program in a section libbpf does not recognise is acceptable when named explicitly (it is
// then loaded as XDP, as `ip link ... sec NAME` does). Errors list what the object has;
// `sections` (the object's section names) is shown when it has no programs at all.
Result<size_t> select_program(const std::vector<ProgramCandidate>& candidates,
                              const ProgramSelection& selection, const std::string& object_path,
                              const std::vector<std::string>& sections);

// ---- Loading ---------------------------------------------------------------------------------

// An object opened by libbpf with one program chosen; owns the bpf_object (and, once loaded,
// the program's file descriptor, which keeps the program alive until it is attached).
class OpenedObject {
public:
  const std::string& path() const { return path_; }
  const std::string& absolute_path() const { return absolute_path_; }
  const ProgramCandidate& chosen() const { return chosen_; }
  // The object's I/O contract (compiled by xdpml), null when it has none.
  const nlohmann::json& contract() const { return contract_; }
  // Why an I/O contract section was ignored (not JSON, malformed), empty otherwise.
  const std::string& contract_problem() const { return contract_problem_; }
  bpf_object* object() const { return object_.get(); }
  bpf_program* program() const { return program_; }
  // The program's fd after load_object, -1 before.
  int program_fd() const;

private:
  friend Result<OpenedObject> open_object(const std::string&, const ProgramSelection&, LibraryLog&);
  std::string path_;
  std::string absolute_path_;
  ProgramCandidate chosen_;
  nlohmann::json contract_;
  std::string contract_problem_;
  BpfObject object_;
  bpf_program* program_ = nullptr; // owned by object_
};

// Opens the object and chooses its program. Fails only on the input: a missing, unreadable or
// malformed file, no XDP program, or --sec/--prog naming nothing.
Result<OpenedObject> open_object(const std::string& path, const ProgramSelection& selection,
                                 LibraryLog& log);

// Loads the chosen program (and the maps it uses) into the kernel; for hw mode bound to the
// interface's device. A verifier rejection names the instruction, its text, the model node and
// an excerpt of the verifier log.
Status load_object(OpenedObject& object, const Interface& interface, XdpMode mode, LibraryLog& log);

// ---- Attaching -------------------------------------------------------------------------------

struct AttachOutcome {
  ProgramInfo program;
  uint32_t replaced_id = 0; // the program swapped out by --replace
  std::string replaced_name;
  std::vector<std::string> warnings;
};

// Attaches the loaded program. Without `replace`, only if nothing is attached in that mode.
// With `replace`, atomically swaps the program attached in that mode (XDP_FLAGS_REPLACE with
// the old program's fd: the kernel refuses if it changed meanwhile, and there is no moment
// without a program); fails if nothing is attached in that mode.
Result<AttachOutcome> attach_program(const OpenedObject& object, const Interface& interface,
                                     XdpMode mode, bool replace, LibraryLog& log);

// Fails when `replace` is asked for but nothing is attached in `mode` (checked before loading,
// so the user hears about it first; attach_program checks again atomically).
Status check_replace_target(const Interface& interface, XdpMode mode);

// Records where the attached program came from (for `status`). Failing to record is not fatal
// for the caller: the program is attached either way.
Status remember_attachment(const StateStore& store, const Interface& interface, XdpMode mode,
                           const OpenedObject& object, uint32_t prog_id);

// ---- Detaching -------------------------------------------------------------------------------

struct DetachedProgram {
  XdpMode mode = XdpMode::Skb;
  uint32_t id = 0;
  std::string name;
  bool libxdp_dispatcher = false;
  int dispatcher_components = 0; // component programs detached with a dispatcher (if known)
  int components_left = -1;      // >= 0: only this component left a dispatcher that still runs
};

// Detaches the program attached in `mode`, or every attached program when `mode` is empty.
// Fails if nothing is attached (in that mode). Each detach names the program it expects, so a
// program attached meanwhile by someone else is left alone. A libxdp dispatcher whose state
// libxdp can read (bpffs) is detached through libxdp, which also removes its pins.
Result<std::vector<DetachedProgram>> detach_programs(const Interface& interface,
                                                     std::optional<XdpMode> mode, LibraryLog& log);

// In a libxdp dispatcher shared with other programs, removes only the program xdpml attached
// (by its record) and leaves the others running; nullopt when that does not apply (no
// dispatcher, no record, or ours is its only program: then detach_programs detaches it all).
Result<std::optional<DetachedProgram>> detach_own_component(const Interface& interface,
                                                            XdpMode mode, const StateStore& store,
                                                            LibraryLog& log);

// Drops records of programs that are no longer attached to the interface.
Status forget_detached(const StateStore& store, const Interface& interface);

// ---- Status ----------------------------------------------------------------------------------

struct DispatcherComponent {
  uint32_t id = 0;
  std::string name;
  unsigned run_priority = 0;
  std::optional<AttachmentRecord> origin; // when xdpml attached it
};

// A libxdp multi-program dispatcher (recognised by libxdp, or by its name when libxdp cannot
// read its state because bpffs is not mounted).
struct DispatcherView {
  bool components_known = false;
  std::vector<DispatcherComponent> components;
  std::string note; // why the components are unknown
};

struct AttachedProgram {
  XdpMode mode = XdpMode::Skb;
  uint32_t id = 0;
  std::optional<ProgramInfo> info;
  std::string info_error; // why info is missing (e.g. not root)
  std::optional<AttachmentRecord> origin;
  std::optional<DispatcherView> dispatcher;
};

struct InterfaceStatus {
  Interface interface;
  std::vector<AttachedProgram> programs;
};

Result<InterfaceStatus> interface_status(const Interface& interface, const StateStore& store,
                                         LibraryLog& log);

} // namespace xdpml::loader
