// The AF_XDP path of FrameSender (sender.hpp): a TX-only XDP socket through libxdp's xsk API
// (<xdp/xsk.h>) on one queue of a device.
//
//   * TX only: no RX ring, and XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, so libxdp neither loads its
//     default redirect program nor touches whatever XDP program the device has (the sending end
//     of a testbed usually has none; the program under test is on the other end);
//   * copy mode (XDP_COPY): the kernel builds an skb from each descriptor and hands it to the
//     driver directly, without the qdisc; veth has no zero-copy mode, and on drivers that have
//     one copy mode still works the same way;
//   * a UMEM of `frames` buffers of `frame_size` bytes; a buffer is free again when its
//     completion comes back, so at most `frames` frames are in flight;
//   * a commit writes all its descriptors into the TX ring, submits them at once, and kicks the
//     kernel with sendto() until it has consumed them (in copy mode sendto transmits up to 32
//     descriptors per call and then returns EAGAIN);
//   * every object of libxdp's is owned by RAII members (the UMEM area, the umem, the socket),
//     released in the right order (socket, umem, area).
#pragma once

#include "packetgen/sender.hpp"
#include "support/result.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace xdpml::packetgen {

struct XskConfig {
  uint32_t frames = 4096;     // UMEM buffers = TX ring = completion ring entries (power of two)
  uint32_t frame_size = 2048; // bytes per buffer (XDP_UMEM_MIN_CHUNK_SIZE is 2048)
  uint32_t queue = 0;         // the device queue the socket binds to
};

// A TX-only AF_XDP socket on `dev`, copy mode. Fails (with the kernel's reason: no AF_XDP in
// the kernel, no permission, the queue already has a socket, ...) when the device does not
// take one; open_sender(Auto) then falls back to AF_PACKET.
Result<std::unique_ptr<FrameSender>> open_xsk_sender(const std::string& dev,
                                                     const XskConfig& config);

} // namespace xdpml::packetgen
