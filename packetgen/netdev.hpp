// AF_PACKET sockets bound to one network device: frames go out and come in as raw Ethernet, so
// neither end needs an IP configuration (the veth ends of `xdpml testbed` have none).
#pragma once

#include "packetgen/wire.hpp"
#include "support/result.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace xdpml::packetgen {

// The device's index, or an error naming it with a hint (`ip link`, the testbed namespace).
Result<int> device_index(const std::string& dev);
// The device's MAC address (SIOCGIFHWADDR).
Result<Mac> device_mac(const std::string& dev);
// "WHAT on device 'DEV': strerror(err)" with a hint for the usual causes (root, device down or
// missing).
Failure device_error(const std::string& dev, const std::string& what, int err);

struct SocketStats {
  uint64_t packets = 0; // frames the kernel queued to the socket (after our filter)
  uint64_t drops = 0;   // frames the kernel dropped because the receive buffer was full
};

class RawSocket {
public:
  RawSocket() = default;
  RawSocket(RawSocket&& o) noexcept;
  RawSocket& operator=(RawSocket&& o) noexcept;
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  ~RawSocket();

  // A send-only socket on `dev` (protocol 0: the kernel queues nothing to it).
  static Result<RawSocket> open_tx(const std::string& dev);
  // A receive socket on `dev` that sees what the device hands to the stack, i.e. frames after
  // the XDP program (XDP_PASS). A classic BPF filter keeps only frames with format's magic at its
  // offset, so other traffic cannot fill the buffer; the buffer is enlarged to `rcvbuf_bytes`
  // (SO_RCVBUFFORCE as root, else SO_RCVBUF up to net.core.rmem_max). Outgoing frames of the
  // device itself are ignored. With `foreign`, frames whose source MAC marks them as foreign
  // traffic (foreign.hpp: 02:fe:...) are let through too.
  static Result<RawSocket> open_rx(const std::string& dev, const WireFormat& format,
                                   bool foreign = false, int rcvbuf_bytes = 64 << 20);

  const std::string& device() const { return dev_; }
  int ifindex() const { return ifindex_; }
  const Mac& mac() const { return mac_; }
  int rcvbuf() const { return rcvbuf_; } // what the kernel granted (bytes, doubled by it)

  // Sends one frame. A full device queue (ENOBUFS/EAGAIN) is retried after a short pause, each
  // retry counted in *retries; other errors are returned.
  Status send(std::span<const uint8_t> frame, uint64_t* retries);
  // Waits up to timeout_ms for a frame and copies it into buf; returns the frame's length
  // (possibly larger than buf: the copy is truncated), 0 when none arrived in time or a signal
  // interrupted the wait.
  Result<size_t> receive(std::span<uint8_t> buf, int timeout_ms);
  // Up to kBatchFrames frames at once (recvmmsg), each copied into a slot of kSlotBytes; waits
  // up to timeout_ms for the first. Outgoing frames of the device are left out. Each entry's
  // `length` is the frame's real length (its `data` is cut at the slot when longer); empty when
  // nothing arrived in time or a signal interrupted the wait. Valid until the next call.
  struct Frame {
    std::span<const uint8_t> data;
    size_t length = 0;
  };
  static constexpr size_t kBatchFrames = 64;
  static constexpr size_t kSlotBytes = 2048;
  Result<std::span<const Frame>> receive_many(int timeout_ms);
  // PACKET_STATISTICS since the last call (the kernel resets them on read).
  SocketStats stats();

private:
  int fd_ = -1;
  int ifindex_ = 0;
  int rcvbuf_ = 0;
  Mac mac_{};
  std::string dev_;
  std::vector<uint8_t> slots_; // receive_many's buffers, allocated on first use
  std::vector<Frame> frames_;
};

} // namespace xdpml::packetgen
