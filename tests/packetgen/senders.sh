#!/usr/bin/env bash
# End-to-end: the two send paths of `xdpml send/verify/measure` (packetgen/sender.hpp) through a
# veth pair in a private network namespace, the program attached natively to the receiving end:
#   * --sender af_xdp (AF_XDP, libxdp's xsk API, TX only, copy mode) and --sender af_packet
#     (sendmmsg, PACKET_QDISC_BYPASS): every window of examples/prices.txt (ANOVA u32) and every
#     row of aurora's test set (network) arrives once with the reference's tag, the JSON names
#     the path, and the kernel's counters (tx_packets, XDP_STATISTICS) agree;
#   * auto picks AF_XDP; with queue 0 taken by another AF_XDP socket auto falls back to
#     AF_PACKET with a note, and --sender af_xdp exits 3 naming the reason;
#   * the sender does not touch the XDP programs: the receiving end keeps its program, the
#     sending end gets none (INHIBIT_PROG_LOAD);
#   * --rate paces: one frame per batch at 20 kpps, never faster than asked, at most 50 us of
#     frames per batch at 400 kpps;
#   * --foreign: foreign frames (five kinds) pass the program untouched and are counted; a
#     program that writes into every frame without checking the magic fails verify (exit 4)
#     with modified foreign frames;
#   * a frame the device drops (a slow program and a second sender on the other CPU fill the
#     veth ring) is sent again: verify still receives every window;
#   * the pcap `send --pcap` writes replays with tcpreplay, and recv checks every tag of it;
#   * measure --sender af_xdp completes a short run with every tag checked.
#
# Usage: senders.sh PATH/TO/xdpml      (root; exits 77 otherwise)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"
[ $# -eq 1 ] || {
  echo "usage: $0 PATH/TO/xdpml" >&2
  exit 2
}
e2e_require_root
XDPML=$(readlink -m "$1")
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=$SRC/examples/prices.txt
AURORA=$SRC/examples/models/aurora
e2e_private_mounts "$(readlink -f "${BASH_SOURCE[0]}")" "$XDPML"
e2e_init
# State records of `xdpml load` stay inside this test's private mount namespace.
mount -t tmpfs xdpml-run /run 2>/dev/null && mkdir -p /run/netns || true

NS="xdpml-snd-$$"
E2E_NETNS+=("$NS") # removed by the trap even when a check below aborts
TX=tb-tx
RX=tb-rx
T=$E2E_TMP
WINDOWS=4985
ROWS=1000
BG=() # background processes started here, stopped by their pid on exit
stop_bg() {
  local p
  for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${BG[@]}"; do wait "$p" 2>/dev/null || true; done
  BG=()
}
trap 'stop_bg; e2e_cleanup' EXIT
trap 'rc=$?; stop_bg; e2e_cleanup; exit $rc' ERR
trap 'stop_bg; e2e_on_signal 130' INT
trap 'stop_bg; e2e_on_signal 143' TERM

for tool in tcpreplay tcpdump; do
  command -v "$tool" >/dev/null || {
    e2e_fail "$tool is installed (scripts/setup.sh installs it)"
    e2e_finish
  }
done

e2e_check "testbed up" "$XDPML" testbed up --name "$NS"
e2e_check "compile anova (u32)" "$XDPML" compile anova -o "$T/u32.o"
e2e_check "compile aurora" "$XDPML" compile model "$AURORA/model.json" --calib "$AURORA/calib.csv" \
  -o "$T/aurora.o"
e2e_check "assemble progs/tag_all.s" "$XDPML" asm "$SRC/tests/packetgen/progs/tag_all.s" -o "$T/tag_all.o"

# verify_path DESC PATH WANT ARGS...: verify --json ARGS; exit 0, every frame ok, the JSON's
# send.path is PATH and the device sent every frame.
verify_path() {
  local desc=$1 path=$2 want=$3 rc=0 got
  shift 3
  ip netns exec "$NS" "$XDPML" verify --tx $TX --rx $RX --json "$@" >"$T/v.json" 2>"$T/v.err" || rc=$?
  got=$(jget "$T/v.json" "j['counts']['received'], j['counts']['ok'], j['counts']['lost'], j['send']['path'], j['send']['kernel']['device']['tx_packets'] >= $want")
  if [ "$rc" -eq 0 ] && [ "$got" = "($want, $want, 0, '$path', True)" ]; then
    e2e_ok "$desc: $want/$want ok via $path"
  else
    e2e_fail "$desc: exit $rc, (received, ok, lost, path, tx_packets >= sent) = $got"
    e2e_show "$(cat "$T/v.json" "$T/v.err")"
  fi
}

if e2e_check "load u32.o natively on $RX" in_ns load --dev $RX --mode native "$T/u32.o"; then
  prog_before=$(ip -n "$NS" -j link show dev $RX | "$E2E_PY" -c 'import json,sys; print(json.load(sys.stdin)[0].get("xdp", {}).get("prog", {}).get("id"))')
  verify_path "af_xdp, anova" af_xdp $WINDOWS --obj "$T/u32.o" --data "$DATA" --rate 0 --sender af_xdp
  e2e_expect "af_xdp: XDP_STATISTICS tx_invalid_descs" \
    "$(jget "$T/v.json" "j['send']['kernel']['xdp_statistics']['tx_invalid_descs']")" 0
  e2e_expect "af_xdp: every frame completed" \
    "$(jget "$T/v.json" "j['send']['kernel']['completions'] >= j['send']['frames']")" True
  verify_path "af_packet, anova" af_packet_mmsg $WINDOWS --obj "$T/u32.o" --data "$DATA" --rate 0 \
    --sender af_packet
  e2e_expect "af_packet: mode" "$(jget "$T/v.json" "j['send']['mode']")" qdisc_bypass
  verify_path "auto, anova" af_xdp $WINDOWS --obj "$T/u32.o" --data "$DATA" --rate 0
  e2e_expect "auto: no fallback note" "$(jget "$T/v.json" "[n for n in j['notes'] if 'AF_XDP' in n]")" "[]"
  prog_after=$(ip -n "$NS" -j link show dev $RX | "$E2E_PY" -c 'import json,sys; print(json.load(sys.stdin)[0].get("xdp", {}).get("prog", {}).get("id"))')
  e2e_expect "the receiving end keeps its program (id)" "$prog_after" "$prog_before"
  e2e_expect "the sending end has no XDP program" \
    "$(ip -n "$NS" -j link show dev $TX | "$E2E_PY" -c 'import json,sys; print("xdp" in json.load(sys.stdin)[0])')" False

  # Pacing: 4985 frames at 20,000 pkt/s take 0.25 s, one frame per batch. Never faster than
  # asked (1 % for a late first frame); slower only when the CPU is taken away from the sender
  # (this machine's cores are shared), so the lower bound is loose.
  for s in af_xdp af_packet; do
    in_ns send --dev $TX --obj "$T/u32.o" --data "$DATA" --rate 20000 --sender $s --json \
      >"$T/p.json" 2>"$T/p.err" || true
    e2e_expect "$s: --rate 20000 achieved in [19000, 20200], one frame per batch" \
      "$(jget "$T/p.json" "19000 <= j['achieved_pps'] <= 20200, j['max_batch'], j['sent']")" \
      "(True, 1, $WINDOWS)"
  done
  in_ns send --dev $TX --obj "$T/u32.o" --data "$DATA" --rate 400000 --json >"$T/p.json" 2>&1 || true
  e2e_expect "--rate 400000: batches of at most 20 frames (50 us)" \
    "$(jget "$T/p.json" "j['max_batch'] <= 20, j['rate_asked']")" "(True, 400000.0)"

  # Foreign traffic: half a foreign frame per window, every kind, untouched.
  for s in af_xdp af_packet; do
    rc=0
    in_ns verify --tx $TX --rx $RX --obj "$T/u32.o" --data "$DATA" --rate 0 --sender $s \
      --foreign 0.5 --json >"$T/f.json" 2>"$T/f.err" || rc=$?
    e2e_expect "$s --foreign 0.5: (exit, ok, foreign sent, intact, modified, lost, kinds)" \
      "$rc, $(jget "$T/f.json" "j['counts']['ok'], j['send']['foreign'], j['foreign']['intact'], j['foreign']['modified'], j['foreign']['lost'], min(j['foreign']['received_by_kind'].values()) > 0")" \
      "0, ($WINDOWS, 2492, 2492, 0, 0, True)"
  done

  # Queue 0 taken by another AF_XDP socket: auto falls back, af_xdp refuses.
  # (Started without in_ns so that $! is the xdpml process itself: ip netns exec execs it.)
  ip netns exec "$NS" "$XDPML" send --dev $TX --obj "$T/u32.o" --data "$DATA" --rate 1000 \
    --sender af_xdp >/dev/null 2>&1 &
  BG+=($!)
  sleep 0.5
  rc=0
  in_ns send --dev $TX --obj "$T/u32.o" --data "$DATA" --count 100 --rate 0 --json >"$T/a.json" 2>&1 || rc=$?
  e2e_expect "queue busy: auto falls back to af_packet_mmsg with a note (exit, path, note)" \
    "$rc, $(jget "$T/a.json" "j['path'], any('AF_XDP is not available' in n for n in j['notes'])")" \
    "0, ('af_packet_mmsg', True)"
  rc=0
  in_ns send --dev $TX --obj "$T/u32.o" --data "$DATA" --count 100 --sender af_xdp >"$T/b.out" 2>&1 || rc=$?
  if [ "$rc" -eq 3 ] && grep -q "AF_XDP" "$T/b.out" && grep -qi "busy" "$T/b.out"; then
    e2e_ok "queue busy: --sender af_xdp exits 3 and says why"
  else
    e2e_fail "queue busy: --sender af_xdp exits 3 and says why (exit $rc)"
    e2e_show "$(cat "$T/b.out")"
  fi
  stop_bg

  # tcpreplay replays what send --pcap wrote; recv checks every tag.
  in_ns send --dev $TX --obj "$T/u32.o" --data "$DATA" --rate 0 --pcap "$T/tx.pcap" >/dev/null 2>&1 || true
  ip netns exec "$NS" "$XDPML" recv --dev $RX --obj "$T/u32.o" --data "$DATA" --timeout 3 --json \
    >"$T/r.json" 2>"$T/r.err" &
  RECV=$!
  BG+=("$RECV")
  for _ in $(seq 100); do grep -q waiting "$T/r.err" 2>/dev/null && break; sleep 0.1; done
  ip netns exec "$NS" tcpreplay -K --topspeed -i $TX "$T/tx.pcap" >"$T/tcpreplay.out" 2>&1 || true
  rc=0
  wait $RECV || rc=$?
  BG=()
  e2e_expect "tcpreplay of send's pcap: recv (exit, ok, lost)" \
    "$rc, $(jget "$T/r.json" "j['counts']['ok'], j['counts']['lost']")" "0, ($WINDOWS, 0)"

  # measure with the AF_XDP sender (measure attaches its own programs: unload first).
  in_ns unload --dev $RX >/dev/null 2>&1 || true
  rc=0
  in_ns measure --tx $TX --rx $RX --obj "$T/u32.o" --data "$DATA" --count 400 --batch 50 \
    --sender af_xdp --json >"$T/m.json" 2>"$T/m.err" || rc=$?
  e2e_expect "measure --sender af_xdp: (exit, sender, tags ok = checked)" \
    "$rc, $(jget "$T/m.json" "j['sender']['path'], j['tags']['ok'] == j['tags']['checked'] > 0")" \
    "0, ('af_xdp', True)"
fi

# A program that writes into every frame: foreign frames come back modified, verify exits 4.
if e2e_check "load tag_all.o natively" in_ns load --dev $RX --mode native "$T/tag_all.o"; then
  rc=0
  in_ns verify --tx $TX --rx $RX --obj "$T/u32.o" --data "$DATA" --count 500 --rate 0 \
    --foreign 1 --json >"$T/t.json" 2>"$T/t.err" || rc=$?
  e2e_expect "tag_all: (exit, foreign modified > 0, ok)" \
    "$rc, $(jget "$T/t.json" "j['foreign']['modified'] > 0, j['ok']")" "4, (True, False)"
  in_ns verify --tx $TX --rx $RX --obj "$T/u32.o" --data "$DATA" --count 500 --rate 0 \
    --foreign 1 >"$T/t.txt" 2>&1 || true
  if grep -q "^FAIL:.*foreign:.*modified" "$T/t.txt" && grep -q "^  foreign " "$T/t.txt"; then
    e2e_ok "tag_all: the text report names the modified foreign frames"
  else
    e2e_fail "tag_all: the text report names the modified foreign frames"
    e2e_show "$(cat "$T/t.txt")"
  fi
  in_ns unload --dev $RX >/dev/null 2>&1 || true
fi

# Networks: every row of aurora's test set through both paths.
if e2e_check "load aurora.o natively" in_ns load --dev $RX --mode native "$T/aurora.o"; then
  verify_path "af_xdp, aurora" af_xdp $ROWS --obj "$T/aurora.o" --data "$AURORA/test.csv" --rate 0 \
    --sender af_xdp
  verify_path "af_packet, aurora" af_packet_mmsg $ROWS --obj "$T/aurora.o" --data "$AURORA/test.csv" \
    --rate 0 --sender af_packet
  in_ns unload --dev $RX >/dev/null 2>&1 || true
fi

# Device drops: a slow program (3,000 divisions a frame) and foreign-only noise (100 foreign
# frames from `send --foreign`, looped) replayed by tcpreplay on the other CPU fill the veth ring, so the device drops frames the AF_XDP socket
# handed it (sendto: EBUSY). Those are sent again: nothing of ours is lost.
"$XDPML" compile anova -o "$T/base.o" -S "$T/base.s" >/dev/null
awk '/\.size/ { next }
     /# A\[0\]/ && !done {
       print "\tw5 = *(u32 *)(r2 + 58)"
       for (i = 0; i < 3000; i++) { print "\tr5 /= 3"; print "\tr5 ^= 1073741823" }
       print "\t*(u32 *)(r10 - 8) = w5"
       done = 1
     }
     { print }' "$T/base.s" >"$T/slow.s"
if e2e_check "assemble the slow program" "$XDPML" asm "$T/slow.s" -o "$T/slow.o" &&
  e2e_check "load slow.o natively" in_ns load --dev $RX --mode native "$T/slow.o"; then
  in_ns send --dev $TX --obj "$T/u32.o" --data "$DATA" --count 1 --foreign 100 --rate 0 \
    --pcap "$T/mix.pcap" >/dev/null 2>&1 || true
  tcpdump -r "$T/mix.pcap" -w "$T/noise.pcap" 'ether[6:2] == 0x02fe' >/dev/null 2>&1 || true
  ip netns exec "$NS" taskset -c 1 tcpreplay -K --topspeed --loop 100000 -i $TX "$T/noise.pcap" \
    >/dev/null 2>&1 &
  BG+=($!)
  sleep 0.3
  rc=0
  ip netns exec "$NS" taskset -c 0 "$XDPML" verify --tx $TX --rx $RX --obj "$T/u32.o" \
    --data "$DATA" --rate 0 --sender af_xdp --json >"$T/d.json" 2>"$T/d.err" || rc=$?
  stop_bg
  e2e_expect "device drops: verify (exit, ok, lost)" \
    "$rc, $(jget "$T/d.json" "j['counts']['ok'], j['counts']['lost']")" "0, ($WINDOWS, 0)"
  e2e_expect "device drops: every submission completed (the buffers of dropped frames came back)" \
    "$(jget "$T/d.json" "j['send']['kernel']['completions'] == j['send']['kernel']['submitted'] == j['send']['frames'] + j['send']['kernel']['resent_after_device_drop']")" True
  echo "     (frames dropped by the device and resent: $(jget "$T/d.json" "j['send']['kernel']['resent_after_device_drop']"), tx_dropped +$(jget "$T/d.json" "j['send']['kernel']['device']['tx_dropped']"))"
  in_ns unload --dev $RX >/dev/null 2>&1 || true
fi

e2e_check "testbed down" "$XDPML" testbed down --name "$NS"
e2e_finish
