// Network interfaces and the XDP programs attached to them, as the kernel reports them:
// interface lookup in the current network namespace, XDP attach modes, netlink queries
// (bpf_xdp_query) and program metadata (BPF_OBJ_GET_INFO_BY_FD).
#pragma once

#include "support/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xdpml::loader {

// The three places an XDP program can run. The names are the CLI's (`--mode skb|native|hw`),
// which are also what `ip link` calls xdpgeneric/xdpdrv/xdpoffload.
enum class XdpMode { Skb, Native, Hw };

std::string_view mode_name(XdpMode mode);
std::optional<XdpMode> parse_mode(std::string_view name);
// XDP_FLAGS_SKB_MODE / XDP_FLAGS_DRV_MODE / XDP_FLAGS_HW_MODE.
uint32_t mode_flag(XdpMode mode);
constexpr XdpMode kAllModes[] = {XdpMode::Skb, XdpMode::Native, XdpMode::Hw};

struct Interface {
  int ifindex = 0;
  std::string name;
};

// The interface called `name` in the current network namespace.
Result<Interface> find_interface(const std::string& name);
// Every interface of the current network namespace, in ifindex order.
Result<std::vector<Interface>> list_interfaces();
// Inode of the current network namespace: with the ifindex it names an interface uniquely
// on this machine (ifindexes repeat across namespaces).
Result<uint64_t> current_netns_inode();

// Program ids attached to one interface, per mode (0 = none). The kernel allows a hw program
// next to a skb or native one, but not skb and native together.
struct Attachments {
  uint32_t skb = 0;
  uint32_t native = 0;
  uint32_t hw = 0;

  uint32_t id(XdpMode mode) const;
  bool any() const { return skb || native || hw; }
  // The attached (mode, id) pairs, in kAllModes order.
  std::vector<std::pair<XdpMode, uint32_t>> attached() const;
};

Result<Attachments> query_attachments(const Interface& interface);

struct ProgramInfo {
  uint32_t id = 0;
  std::string name;
  std::string tag; // 16 hex digits
  uint32_t xlated_bytes = 0;
  uint32_t jited_bytes = 0;
  std::string loaded_at; // ISO 8601 UTC, "" if unknown
  std::vector<uint32_t> map_ids;
};

// Metadata of a loaded program by id (needs the privileges of BPF_PROG_GET_FD_BY_ID).
Result<ProgramInfo> program_info(uint32_t id);
// Same, for a program file descriptor we hold.
Result<ProgramInfo> program_info_from_fd(int fd);

// Converts a kernel load time (ns since boot, CLOCK_BOOTTIME) to ISO 8601 UTC.
std::string boot_time_to_iso8601(uint64_t ns_since_boot);

} // namespace xdpml::loader
