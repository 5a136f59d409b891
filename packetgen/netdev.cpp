#include "packetgen/netdev.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

namespace xdpml::packetgen {

namespace {

Failure sys_error(const std::string& dev, const std::string& what, int err) {
  std::string hint;
  if (err == EPERM || err == EACCES)
    hint = "raw packet sockets need CAP_NET_RAW: run as root";
  else if (err == ENETDOWN)
    hint = "bring the device up: ip link set dev " + dev + " up";
  else if (err == ENODEV || err == ENXIO)
    hint = "check the name with `ip link`; inside a testbed run `ip netns exec NAME xdpml ...`";
  return fail(what + " on device '" + dev + "': " + std::strerror(err), {}, hint);
}

Result<int> lookup_device(const std::string& dev) {
  if (dev.empty() || dev.size() >= IFNAMSIZ)
    return fail("'" + dev + "' is not a valid network device name", {},
                "device names have 1 to 15 characters");
  const unsigned idx = if_nametoindex(dev.c_str());
  if (idx == 0)
    return fail("no network device '" + dev + "' here", {},
                "check the name with `ip link`; for a testbed run `ip netns exec NAME xdpml ...`");
  return static_cast<int>(idx);
}

Status read_mac(int fd, const std::string& dev, Mac* mac) {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, dev.c_str(), dev.size());
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) return sys_error(dev, "reading the MAC address", errno);
  std::memcpy(mac->data(), ifr.ifr_hwaddr.sa_data, 6);
  return ok_status();
}

} // namespace

Result<int> device_index(const std::string& dev) {
  return lookup_device(dev);
}

Result<Mac> device_mac(const std::string& dev) {
  if (auto idx = lookup_device(dev); !idx) return idx.failure();
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_error(dev, "opening a socket", errno);
  Mac mac{};
  auto st = read_mac(fd, dev, &mac);
  ::close(fd);
  if (!st) return st.failure();
  return mac;
}

Failure device_error(const std::string& dev, const std::string& what, int err) {
  return sys_error(dev, what, err);
}

RawSocket::RawSocket(RawSocket&& o) noexcept {
  *this = std::move(o);
}

RawSocket& RawSocket::operator=(RawSocket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    ifindex_ = o.ifindex_;
    rcvbuf_ = o.rcvbuf_;
    mac_ = o.mac_;
    dev_ = std::move(o.dev_);
    slots_ = std::move(o.slots_);
    frames_ = std::move(o.frames_);
    o.fd_ = -1;
  }
  return *this;
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) ::close(fd_);
}

Result<RawSocket> RawSocket::open_tx(const std::string& dev) {
  auto idx = lookup_device(dev);
  if (!idx) return idx.failure();
  RawSocket s;
  s.dev_ = dev;
  s.ifindex_ = *idx;
  // Protocol 0: this socket never receives, so nothing accumulates in its buffer.
  s.fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (s.fd_ < 0) return sys_error(dev, "opening a packet socket", errno);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = s.ifindex_;
  if (::bind(s.fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0)
    return sys_error(dev, "binding a packet socket", errno);
  if (auto st = read_mac(s.fd_, dev, &s.mac_); !st) return st.failure();
  return s;
}

Result<RawSocket> RawSocket::open_rx(const std::string& dev, const WireFormat& format, bool foreign,
                                     int rcvbuf_bytes) {
  auto idx = lookup_device(dev);
  if (!idx) return idx.failure();
  RawSocket s;
  s.dev_ = dev;
  s.ifindex_ = *idx;
  // Created with protocol 0 and bound with ETH_P_ALL only after the filter is attached: a socket
  // created with ETH_P_ALL would queue frames of every device before bind() narrows it down.
  s.fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (s.fd_ < 0) return sys_error(dev, "opening a packet socket", errno);
  // Classic BPF: accept iff the 8 magic bytes are at magic_offset (BPF_ABS loads are
  // big-endian, the magic is little-endian on the wire, hence the byte order below).
  uint8_t m[8];
  store_le64(m, format.magic);
  const uint32_t hi = uint32_t{m[0]} << 24 | uint32_t{m[1]} << 16 | uint32_t{m[2]} << 8 | m[3];
  const uint32_t lo = uint32_t{m[4]} << 24 | uint32_t{m[5]} << 16 | uint32_t{m[6]} << 8 | m[7];
  // With foreign traffic the source MAC's first two bytes are looked at first (they exist in
  // every frame; a load past the end of a short frame would end the filter with "drop").
  sock_filter code[] = {
      {BPF_LD | BPF_H | BPF_ABS, 0, 0, 6},
      {BPF_JMP | BPF_JEQ | BPF_K, 4, 0, 0x02fe},
      {BPF_LD | BPF_W | BPF_ABS, 0, 0, format.magic_offset},
      {BPF_JMP | BPF_JEQ | BPF_K, 0, 3, hi},
      {BPF_LD | BPF_W | BPF_ABS, 0, 0, format.magic_offset + 4},
      {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, lo},
      {BPF_RET | BPF_K, 0, 0, 0x40000},
      {BPF_RET | BPF_K, 0, 0, 0},
  };
  const size_t skip = foreign ? 0 : 2;
  sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0] - skip), code + skip};
  if (::setsockopt(s.fd_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
    return sys_error(dev, "attaching the socket filter", errno);
  // A large buffer absorbs bursts while this thread is not scheduled. FORCE ignores rmem_max
  // but needs CAP_NET_ADMIN; without it the plain option is capped by net.core.rmem_max.
  if (::setsockopt(s.fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf_bytes, sizeof rcvbuf_bytes) != 0)
    (void)::setsockopt(s.fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof rcvbuf_bytes);
  socklen_t len = sizeof s.rcvbuf_;
  (void)::getsockopt(s.fd_, SOL_SOCKET, SO_RCVBUF, &s.rcvbuf_, &len);
  const int one = 1;
  // Frames the device transmits itself are not what came through its XDP hook. (Old kernels
  // lack the option; receive() also skips PACKET_OUTGOING.)
  (void)::setsockopt(s.fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = s.ifindex_;
  if (::bind(s.fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0)
    return sys_error(dev, "binding a packet socket", errno);
  if (auto st = read_mac(s.fd_, dev, &s.mac_); !st) return st.failure();
  (void)s.stats(); // start the counters now
  return s;
}

Status RawSocket::send(std::span<const uint8_t> frame, uint64_t* retries) {
  for (int attempt = 0;; ++attempt) {
    const ssize_t n = ::send(fd_, frame.data(), frame.size(), 0);
    if (n == static_cast<ssize_t>(frame.size())) return ok_status();
    if (n >= 0) return fail("short send on device '" + dev_ + "'");
    const int err = errno;
    if (err == EINTR) continue;
    // The device queue is full: wait a little instead of dropping the frame ourselves. Bounded,
    // so that a device that never drains is reported instead of hanging the sender.
    if ((err == ENOBUFS || err == EAGAIN) && attempt < 100000) {
      if (retries) ++*retries;
      timespec ts{0, 20000};
      ::nanosleep(&ts, nullptr);
      continue;
    }
    return sys_error(dev_, "sending a frame", err);
  }
}

Result<size_t> RawSocket::receive(std::span<uint8_t> buf, int timeout_ms) {
  for (;;) {
    sockaddr_ll from{};
    socklen_t fromlen = sizeof from;
    const ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC,
                                 reinterpret_cast<sockaddr*>(&from), &fromlen);
    if (n >= 0) {
      if (from.sll_pkttype == PACKET_OUTGOING) continue;
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) return size_t{0};
    if (errno != EAGAIN && errno != EWOULDBLOCK) return sys_error(dev_, "receiving a frame", errno);
    if (timeout_ms <= 0) return size_t{0};
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno != EINTR) return sys_error(dev_, "waiting for frames", errno);
    if (r <= 0) return size_t{0};
    timeout_ms = 0; // readable now: one more non-blocking attempt
  }
}

Result<std::span<const RawSocket::Frame>> RawSocket::receive_many(int timeout_ms) {
  if (slots_.empty()) slots_.resize(kBatchFrames * kSlotBytes);
  mmsghdr msgs[kBatchFrames];
  iovec iov[kBatchFrames];
  sockaddr_ll from[kBatchFrames];
  for (;;) {
    for (size_t k = 0; k < kBatchFrames; ++k) {
      iov[k] = {slots_.data() + k * kSlotBytes, kSlotBytes};
      msgs[k] = {};
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
      msgs[k].msg_hdr.msg_name = &from[k];
      msgs[k].msg_hdr.msg_namelen = sizeof from[k];
    }
    const int n = ::recvmmsg(fd_, msgs, kBatchFrames, MSG_DONTWAIT | MSG_TRUNC, nullptr);
    if (n > 0) {
      frames_.clear();
      for (int k = 0; k < n; ++k) {
        if (from[k].sll_pkttype == PACKET_OUTGOING) continue;
        const size_t len = msgs[k].msg_len;
        frames_.push_back({{slots_.data() + static_cast<size_t>(k) * kSlotBytes,
                            std::min<size_t>(len, kSlotBytes)},
                           len});
      }
      if (frames_.empty()) continue;
      return std::span<const Frame>(frames_);
    }
    if (n < 0 && errno == EINTR) return std::span<const Frame>{};
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      return sys_error(dev_, "receiving frames", errno);
    if (timeout_ms <= 0) return std::span<const Frame>{};
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno != EINTR) return sys_error(dev_, "waiting for frames", errno);
    if (r <= 0) return std::span<const Frame>{};
    timeout_ms = 0; // readable now: one more non-blocking attempt
  }
}

SocketStats RawSocket::stats() {
  tpacket_stats st{};
  socklen_t len = sizeof st;
  if (::getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0) return {};
  return {st.tp_packets, st.tp_drops};
}

} // namespace xdpml::packetgen
