#include "loader/netdev.hpp"

#include "bpf/kernel.hpp"
#include "loader/library.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

namespace xdpml::loader {

std::string_view mode_name(XdpMode mode) {
  switch (mode) {
  case XdpMode::Skb:
    return "skb";
  case XdpMode::Native:
    return "native";
  case XdpMode::Hw:
    return "hw";
  }
  return "skb";
}

std::optional<XdpMode> parse_mode(std::string_view name) {
  for (auto mode : kAllModes)
    if (mode_name(mode) == name) return mode;
  return std::nullopt;
}

uint32_t mode_flag(XdpMode mode) {
  switch (mode) {
  case XdpMode::Skb:
    return XDP_FLAGS_SKB_MODE;
  case XdpMode::Native:
    return XDP_FLAGS_DRV_MODE;
  case XdpMode::Hw:
    return XDP_FLAGS_HW_MODE;
  }
  return XDP_FLAGS_SKB_MODE;
}

Result<Interface> find_interface(const std::string& name) {
  const unsigned index = if_nametoindex(name.c_str());
  if (index == 0)
    return fail("no network interface named '" + name + "' in this network namespace", {},
                "`ip link` lists the interfaces; for one inside a namespace run xdpml under "
                "`ip netns exec NAMESPACE`");
  return Interface{static_cast<int>(index), name};
}

Result<std::vector<Interface>> list_interfaces() {
  struct if_nameindex* all = ::if_nameindex();
  if (!all)
    return fail("cannot list the network interfaces: " + describe_errno(errno), {"<kernel>"});
  std::vector<Interface> out;
  for (auto* entry = all; entry->if_index != 0; ++entry)
    out.push_back({static_cast<int>(entry->if_index), std::string(entry->if_name)});
  if_freenameindex(all);
  std::sort(out.begin(), out.end(),
            [](const Interface& a, const Interface& b) { return a.ifindex < b.ifindex; });
  return out;
}

Result<uint64_t> current_netns_inode() {
  struct stat st {};
  if (stat("/proc/self/ns/net", &st) != 0)
    return fail("cannot identify the current network namespace (/proc/self/ns/net): " +
                    describe_errno(errno),
                {"<kernel>"}, "is /proc mounted?");
  return static_cast<uint64_t>(st.st_ino);
}

uint32_t Attachments::id(XdpMode mode) const {
  switch (mode) {
  case XdpMode::Skb:
    return skb;
  case XdpMode::Native:
    return native;
  case XdpMode::Hw:
    return hw;
  }
  return 0;
}

std::vector<std::pair<XdpMode, uint32_t>> Attachments::attached() const {
  std::vector<std::pair<XdpMode, uint32_t>> out;
  for (auto mode : kAllModes)
    if (id(mode)) out.emplace_back(mode, id(mode));
  return out;
}

Result<Attachments> query_attachments(const Interface& interface) {
  LIBBPF_OPTS(bpf_xdp_query_opts, query);
  const int err = libbpf_int_error(bpf_xdp_query(interface.ifindex, 0, &query));
  if (err)
    return fail("cannot query the XDP programs of '" + interface.name + "': " + describe_errno(err),
                {"<kernel>"});
  Attachments a;
  a.skb = query.skb_prog_id;
  a.native = query.drv_prog_id;
  a.hw = query.hw_prog_id;
  return a;
}

std::string boot_time_to_iso8601(uint64_t ns_since_boot) {
  timespec realtime{}, boottime{};
  clock_gettime(CLOCK_REALTIME, &realtime);
  clock_gettime(CLOCK_BOOTTIME, &boottime);
  const int64_t boot_epoch_ns =
      (static_cast<int64_t>(realtime.tv_sec) - boottime.tv_sec) * 1'000'000'000LL +
      (realtime.tv_nsec - boottime.tv_nsec);
  const time_t seconds =
      static_cast<time_t>((boot_epoch_ns + static_cast<int64_t>(ns_since_boot)) / 1'000'000'000LL);
  tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

Result<ProgramInfo> program_info_from_fd(int fd) {
  bpf_prog_info info{};
  uint32_t length = sizeof info;
  int err = libbpf_int_error(bpf_obj_get_info_by_fd(fd, &info, &length));
  if (err) return fail("cannot read program information: " + describe_errno(err), {"<kernel>"});
  // A second call fills the map ids, now that we know how many there are.
  std::vector<uint32_t> map_ids(info.nr_map_ids);
  if (!map_ids.empty()) {
    const uint32_t count = info.nr_map_ids;
    info = {};
    info.nr_map_ids = count;
    info.map_ids = reinterpret_cast<uint64_t>(map_ids.data());
    length = sizeof info;
    err = libbpf_int_error(bpf_obj_get_info_by_fd(fd, &info, &length));
    if (err) return fail("cannot read program information: " + describe_errno(err), {"<kernel>"});
    map_ids.resize(std::min(count, info.nr_map_ids));
  }
  ProgramInfo out;
  out.id = info.id;
  out.name = info.name;
  static const char* hex = "0123456789abcdef";
  for (unsigned char byte : info.tag) {
    out.tag += hex[byte >> 4];
    out.tag += hex[byte & 15];
  }
  out.xlated_bytes = info.xlated_prog_len;
  out.jited_bytes = info.jited_prog_len;
  if (info.load_time) out.loaded_at = boot_time_to_iso8601(info.load_time);
  out.map_ids = std::move(map_ids);
  return out;
}

Result<ProgramInfo> program_info(uint32_t id) {
  const int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0) {
    const int err = libbpf_int_error(fd);
    if (err == EPERM || err == EACCES)
      return fail("cannot read program " + std::to_string(id) + ": " + describe_errno(err),
                  {"<kernel>"}, "reading program details needs root (CAP_SYS_ADMIN)");
    return fail("cannot read program " + std::to_string(id) + ": " + describe_errno(err),
                {"<kernel>"});
  }
  bpf::Fd owned(fd);
  return program_info_from_fd(owned.get());
}

} // namespace xdpml::loader
