// Classic pcap capture files (the libpcap format tcpdump and Wireshark read): a 24-byte file
// header, then per frame a 16-byte record header and the frame. Written by hand because the
// format is this small; link type 1 (Ethernet), microsecond timestamps, little-endian.
#pragma once

#include "support/result.hpp"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace xdpml::packetgen {

constexpr uint32_t kPcapMagic = 0xa1b2c3d4; // microsecond resolution
constexpr uint32_t kPcapSnaplen = 65535;
constexpr uint32_t kPcapLinkEthernet = 1;

// The 24-byte file header and the 16-byte record header, as bytes (for tests and the writer).
std::vector<uint8_t> pcap_file_header();
std::vector<uint8_t> pcap_record_header(uint64_t time_ns, uint32_t captured, uint32_t length);

class PcapWriter {
public:
  // Creates (truncates) the file and writes the file header.
  static Result<PcapWriter> open(const std::string& path);
  // time_ns: nanoseconds since the epoch (CLOCK_REALTIME).
  Status write(std::span<const uint8_t> frame, uint64_t time_ns);
  // Flushes and closes; reports write errors (a full disk) that fwrite may have deferred.
  Status close();
  uint64_t frames() const { return frames_; }
  const std::string& path() const { return path_; }

private:
  struct Closer {
    void operator()(std::FILE* f) const {
      if (f) std::fclose(f);
    }
  };
  std::unique_ptr<std::FILE, Closer> file_;
  std::string path_;
  uint64_t frames_ = 0;
};

} // namespace xdpml::packetgen
