// How `send`, `verify` and `measure` hand frames to the kernel: AF_XDP through libxdp's xsk API
// (xsk.hpp: a TX-only socket in copy mode) where the device takes it, else AF_PACKET with
// sendmmsg and PACKET_QDISC_BYPASS. Both sit behind FrameSender: reserve buffers, write frames
// into them, commit them in one batch.
//
// Neither path loses a frame of ours on its own: when the device's queue is full (AF_PACKET:
// ENOBUFS; AF_XDP: the kick returns EAGAIN without progress) the sender waits and tries again,
// and a frame the device dropped after taking it (AF_XDP: the kick returns EBUSY, "the skb was
// completed but not sent") is sent once more, after the rest of its batch. Both are counted.
#pragma once

#include "packetgen/wire.hpp"
#include "support/result.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xdpml::packetgen {

enum class SenderKind {
  Auto,     // AF_XDP where the device takes it, else AF_PACKET
  AfXdp,    // AF_XDP or an error
  AfPacket, // AF_PACKET (sendmmsg) only
};

std::optional<SenderKind> parse_sender_kind(std::string_view name); // auto | af_xdp | af_packet
const char* sender_kind_name(SenderKind kind);

// What the sender and the kernel counted since the sender was opened.
struct SenderCounters {
  uint64_t submitted = 0; // frames the kernel took (resent frames counted again)
  uint64_t resent = 0;    // frames the device dropped after taking them, sent again
  uint64_t retries = 0;   // waits on a full device queue before the kernel took more frames
  uint64_t syscalls = 0;  // sendmmsg calls / sendto kicks
  // AF_XDP only: getsockopt(XDP_STATISTICS) and completions reaped.
  bool xdp_statistics = false;
  uint64_t tx_invalid_descs = 0;    // descriptors the kernel refused (would be lost frames)
  uint64_t tx_ring_empty_descs = 0; // kicks that found the TX ring empty
  uint64_t completed = 0;           // frames the kernel is done with (completion ring)
};

class FrameSender {
public:
  virtual ~FrameSender() = default;
  FrameSender() = default;
  FrameSender(const FrameSender&) = delete;
  FrameSender& operator=(const FrameSender&) = delete;

  // "af_xdp" or "af_packet_mmsg": the path frames take (text and JSON reports).
  virtual const char* path() const = 0;
  // AF_XDP: "copy" (the kernel copies each frame into an skb; veth has no zero-copy);
  // AF_PACKET: "qdisc_bypass" (PACKET_QDISC_BYPASS, the driver directly) or "qdisc".
  virtual const char* mode() const = 0;
  // Bytes a reserved buffer holds (the largest frame).
  virtual uint32_t frame_capacity() const = 0;
  // Up to `max` buffers to write frames into, at least one: waits (bounded) while the kernel has
  // not released any. The buffers stay valid until commit().
  virtual Result<std::span<uint8_t* const>> reserve(size_t max) = 0;
  // Sends the first lengths.size() buffers of the last reserve(), in order, with these lengths;
  // returns once the kernel has taken all of them (unused reserved buffers go back).
  virtual Status commit(std::span<const uint32_t> lengths) = 0;
  // Waits until the kernel has released every frame it took (AF_XDP: completions), at most
  // timeout_s; a timeout is not an error (the frames left, their buffers are just not back).
  virtual Status drain(double timeout_s) = 0;
  virtual SenderCounters counters() = 0;

  const std::string& device() const { return dev_; }
  int ifindex() const { return ifindex_; }
  const Mac& mac() const { return mac_; }

  // One frame, copied into a buffer and committed (measure's round trips).
  Status send_one(std::span<const uint8_t> frame);

protected:
  std::string dev_;
  int ifindex_ = 0;
  Mac mac_{};
};

struct OpenedSender {
  std::unique_ptr<FrameSender> sender;
  // Why a faster path was not taken (auto), e.g. "af_xdp unavailable on eth0: ...".
  std::vector<std::string> notes;
};

// The sender of `kind` on `dev`. Auto tries AF_XDP first and falls back to AF_PACKET with a note
// saying why; AfXdp fails instead. `batch` is the most frames one commit() sends.
Result<OpenedSender> open_sender(const std::string& dev, SenderKind kind, uint32_t batch = 64);

// AF_PACKET: a send-only packet socket bound to `dev`, frames sent with sendmmsg in batches;
// PACKET_QDISC_BYPASS where the kernel allows it (the driver is called directly, as AF_XDP does).
Result<std::unique_ptr<FrameSender>> open_packet_sender(const std::string& dev, uint32_t batch);

// The device's own counters (/sys/class/net/DEV/statistics), e.g. taken before and after a run.
struct DeviceCounters {
  uint64_t tx_packets = 0, tx_dropped = 0, tx_errors = 0;
  uint64_t rx_packets = 0, rx_dropped = 0, rx_errors = 0;
};
std::optional<DeviceCounters> read_device_counters(const std::string& dev);
DeviceCounters operator-(const DeviceCounters& after, const DeviceCounters& before);

} // namespace xdpml::packetgen
