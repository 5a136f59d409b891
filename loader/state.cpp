#include "loader/state.hpp"

#include "bpf/kernel.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fstream>
#include <sstream>
#include <system_error>

namespace xdpml::loader {

namespace {
// A record is a few KB (the contract without provenance); anything far larger is not one.
constexpr off_t kMaxRecordBytes = 16 << 20;
} // namespace

nlohmann::json to_json(const InterfaceRecord& record) {
  nlohmann::json modes = nlohmann::json::object();
  for (const auto& [mode, a] : record.by_mode)
    modes[std::string(mode_name(mode))] = {
        {"prog_id", a.prog_id}, {"object", a.object_path}, {"section", a.section},
        {"program", a.program}, {"contract", a.contract},  {"attached_at", a.attached_at}};
  return {{"netns_inode", record.netns_inode},
          {"ifindex", record.ifindex},
          {"ifname", record.ifname},
          {"modes", modes}};
}

namespace {
// An integer field within [0, max]: a float or an out-of-range number (`1e300`) would be
// undefined behaviour in get<>(), so it is refused like any other malformed field.
uint64_t integer_field(const nlohmann::json& object, const char* key, uint64_t max) {
  const auto& v = object.at(key);
  if (!v.is_number_integer() ||
      (v.is_number_unsigned()
           ? v.get<uint64_t>() > max
           : v.get<int64_t>() < 0 || static_cast<uint64_t>(v.get<int64_t>()) > max))
    throw nlohmann::json::type_error::create(
        302, std::string("field ") + key + " is not an integer in range", &v);
  return v.is_number_unsigned() ? v.get<uint64_t>() : static_cast<uint64_t>(v.get<int64_t>());
}
} // namespace

Result<InterfaceRecord> interface_record_from_json(const nlohmann::json& json) {
  try {
    InterfaceRecord record;
    record.netns_inode = integer_field(json, "netns_inode", UINT64_MAX);
    record.ifindex = static_cast<int>(integer_field(json, "ifindex", INT32_MAX));
    record.ifname = json.at("ifname").get<std::string>();
    for (const auto& [name, a] : json.at("modes").items()) {
      const auto mode = parse_mode(name);
      if (!mode) return fail("unknown XDP mode '" + name + "' in the state record");
      AttachmentRecord r;
      r.prog_id = static_cast<uint32_t>(integer_field(a, "prog_id", UINT32_MAX));
      r.object_path = a.at("object").get<std::string>();
      r.section = a.value("section", "");
      r.program = a.value("program", "");
      r.contract = a.value("contract", nlohmann::json());
      r.attached_at = a.value("attached_at", "");
      record.by_mode[*mode] = std::move(r);
    }
    return record;
  } catch (const nlohmann::json::exception& e) {
    return fail(std::string("malformed state record: ") + e.what());
  }
}

std::filesystem::path StateStore::path_for(uint64_t netns_inode, int ifindex) const {
  return directory_ / (std::to_string(netns_inode) + "-" + std::to_string(ifindex) + ".json");
}

std::optional<InterfaceRecord> StateStore::read(uint64_t netns_inode, int ifindex) const {
  // Only a regular file is a record. Anything else at its path (a directory, a FIFO, a device
  // node) must neither block (O_NONBLOCK: opening a FIFO would wait for a writer) nor throw
  // (reading a directory does): like a damaged record, it only costs the origin line.
  const auto path = path_for(netns_inode, ifindex);
  const bpf::Fd fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  struct stat info {};
  if (!fd || fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode) ||
      info.st_size > kMaxRecordBytes)
    return std::nullopt;
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::nullopt;
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
    if (text.size() > static_cast<size_t>(kMaxRecordBytes)) return std::nullopt;
  }
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return std::nullopt;
  auto record = interface_record_from_json(json);
  if (!record) return std::nullopt;
  // A record copied or renamed by hand must not describe another interface.
  if (record->netns_inode != netns_inode || record->ifindex != ifindex) return std::nullopt;
  return std::move(*record);
}

Status StateStore::write(const InterfaceRecord& record) const {
  const auto path = path_for(record.netns_inode, record.ifindex);
  std::error_code ec;
  if (record.by_mode.empty()) {
    std::filesystem::remove(path, ec);
    if (ec) return fail("cannot remove " + path.string() + ": " + ec.message());
    return ok_status();
  }
  std::filesystem::create_directories(directory_, ec);
  if (ec) return fail("cannot create " + directory_.string() + ": " + ec.message());
  // Concurrent loads on different interfaces write different files; the pid keeps the
  // temporary names of concurrent writers of the same file apart, and rename is atomic.
  const auto temporary = path.string() + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << to_json(record).dump(2) << '\n';
    if (!out.flush()) {
      std::filesystem::remove(temporary, ec);
      return fail("cannot write " + temporary);
    }
  }
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    return fail("cannot write " + path.string() + ": " + ec.message());
  }
  return ok_status();
}

Status StateStore::update(uint64_t netns_inode, int ifindex,
                          const std::function<void(InterfaceRecord&)>& change) const {
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec) return fail("cannot create " + directory_.string() + ": " + ec.message());
  const bpf::Fd lock(open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!lock || flock(lock.get(), LOCK_EX) != 0)
    return fail("cannot lock " + directory_.string() + ": " + std::strerror(errno));
  InterfaceRecord record;
  if (auto existing = read(netns_inode, ifindex)) record = std::move(*existing);
  record.netns_inode = netns_inode;
  record.ifindex = ifindex;
  change(record);
  return write(record); // the lock goes with the descriptor
}

} // namespace xdpml::loader
