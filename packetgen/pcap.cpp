#include "packetgen/pcap.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace xdpml::packetgen {

namespace {
void put_le16(std::vector<uint8_t>& out, uint16_t v) {
  for (int i = 0; i < 2; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_le32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
Failure io_error(const std::string& path, const std::string& what) {
  return fail("cannot " + what + " '" + path + "': " + std::strerror(errno), {path});
}
} // namespace

std::vector<uint8_t> pcap_file_header() {
  std::vector<uint8_t> h;
  put_le32(h, kPcapMagic);
  put_le16(h, 2); // version 2.4
  put_le16(h, 4);
  put_le32(h, 0); // thiszone: timestamps are UTC
  put_le32(h, 0); // sigfigs
  put_le32(h, kPcapSnaplen);
  put_le32(h, kPcapLinkEthernet);
  return h;
}

std::vector<uint8_t> pcap_record_header(uint64_t time_ns, uint32_t captured, uint32_t length) {
  std::vector<uint8_t> h;
  put_le32(h, static_cast<uint32_t>(time_ns / 1000000000u));
  put_le32(h, static_cast<uint32_t>(time_ns % 1000000000u / 1000u));
  put_le32(h, captured);
  put_le32(h, length);
  return h;
}

Result<PcapWriter> PcapWriter::open(const std::string& path) {
  PcapWriter w;
  w.path_ = path;
  w.file_.reset(std::fopen(path.c_str(), "wb"));
  if (!w.file_) return io_error(path, "create");
  const auto h = pcap_file_header();
  if (std::fwrite(h.data(), 1, h.size(), w.file_.get()) != h.size()) return io_error(path, "write");
  return w;
}

Status PcapWriter::write(std::span<const uint8_t> frame, uint64_t time_ns) {
  if (!file_) return fail("pcap file '" + path_ + "' is closed");
  const uint32_t len = static_cast<uint32_t>(frame.size());
  const uint32_t cap = std::min(len, kPcapSnaplen);
  const auto h = pcap_record_header(time_ns, cap, len);
  if (std::fwrite(h.data(), 1, h.size(), file_.get()) != h.size() ||
      std::fwrite(frame.data(), 1, cap, file_.get()) != cap)
    return io_error(path_, "write");
  ++frames_;
  return ok_status();
}

Status PcapWriter::close() {
  if (!file_) return ok_status();
  std::FILE* f = file_.release();
  const bool flushed = std::fflush(f) == 0;
  const bool closed = std::fclose(f) == 0;
  if (!flushed || !closed) return io_error(path_, "write");
  return ok_status();
}

} // namespace xdpml::packetgen
