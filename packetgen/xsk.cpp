#include "packetgen/xsk.hpp"

#include "packetgen/netdev.hpp"

#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <linux/if_xdp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <vector>

namespace xdpml::packetgen {

namespace {

// libxdp's messages while the socket is set up: kept (the last one goes into the error's hint)
// instead of printed, and the previous print hook restored afterwards.
std::string* g_libxdp_last = nullptr;

int capture_libxdp(enum libxdp_print_level level, const char* format, va_list args) {
  if (g_libxdp_last && level <= LIBXDP_WARN) {
    char buf[512];
    std::vsnprintf(buf, sizeof buf, format, args);
    std::string line = buf;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    *g_libxdp_last = line;
  }
  return 0;
}

class LibxdpQuiet {
public:
  explicit LibxdpQuiet(std::string* last) {
    g_libxdp_last = last;
    previous_ = libxdp_set_print(capture_libxdp);
  }
  ~LibxdpQuiet() {
    libxdp_set_print(previous_);
    g_libxdp_last = nullptr;
  }
  LibxdpQuiet(const LibxdpQuiet&) = delete;
  LibxdpQuiet& operator=(const LibxdpQuiet&) = delete;

private:
  libxdp_print_fn_t previous_ = nullptr;
};

// The UMEM area: anonymous memory, page-aligned as the kernel requires.
class MappedArea {
public:
  MappedArea() = default;
  ~MappedArea() {
    if (p_) ::munmap(p_, n_);
  }
  MappedArea(const MappedArea&) = delete;
  MappedArea& operator=(const MappedArea&) = delete;
  bool map(size_t n) {
    void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                     -1, 0);
    if (p == MAP_FAILED) return false;
    p_ = static_cast<uint8_t*>(p);
    n_ = n;
    return true;
  }
  uint8_t* data() const { return p_; }
  size_t size() const { return n_; }

private:
  uint8_t* p_ = nullptr;
  size_t n_ = 0;
};

struct UmemDeleter {
  void operator()(xsk_umem* u) const { (void)xsk_umem__delete(u); }
};
struct SocketDeleter {
  void operator()(xsk_socket* s) const { xsk_socket__delete(s); }
};

void pause_us(long us) {
  timespec ts{0, us * 1000};
  ::nanosleep(&ts, nullptr);
}

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// The kernel has not consumed a descriptor, or returned a buffer, for this long: the device is
// stuck (down, or its peer gone); reported instead of waiting forever.
constexpr uint64_t kStallNs = 2000000000u;

std::string errno_hint(int err, const std::string& dev) {
  switch (err) {
  case EPERM:
  case EACCES:
    return "AF_XDP sockets need CAP_NET_RAW (and CAP_IPC_LOCK or a large RLIMIT_MEMLOCK on old "
           "kernels): run as root";
  case EAFNOSUPPORT:
    return "the kernel was built without AF_XDP (CONFIG_XDP_SOCKETS)";
  case EBUSY:
    return "another AF_XDP socket is bound to this queue of " + dev;
  case ENETDOWN:
    return "bring the device up: ip link set dev " + dev + " up";
  default:
    return "--sender af_packet sends without AF_XDP";
  }
}

class XskSender final : public FrameSender {
public:
  ~XskSender() override = default;

  static Result<std::unique_ptr<FrameSender>> open(const std::string& dev, const XskConfig& cfg) {
    auto idx = device_index(dev);
    if (!idx) return idx.failure();
    auto mac = device_mac(dev);
    if (!mac) return mac.failure();
    if (cfg.frames == 0 || (cfg.frames & (cfg.frames - 1)) != 0 || cfg.frame_size < 2048)
      return fail("AF_XDP: the UMEM needs a power-of-two number of frames of at least 2048 bytes");
    auto s = std::unique_ptr<XskSender>(new XskSender);
    s->dev_ = dev;
    s->ifindex_ = *idx;
    s->mac_ = *mac;
    s->frames_ = cfg.frames;
    s->frame_size_ = cfg.frame_size;
    if (!s->area_.map(size_t{cfg.frames} * cfg.frame_size))
      return fail("AF_XDP: cannot map a UMEM of " +
                  std::to_string(size_t{cfg.frames} * cfg.frame_size) +
                  " bytes: " + std::strerror(errno));
    std::string last;
    LibxdpQuiet quiet(&last);
    auto failure = [&](const std::string& what, int err) {
      std::string hint = errno_hint(err, dev);
      if (!last.empty()) hint = "libxdp: " + last + "; " + hint;
      return fail("AF_XDP: " + what + " on device '" + dev + "': " + std::strerror(err), {}, hint);
    };
    xsk_umem_config ucfg{};
    ucfg.fill_size = 64; // a TX-only socket never fills it, but the kernel wants one
    ucfg.comp_size = cfg.frames;
    ucfg.frame_size = cfg.frame_size;
    ucfg.frame_headroom = 0;
    ucfg.flags = 0;
    xsk_umem* umem = nullptr;
    if (int r =
            xsk_umem__create(&umem, s->area_.data(), s->area_.size(), &s->fill_, &s->comp_, &ucfg);
        r != 0)
      return failure("registering the UMEM", -r);
    s->umem_.reset(umem);
    xsk_socket_config scfg{};
    scfg.rx_size = 0;
    scfg.tx_size = cfg.frames;
    scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
    scfg.xdp_flags = 0;
    scfg.bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP;
    xsk_socket* xsk = nullptr;
    if (int r = xsk_socket__create(&xsk, dev.c_str(), cfg.queue, s->umem_.get(), nullptr, &s->tx_,
                                   &scfg);
        r != 0)
      return failure("binding a TX-only socket to queue " + std::to_string(cfg.queue), -r);
    s->socket_.reset(xsk);
    s->fd_ = xsk_socket__fd(xsk);
    // Copy mode charges each frame's skb to the socket's send buffer until the receiving side
    // frees it; the default (about 200 KB, ~250 frames) would throttle the sender well below
    // the UMEM's capacity.
    int sndbuf = 16 << 20;
    if (::setsockopt(s->fd_, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) != 0)
      (void)::setsockopt(s->fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    s->in_flight_.assign(cfg.frames, 0);
    s->free_.reserve(cfg.frames);
    for (uint32_t k = cfg.frames; k-- > 0;) s->free_.push_back(uint64_t{k} * cfg.frame_size);
    s->ptrs_.reserve(cfg.frames);
    s->reserved_.reserve(cfg.frames);
    return std::unique_ptr<FrameSender>(std::move(s));
  }

  const char* path() const override { return "af_xdp"; }
  const char* mode() const override { return "copy"; }
  uint32_t frame_capacity() const override { return frame_size_; }

  Result<std::span<uint8_t* const>> reserve(size_t max) override {
    release(reserved_.size());
    reap();
    if (free_.empty()) {
      const uint64_t since = now_ns();
      while (free_.empty()) {
        // Descriptors still in the ring are only transmitted by a kick.
        if (auto st = kick_until_consumed(); !st) return st.failure();
        pause_us(5);
        reap();
        if (free_.empty() && now_ns() - since > kStallNs)
          return fail("AF_XDP: no transmitted frame came back from the kernel on '" + dev_ +
                          "' for 2 s (" + std::to_string(frames_) + " frames in flight)",
                      {},
                      "is the device up and its peer present? --sender af_packet avoids AF_XDP");
      }
    }
    const size_t n = std::clamp<size_t>(max, 1, free_.size());
    ptrs_.clear();
    for (size_t k = 0; k < n; ++k) {
      const uint64_t addr = free_.back();
      free_.pop_back();
      reserved_.push_back(addr);
      ptrs_.push_back(area_.data() + addr);
    }
    return std::span<uint8_t* const>(ptrs_.data(), ptrs_.size());
  }

  Status commit(std::span<const uint32_t> lengths) override {
    const size_t n = std::min(lengths.size(), reserved_.size());
    for (size_t j = 0; j < n; ++j)
      if (lengths[j] > frame_size_) return fail("AF_XDP: a frame is larger than its buffer");
    const size_t total = resend_.size() + n;
    if (total > 0) {
      uint32_t idx = 0;
      // The ring has as many entries as the UMEM has buffers, and every descriptor in it holds
      // a buffer that is not free, so there is always room for what was reserved.
      if (xsk_ring_prod__reserve(&tx_, static_cast<uint32_t>(total), &idx) != total)
        return fail("AF_XDP: the TX ring of '" + dev_ + "' has no room (internal error)");
      uint32_t k = 0;
      // Frames the device dropped go first: they were sent before this batch.
      for (const auto& d : resend_) {
        xdp_desc* desc = xsk_ring_prod__tx_desc(&tx_, idx + k++);
        desc->addr = d.addr;
        desc->len = d.len;
        desc->options = 0;
      }
      resend_.clear();
      for (size_t j = 0; j < n; ++j) {
        const uint64_t addr = reserved_[j];
        xdp_desc* desc = xsk_ring_prod__tx_desc(&tx_, idx + k++);
        desc->addr = addr;
        desc->len = lengths[j];
        desc->options = 0;
        ++in_flight_[addr / frame_size_];
      }
      xsk_ring_prod__submit(&tx_, static_cast<uint32_t>(total));
      c_.submitted += total;
    }
    // Unused reserved buffers go back to the free list.
    for (size_t j = n; j < reserved_.size(); ++j) free_.push_back(reserved_[j]);
    reserved_.clear();
    if (auto st = kick_until_consumed(); !st) return st;
    // Resends found by the last kick go out now, so that commit() leaves nothing behind.
    for (int round = 0; !resend_.empty() && round < 1000; ++round) {
      uint32_t idx = 0;
      const auto m = static_cast<uint32_t>(resend_.size());
      if (xsk_ring_prod__reserve(&tx_, m, &idx) != m)
        return fail("AF_XDP: the TX ring of '" + dev_ + "' has no room (internal error)");
      for (uint32_t k = 0; k < m; ++k) {
        xdp_desc* desc = xsk_ring_prod__tx_desc(&tx_, idx + k);
        desc->addr = resend_[k].addr;
        desc->len = resend_[k].len;
        desc->options = 0;
      }
      resend_.clear();
      xsk_ring_prod__submit(&tx_, m);
      c_.submitted += m;
      if (auto st = kick_until_consumed(); !st) return st;
    }
    reap();
    return ok_status();
  }

  Status drain(double timeout_s) override {
    if (auto st = kick_until_consumed(); !st) return st;
    const uint64_t until = now_ns() + static_cast<uint64_t>(std::max(timeout_s, 0.0) * 1e9);
    reap();
    while (free_.size() + reserved_.size() < frames_ && now_ns() < until) {
      pause_us(20);
      reap();
    }
    return ok_status();
  }

  SenderCounters counters() override {
    xdp_statistics st{};
    socklen_t len = sizeof st;
    if (::getsockopt(fd_, SOL_XDP, XDP_STATISTICS, &st, &len) == 0) {
      c_.xdp_statistics = true;
      c_.tx_invalid_descs = st.tx_invalid_descs;
      c_.tx_ring_empty_descs = st.tx_ring_empty_descs;
    }
    return c_;
  }

private:
  XskSender() = default;

  struct Desc {
    uint64_t addr;
    uint32_t len;
  };

  // Returns reserved but uncommitted buffers (a reserve() without commit()).
  void release(size_t n) {
    for (size_t j = 0; j < n && j < reserved_.size(); ++j) free_.push_back(reserved_[j]);
    reserved_.clear();
  }

  // Completions: a buffer is free once every submission of it has completed (a resent buffer
  // completes twice: the dropped copy and the one that left).
  void reap() {
    uint32_t idx = 0;
    const uint32_t n = xsk_ring_cons__peek(&comp_, frames_, &idx);
    for (uint32_t k = 0; k < n; ++k) {
      const uint64_t addr = *xsk_ring_cons__comp_addr(&comp_, idx + k);
      const uint64_t slot = addr / frame_size_;
      if (slot < in_flight_.size() && in_flight_[slot] > 0 && --in_flight_[slot] == 0)
        free_.push_back(slot * frame_size_);
    }
    if (n) xsk_ring_cons__release(&comp_, n);
    c_.completed += n;
  }

  uint32_t consumer() const { return __atomic_load_n(tx_.consumer, __ATOMIC_ACQUIRE); }
  uint32_t producer() const { return __atomic_load_n(tx_.producer, __ATOMIC_ACQUIRE); }

  // Kicks until the kernel has consumed every submitted descriptor. Copy mode transmits in
  // sendto() itself: EAGAIN means "more to do" (the per-call budget) or "the device queue is
  // full" (no progress: back off); EBUSY means the device dropped the descriptor just consumed,
  // which is queued to be sent again.
  Status kick_until_consumed() {
    uint64_t stuck_since = 0;
    while (consumer() != producer()) {
      const uint32_t before = consumer();
      ++c_.syscalls;
      const ssize_t r = ::sendto(fd_, nullptr, 0, MSG_DONTWAIT, nullptr, 0);
      const int err = r < 0 ? errno : 0;
      const uint32_t after = consumer();
      if (err == EBUSY && after != before) {
        const xdp_desc* d = xsk_ring_prod__tx_desc(&tx_, after - 1);
        resend_.push_back({d->addr, d->len});
        ++in_flight_[d->addr / frame_size_]; // held until resent and completed again
        ++c_.resent;
        // The device's queue is full: the next descriptors would be dropped as well. Give the
        // receiving side a moment, as AF_PACKET does on ENOBUFS.
        ++c_.retries;
        reap();
        pause_us(20);
        continue;
      } else if (err != 0 && err != EAGAIN && err != EBUSY && err != EINTR && err != ENOBUFS) {
        return device_error(dev_, "AF_XDP: transmitting (sendto)", err);
      }
      if (after != before) {
        stuck_since = 0;
        continue;
      }
      // No progress: the device queue is full (or the socket's send buffer is).
      ++c_.retries;
      const uint64_t t = now_ns();
      if (!stuck_since) stuck_since = t;
      if (t - stuck_since > kStallNs)
        return fail("AF_XDP: the kernel took no frame on '" + dev_ + "' for 2 s", {},
                    "is the device up and its peer present? --sender af_packet avoids AF_XDP");
      reap();
      pause_us(10);
    }
    return ok_status();
  }

  // Members in construction order; destroyed in reverse: socket, umem, area.
  MappedArea area_;
  std::unique_ptr<xsk_umem, UmemDeleter> umem_;
  std::unique_ptr<xsk_socket, SocketDeleter> socket_;
  xsk_ring_prod fill_{};
  xsk_ring_cons comp_{};
  xsk_ring_prod tx_{};
  int fd_ = -1;
  uint32_t frames_ = 0, frame_size_ = 0;
  std::vector<uint64_t> free_;      // free buffer addresses (a stack: recently used stay warm)
  std::vector<uint64_t> reserved_;  // handed out by reserve(), not yet committed
  std::vector<uint8_t*> ptrs_;      // the reserved buffers' addresses in the area
  std::vector<uint16_t> in_flight_; // per buffer: submissions not yet completed
  std::vector<Desc> resend_;        // dropped by the device: to send again
  SenderCounters c_;
};

} // namespace

Result<std::unique_ptr<FrameSender>> open_xsk_sender(const std::string& dev,
                                                     const XskConfig& config) {
  return XskSender::open(dev, config);
}

} // namespace xdpml::packetgen
