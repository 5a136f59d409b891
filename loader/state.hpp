// What xdpml remembers about the programs it attached: the kernel knows a program's id, name
// and tag but not which object file or model it came from, so `load` writes that down and
// `status` shows it — only while the recorded program id is still the one attached.
//
// One JSON file per interface, <dir>/<netns inode>-<ifindex>.json (ifindexes repeat across
// network namespaces, the pair does not), holding one record per attach mode.
#pragma once

#include "loader/netdev.hpp"
#include "support/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace xdpml::loader {

// /run is a tmpfs: records vanish on reboot, as attachments do.
constexpr const char* kDefaultStateDirectory = "/run/xdpml";

struct AttachmentRecord {
  uint32_t prog_id = 0;
  std::string object_path; // absolute
  std::string section;
  std::string program;
  nlohmann::json contract; // the object's I/O contract without provenance; null if none
  std::string attached_at; // ISO 8601 UTC
};

struct InterfaceRecord {
  uint64_t netns_inode = 0;
  int ifindex = 0;
  std::string ifname;
  std::map<XdpMode, AttachmentRecord> by_mode;
};

nlohmann::json to_json(const InterfaceRecord& record);
Result<InterfaceRecord> interface_record_from_json(const nlohmann::json& json);

class StateStore {
public:
  explicit StateStore(std::filesystem::path directory = kDefaultStateDirectory)
      : directory_(std::move(directory)) {}

  std::filesystem::path path_for(uint64_t netns_inode, int ifindex) const;
  // The record of one interface; nullopt when there is none, it cannot be read or it is not a
  // regular file (a damaged record only costs the origin line in `status`, so it is not an
  // error; a FIFO or directory there neither blocks nor throws).
  std::optional<InterfaceRecord> read(uint64_t netns_inode, int ifindex) const;
  // Writes atomically (temporary file + rename), creating the directory; an empty record
  // removes the file.
  Status write(const InterfaceRecord& record) const;
  // Read-modify-write of one interface's record under an exclusive lock on the directory, so
  // that concurrent loads on one interface (say hw and skb) do not lose each other's records.
  // `change` gets the current record (or an empty one with the keys filled in).
  Status update(uint64_t netns_inode, int ifindex,
                const std::function<void(InterfaceRecord&)>& change) const;

private:
  std::filesystem::path directory_;
};

} // namespace xdpml::loader
