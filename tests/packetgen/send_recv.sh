#!/usr/bin/env bash
# End-to-end: `xdpml testbed`, `xdpml send`, `xdpml recv` and `xdpml verify` through a veth pair
# in a private network namespace, with the compiled ANOVA segmenter attached to the receiving end
# by iproute2 in generic (skb) and native mode:
#   * testbed up/down are idempotent and refuse names without the xdpml- prefix;
#   * every one of the 4985 windows of examples/prices.txt arrives once with the tag of the
#     bit-exact reference (u32 and f64 programs; --obj and --format);
#   * a program compiled with another epsilon makes verify and recv exit 4 and name mismatches;
#   * loss is reported (exit 4), bad data is an input error naming file:line (exit 1), a missing
#     device is an environment error (exit 3);
#   * --pcap files have the classic layout and tcpdump reads them (when tcpdump is installed).
#
# Usage: send_recv.sh PATH/TO/xdpml      (root; exits 77 otherwise)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

if [ $# -ne 1 ]; then
  echo "usage: $0 PATH/TO/xdpml" >&2
  exit 2
fi
e2e_require_root
XDPML=$(readlink -m "$1")
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=$SRC/examples/prices.txt
e2e_private_mounts "$(readlink -f "${BASH_SOURCE[0]}")" "$XDPML"
e2e_init

if [ ! -x "$XDPML" ]; then
  e2e_fail "xdpml binary $XDPML exists and is executable"
  e2e_finish
fi

NS="xdpml-pg-$$"
E2E_NETNS+=("$NS") # removed by the trap even when a check below aborts
TX=tb-tx
RX=tb-rx
T=$E2E_TMP
WINDOWS=4985


# expect_rc DESC WANT CMD...: runs CMD (output in E2E_OUT) and checks its exit status.
expect_rc() {
  local desc=$1 want=$2 rc=0
  shift 2
  E2E_OUT=$("$@" 2>&1) || rc=$?
  if [ "$rc" -eq "$want" ]; then
    e2e_ok "$desc (exit $rc)"
    return 0
  fi
  e2e_fail "$desc: exit $rc, want $want"
  e2e_show "$E2E_OUT"
  return 1
}


# cond DESC CMD...: a check that CMD succeeds (stdin passed on, output discarded).
cond() {
  local desc=$1
  shift
  if "$@" >/dev/null 2>&1; then e2e_ok "$desc"; else e2e_fail "$desc"; fi
}
# shellcheck disable=SC2317 # both are called through cond
not() { ! "$@"; }
# shellcheck disable=SC2317
ns_listed() { ip netns list | awk '{ print $1 }' | grep -qx "$1"; }

# ---- testbed up/down ----------------------------------------------------------
expect_rc "testbed down when absent" 0 "$XDPML" testbed down --name "$NS"
cond "testbed down when absent says so" grep -q "was not there" <<<"$E2E_OUT"
"$XDPML" testbed up --name "$NS" --json >"$T/up1.json" || true
e2e_expect "testbed up creates it" "$(jget "$T/up1.json" "j['ok'], j['changed'], j['tx'], j['rx']")" \
  "(True, True, 'tb-tx', 'tb-rx')"
"$XDPML" testbed up --name "$NS" --json >"$T/up2.json" || true
e2e_expect "testbed up again changes nothing" "$(jget "$T/up2.json" "j['ok'], j['changed']")" \
  "(True, False)"
for dev in $TX $RX; do
  if ip -n "$NS" link show dev "$dev" | grep -q 'state UP'; then
    e2e_ok "testbed: $dev exists in $NS and is up"
  else
    e2e_fail "testbed: $dev exists in $NS and is up"
  fi
done
# Half a pair (the rx end deleted) is repaired by the next up.
ip -n "$NS" link del dev $RX 2>/dev/null || true
expect_rc "testbed up repairs a testbed whose pair was deleted" 0 "$XDPML" testbed up --name "$NS"
cond "testbed: $RX is back" ip -n "$NS" link show dev $RX
expect_rc "testbed refuses a name without the xdpml- prefix" 2 "$XDPML" testbed up --name pg-$$
cond "no namespace pg-$$ was created" not ns_listed "pg-$$"
"$XDPML" testbed down --name "$NS" --json >"$T/down1.json" || true
e2e_expect "testbed down removes it" "$(jget "$T/down1.json" "j['ok'], j['changed']")" "(True, True)"
cond "namespace $NS is gone" not ns_listed "$NS"
"$XDPML" testbed down --name "$NS" --json >"$T/down2.json" || true
e2e_expect "testbed down again is fine" "$(jget "$T/down2.json" "j['ok'], j['changed']")" \
  "(True, False)"
if ! expect_rc "testbed up for the traffic checks" 0 "$XDPML" testbed up --name "$NS"; then
  e2e_finish
fi
cond "testbed up prints how to use it" \
  grep -q "ip netns exec $NS xdpml verify --tx $TX --rx $RX" <<<"$E2E_OUT"

# ---- programs ------------------------------------------------------------------
for spec in "u32:--input u32" "f64:--input f64" "wrong:--input u32 --epsilon 0.2"; do
  name=${spec%%:*}
  # shellcheck disable=SC2086 # the options are meant to split
  e2e_check "compile anova ${spec#*:} -o $name.o" "$XDPML" compile anova ${spec#*:} -o "$T/$name.o"
done

attach() { # MODE OBJ
  ip -n "$NS" link set dev $RX xdpgeneric off 2>/dev/null || true
  ip -n "$NS" link set dev $RX xdpdrv off 2>/dev/null || true
  e2e_check "attach $(basename "$2") to $RX in $1 mode" \
    ip -n "$NS" link set dev $RX "$1" obj "$2" sec xdp
}

# verify_all DESC ARGS...: verify must pass with every window arriving once, tag as expected.
verify_all() {
  local desc=$1 rc=0
  shift
  in_ns verify --tx $TX --rx $RX --data "$DATA" --json "$@" >"$T/v.json" 2>"$T/v.err" || rc=$?
  local got
  got=$(jget "$T/v.json" "j['ok'], j['counts']['received'], j['counts']['ok'], j['counts']['mismatched'], j['counts']['lost'], j['counts']['duplicated'], j['counts']['corrupted']")
  if [ "$rc" -eq 0 ] && [ "$got" = "(True, $WINDOWS, $WINDOWS, 0, 0, 0, 0)" ]; then
    e2e_ok "$desc: $WINDOWS/$WINDOWS windows ok, exit 0 ($(jget "$T/v.json" "j['tags']['split']") split)"
  else
    e2e_fail "$desc: exit $rc, (ok, received, ok, mismatched, lost, duplicated, corrupted) = $got"
    e2e_show "$(cat "$T/v.json" "$T/v.err")"
  fi
}

for mode in xdpgeneric xdpdrv; do
  if attach $mode "$T/u32.o"; then
    if [ $mode = xdpdrv ]; then
      if ip -n "$NS" link show dev $RX | grep -q 'xdpgeneric'; then
        e2e_fail "xdpdrv: the program is attached natively (ip link shows xdpgeneric)"
      else
        e2e_ok "xdpdrv: the program is attached natively"
      fi
    fi
    verify_all "u32 $mode: verify --obj u32.o" --obj "$T/u32.o"
  fi
  if attach $mode "$T/f64.o"; then
    verify_all "f64 $mode: verify --obj f64.o" --obj "$T/f64.o"
  fi
done

# Without an object: the report's format and scale give the same frames and references.
if attach xdpgeneric "$T/u32.o"; then
  verify_all "u32 xdpgeneric: verify --format osh-u32 --scale 16384" --format osh-u32 --scale 16384
  # Loss: only 100 windows are sent while recv waits for all of them.
  rm -f "$T/r.err"
  in_ns recv --dev $RX --obj "$T/u32.o" --data "$DATA" --timeout 1 --json >"$T/r.json" 2>"$T/r.err" &
  RECV=$!
  for _ in $(seq 50); do grep -q waiting "$T/r.err" 2>/dev/null && break; sleep 0.1; done
  in_ns send --dev $TX --obj "$T/u32.o" --data "$DATA" --count 100 >/dev/null 2>&1 || true
  rc=0
  wait $RECV || rc=$?
  e2e_expect "recv after only 100 windows: exit status" "$rc" 4
  e2e_expect "recv after only 100 windows: (ok, lost, timed out, first lost)" \
    "$(jget "$T/r.json" "j['counts']['ok'], j['counts']['lost'], j['timed_out'], j['first_lost'][0]")" \
    "(100, $((WINDOWS - 100)), True, 100)"
fi

# ---- a wrong program: mismatches are found and named ---------------------------------
if attach xdpgeneric "$T/wrong.o"; then
  rc=0
  in_ns verify --tx $TX --rx $RX --obj "$T/u32.o" --data "$DATA" --json >"$T/w.json" 2>&1 || rc=$?
  e2e_expect "epsilon 0.2 program checked against the 0.1 contract: verify exit status" "$rc" 4
  got=$(jget "$T/w.json" "j['ok'], j['counts']['received'], j['counts']['mismatched'] > 0, j['counts']['lost'], len(j['mismatches'])")
  e2e_expect "verify: (ok, received, some mismatched, lost, listed)" "$got" "(False, $WINDOWS, True, 0, 10)"
  e2e_expect "verify: a listed mismatch has window, 16 values, expected and got" \
    "$(jget "$T/w.json" "{'expected', 'got', 'values', 'window'} <= set(j['mismatches'][0]) and len(j['mismatches'][0]['values']) == 16 and j['mismatches'][0]['expected'] != j['mismatches'][0]['got']")" True
  # recv on its own, human output.
  in_ns recv --dev $RX --obj "$T/u32.o" --data "$DATA" --timeout 3 >"$T/wr.out" 2>"$T/wr.err" &
  RECV=$!
  for _ in $(seq 50); do grep -q waiting "$T/wr.err" 2>/dev/null && break; sleep 0.1; done
  in_ns send --dev $TX --obj "$T/u32.o" --data "$DATA" --rate 50000 >/dev/null 2>&1 || true
  rc=0
  wait $RECV || rc=$?
  e2e_expect "epsilon 0.2 program: recv exit status" "$rc" 4
  if grep -q "first mismatches" "$T/wr.out" && grep -qE "^    window [0-9]+ \(lines [0-9]+-[0-9]+\): expected [123] .*, got [123] " "$T/wr.out" &&
    grep -q "^FAIL: [0-9]* mismatched" "$T/wr.out"; then
    e2e_ok "recv names the first mismatches (window, lines, expected, got)"
  else
    e2e_fail "recv names the first mismatches (window, lines, expected, got)"
    e2e_show "$(cat "$T/wr.out" "$T/wr.err")"
  fi
fi

# ---- errors ---------------------------------------------------------------------------
{
  for i in $(seq 1 20); do echo "1$i.5"; done
  echo "-3.25"
} >"$T/neg.txt"
expect_rc "a negative value for osh-u32 is an input error" 1 \
  in_ns send --dev $TX --obj "$T/u32.o" --data "$T/neg.txt"
cond "the error names neg.txt:21" grep -q "neg.txt:21: error" <<<"$E2E_OUT"
expect_rc "an unknown device is an environment error" 3 \
  in_ns send --dev no-such-dev --obj "$T/u32.o" --data "$DATA"
expect_rc "neither --obj nor --format is a usage error" 2 \
  in_ns send --dev $TX --data "$DATA"

# ---- pcap ---------------------------------------------------------------------------------
if attach xdpgeneric "$T/u32.o"; then
  expect_rc "verify --count 20 --pcap rx.pcap --pcap-tx tx.pcap" 0 \
    in_ns verify --tx $TX --rx $RX --obj "$T/u32.o" --data "$DATA" --count 20 \
    --pcap "$T/rx.pcap" --pcap-tx "$T/tx.pcap"
  for f in rx tx; do
    e2e_expect "$f.pcap size (24 + 20 x (16 + 130))" "$(stat -c %s "$T/$f.pcap" 2>/dev/null || echo none)" \
      $((24 + 20 * (16 + 130)))
  done
  if command -v tcpdump >/dev/null; then
    for f in rx tx; do
      n=$(tcpdump -r "$T/$f.pcap" -nn -v 2>/dev/null | grep -c '192.0.2.1.40000 > 192.0.2.2.6666: UDP, length 88' || true)
      e2e_expect "tcpdump -r $f.pcap reads 20 UDP frames to port 6666" "$n" 20
    done
    bad=$(tcpdump -r "$T/tx.pcap" -nn -vv 2>/dev/null | grep -c 'bad cksum' || true)
    e2e_expect "tcpdump -vv finds no bad IPv4 checksum" "$bad" 0
  else
    e2e_fail "tcpdump is installed (scripts/setup.sh installs it): pcap files not read back"
  fi
fi

e2e_finish
