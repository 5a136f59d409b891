#!/usr/bin/python3
"""Raw Ethernet frame sender/receiver for the xdpml e2e tests (stdlib only).

  pktio.py sendrecv TX_IF RX_IF SPEC...
      Run inside the test network namespace (ip netns exec NS /usr/bin/python3
      ...). Opens an AF_PACKET receiver on RX_IF, sends the requested frames
      out of TX_IF (the veth peer of RX_IF) and prints a JSON object mapping
      every SPEC to the number of those frames that arrived on RX_IF. Frames
      carry a random per-run marker, so unrelated traffic is ignored.
  pktio.py frame SPEC OUT_FILE
      Writes one such frame (SPEC's COUNT is ignored) to OUT_FILE, e.g. as
      data_in for "bpftool prog run".

  SPEC is  udp:PORT:COUNT | tcp:PORT:COUNT | icmp:COUNT

Frames are IPv4 from 192.0.2.1 to 192.0.2.2 (TEST-NET-1) and never leave the
veth pair: no address, route or forwarding is involved.
"""
import fcntl
import json
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
SIOCGIFHWADDR = 0x8927
SRC_IP = socket.inet_aton("192.0.2.1")
DST_IP = socket.inet_aton("192.0.2.2")


def hwaddr(ifname):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("256s", ifname.encode()[:15])
        return fcntl.ioctl(s.fileno(), SIOCGIFHWADDR, req)[18:24]


def csum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4(proto, l4, ident):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident, 0x4000,
                      64, proto, 0, SRC_IP, DST_IP)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + l4


def l4_csum(proto, seg):
    pseudo = SRC_IP + DST_IP + struct.pack("!BBH", 0, proto, len(seg))
    return csum(pseudo + seg)


def frame(kind, port, payload, ident):
    if kind == "udp":
        seg = struct.pack("!HHHH", 40000, port, 8 + len(payload), 0) + payload
        c = l4_csum(17, seg) or 0xFFFF
        seg = seg[:6] + struct.pack("!H", c) + seg[8:]
        return ipv4(17, seg, ident)
    if kind == "tcp":
        seg = struct.pack("!HHIIBBHHH", 40000, port, 1, 0, 5 << 4, 0x02,
                          65535, 0, 0) + payload
        seg = seg[:16] + struct.pack("!H", l4_csum(6, seg)) + seg[18:]
        return ipv4(6, seg, ident)
    if kind == "icmp":
        seg = struct.pack("!BBHHH", 8, 0, 0, 0x7d70, ident) + payload
        seg = seg[:2] + struct.pack("!H", csum(seg)) + seg[4:]
        return ipv4(1, seg, ident)
    raise ValueError(kind)


def parse_specs(args):
    specs = []
    for a in args:
        parts = a.split(":")
        if parts[0] in ("udp", "tcp") and len(parts) == 3:
            specs.append((a, parts[0], int(parts[1]), int(parts[2])))
        elif parts[0] == "icmp" and len(parts) == 2:
            specs.append((a, "icmp", 0, int(parts[1])))
        else:
            raise SystemExit("pktio.py: bad spec %r" % a)
    return specs


def sendrecv(tx_if, rx_if, specs):
    marker = b"xdpml-e2e" + os.urandom(8)
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    rx.bind((rx_if, 0))
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    tx.bind((tx_if, 0))
    eth = hwaddr(rx_if) + hwaddr(tx_if) + struct.pack("!H", ETH_P_IP)

    expected = 0
    ident = 1
    for idx, (_, kind, port, count) in enumerate(specs):
        for _ in range(count):
            payload = marker + struct.pack("!H", idx) + b"\0" * 16
            tx.send(eth + frame(kind, port, payload, ident))
            ident += 1
            expected += 1

    got = [0] * len(specs)
    seen = 0
    deadline = time.monotonic() + 1.5
    while seen < expected:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([rx], [], [], left)[0]:
            break
        data, addr = rx.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        pos = data.find(marker)
        if pos < 0 or pos + len(marker) + 2 > len(data):
            continue
        (idx,) = struct.unpack("!H", data[pos + len(marker):pos + len(marker) + 2])
        if idx < len(got):
            got[idx] += 1
            seen += 1
    print(json.dumps({name: got[i] for i, (name, _, _, _) in enumerate(specs)}))


def main():
    args = sys.argv[1:]
    if len(args) >= 4 and args[0] == "sendrecv":
        sendrecv(args[1], args[2], parse_specs(args[3:]))
    elif len(args) == 3 and args[0] == "frame":
        _, kind, port, _ = parse_specs([args[1]])[0]
        eth = bytes.fromhex("020000000002020000000001") + struct.pack("!H", ETH_P_IP)
        with open(args[2], "wb") as f:
            f.write(eth + frame(kind, port, b"xdpml-e2e" + b"\0" * 16, 1))
    else:
        raise SystemExit(__doc__)

if __name__ == "__main__":
    main()
