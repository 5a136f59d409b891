#include "packetgen/sender.hpp"

#include "packetgen/netdev.hpp"
#include "packetgen/xsk.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

namespace xdpml::packetgen {

std::optional<SenderKind> parse_sender_kind(std::string_view name) {
  if (name == "auto") return SenderKind::Auto;
  if (name == "af_xdp") return SenderKind::AfXdp;
  if (name == "af_packet") return SenderKind::AfPacket;
  return std::nullopt;
}

const char* sender_kind_name(SenderKind kind) {
  switch (kind) {
  case SenderKind::AfXdp:
    return "af_xdp";
  case SenderKind::AfPacket:
    return "af_packet";
  case SenderKind::Auto:
    break;
  }
  return "auto";
}

Status FrameSender::send_one(std::span<const uint8_t> frame) {
  if (frame.size() > frame_capacity())
    return fail("a frame of " + std::to_string(frame.size()) + " bytes does not fit the " +
                std::to_string(frame_capacity()) + "-byte buffers of the " + path() + " sender");
  auto bufs = reserve(1);
  if (!bufs) return bufs.failure();
  std::memcpy((*bufs)[0], frame.data(), frame.size());
  const uint32_t len = static_cast<uint32_t>(frame.size());
  return commit({&len, 1});
}

namespace {

constexpr uint32_t kPacketBufferBytes = 2048;

// Backing off on a full device queue: 20 us per wait, at most this many waits in a row without
// the kernel taking a frame before the device counts as stuck.
constexpr int kMaxWaits = 100000;

void pause_us(long us) {
  timespec ts{0, us * 1000};
  ::nanosleep(&ts, nullptr);
}

class PacketSender final : public FrameSender {
public:
  ~PacketSender() override {
    if (fd_ >= 0) ::close(fd_);
  }

  static Result<std::unique_ptr<FrameSender>> open(const std::string& dev, uint32_t batch) {
    auto idx = device_index(dev);
    if (!idx) return idx.failure();
    auto mac = device_mac(dev);
    if (!mac) return mac.failure();
    auto s = std::unique_ptr<PacketSender>(new PacketSender);
    s->dev_ = dev;
    s->ifindex_ = *idx;
    s->mac_ = *mac;
    // Protocol 0: this socket never receives, so nothing accumulates in its buffer.
    s->fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (s->fd_ < 0) return device_error(dev, "opening a packet socket", errno);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = s->ifindex_;
    if (::bind(s->fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0)
      return device_error(dev, "binding a packet socket", errno);
    const int one = 1;
    s->bypass_ = ::setsockopt(s->fd_, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) == 0;
    s->batch_ = std::max<uint32_t>(batch, 1);
    s->storage_.resize(size_t{s->batch_} * kPacketBufferBytes);
    for (uint32_t k = 0; k < s->batch_; ++k)
      s->buffers_.push_back(s->storage_.data() + size_t{k} * kPacketBufferBytes);
    s->iov_.resize(s->batch_);
    s->msgs_.resize(s->batch_);
    return std::unique_ptr<FrameSender>(std::move(s));
  }

  const char* path() const override { return "af_packet_mmsg"; }
  const char* mode() const override { return bypass_ ? "qdisc_bypass" : "qdisc"; }
  uint32_t frame_capacity() const override { return kPacketBufferBytes; }

  Result<std::span<uint8_t* const>> reserve(size_t max) override {
    const size_t n = std::clamp<size_t>(max, 1, batch_);
    return std::span<uint8_t* const>(buffers_.data(), n);
  }

  Status commit(std::span<const uint32_t> lengths) override {
    const size_t n = std::min<size_t>(lengths.size(), batch_);
    for (size_t k = 0; k < n; ++k) {
      iov_[k] = {buffers_[k], lengths[k]};
      msgs_[k] = {};
      msgs_[k].msg_hdr.msg_iov = &iov_[k];
      msgs_[k].msg_hdr.msg_iovlen = 1;
    }
    size_t done = 0;
    int waits = 0;
    while (done < n) {
      ++c_.syscalls;
      const int r = ::sendmmsg(fd_, msgs_.data() + done, static_cast<unsigned>(n - done), 0);
      if (r > 0) {
        done += static_cast<size_t>(r);
        c_.submitted += static_cast<uint64_t>(r);
        waits = 0;
        continue;
      }
      const int err = r == 0 ? EAGAIN : errno;
      if (err == EINTR) continue;
      // The device queue is full (with the qdisc bypassed, a frame the driver refused comes
      // back as ENOBUFS and was not sent): wait a little and send it again, bounded, so that
      // a device that never drains is reported instead of hanging the sender.
      if ((err == ENOBUFS || err == EAGAIN) && waits < kMaxWaits) {
        ++c_.retries;
        ++waits;
        pause_us(20);
        continue;
      }
      return device_error(dev_, "sending frames (sendmmsg)", err);
    }
    return ok_status();
  }

  Status drain(double) override { return ok_status(); } // sendmmsg returned: the kernel has them
  SenderCounters counters() override { return c_; }

private:
  PacketSender() = default;
  int fd_ = -1;
  bool bypass_ = false;
  uint32_t batch_ = 1;
  std::vector<uint8_t> storage_;
  std::vector<uint8_t*> buffers_;
  std::vector<iovec> iov_;
  std::vector<mmsghdr> msgs_;
  SenderCounters c_;
};

} // namespace

Result<std::unique_ptr<FrameSender>> open_packet_sender(const std::string& dev, uint32_t batch) {
  return PacketSender::open(dev, batch);
}

Result<OpenedSender> open_sender(const std::string& dev, SenderKind kind, uint32_t batch) {
  OpenedSender o;
  if (kind != SenderKind::AfPacket) {
    auto x = open_xsk_sender(dev, XskConfig{});
    if (x) {
      o.sender = std::move(*x);
      return o;
    }
    if (kind == SenderKind::AfXdp) return x.failure();
    const auto& items = x.diagnostics().items();
    o.notes.push_back("AF_XDP is not available on " + dev + " (" +
                      (items.empty() ? std::string("unknown reason") : items.front().message) +
                      "): sending with AF_PACKET");
  }
  auto p = open_packet_sender(dev, batch);
  if (!p) return p.failure();
  o.sender = std::move(*p);
  return o;
}

std::optional<DeviceCounters> read_device_counters(const std::string& dev) {
  if (dev.empty() || dev.find('/') != std::string::npos || dev == "." || dev == "..")
    return std::nullopt;
  const std::string dir = "/sys/class/net/" + dev + "/statistics/";
  auto get = [&](const char* name, uint64_t* out) {
    std::ifstream in(dir + name);
    return static_cast<bool>(in >> *out);
  };
  DeviceCounters c;
  if (!get("tx_packets", &c.tx_packets) || !get("tx_dropped", &c.tx_dropped) ||
      !get("tx_errors", &c.tx_errors) || !get("rx_packets", &c.rx_packets) ||
      !get("rx_dropped", &c.rx_dropped) || !get("rx_errors", &c.rx_errors))
    return std::nullopt;
  return c;
}

DeviceCounters operator-(const DeviceCounters& a, const DeviceCounters& b) {
  return {a.tx_packets - b.tx_packets, a.tx_dropped - b.tx_dropped, a.tx_errors - b.tx_errors,
          a.rx_packets - b.rx_packets, a.rx_dropped - b.rx_dropped, a.rx_errors - b.rx_errors};
}

} // namespace xdpml::packetgen
