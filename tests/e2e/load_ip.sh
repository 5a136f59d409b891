#!/usr/bin/env bash
# End-to-end: objects assembled by "xdpml asm" load through iproute2
# ("ip link set dev X xdpgeneric obj O sec xdp", libbpf 1.1 underneath), run on
# frames sent through a veth pair inside a private network namespace, and
# behave as written: progs/pass_notype.s drops UDP to port 7777,
# progs/array_map.s counts frames per IPv4 protocol in its map, and
# progs/bad_nobounds.s is rejected by the verifier.
#
# Usage: load_ip.sh PATH/TO/xdpml      (root; exits 77 otherwise)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ $# -ne 1 ]; then
  echo "usage: $0 PATH/TO/xdpml" >&2
  exit 2
fi
e2e_require_root
XDPML=$(readlink -m "$1")
e2e_private_mounts "$(readlink -f "${BASH_SOURCE[0]}")" "$XDPML"
e2e_init

# ---- assemble ---------------------------------------------------------------
if [ ! -x "$XDPML" ]; then
  e2e_fail "xdpml binary $XDPML exists and is executable"
  e2e_finish
fi
declare -A BUILT=()
for prog in pass_notype array_map bad_nobounds; do
  if e2e_assemble "$XDPML" "$prog"; then BUILT[$prog]=1; fi
done

e2e_netns_create ip
e2e_ok "network namespace $E2E_NS with veth pair $E2E_TX <-> $E2E_RX"

# ---- helpers ----------------------------------------------------------------
TRAFFIC='{}'
# traffic WHAT SPEC...: sends frames TX -> RX inside the namespace (pktio.py).
traffic() {
  local what=$1
  shift
  TRAFFIC='{}'
  if e2e_check "$what: send $* through the veth pair" \
    ip netns exec "$E2E_NS" "$E2E_PY" "$E2E_DIR/pktio.py" sendrecv "$E2E_TX" "$E2E_RX" "$@"; then
    TRAFFIC=$E2E_OUT
  fi
}
# got SPEC: how many frames of SPEC the last traffic call saw arrive on RX.
got() { printf '%s' "$TRAFFIC" | e2e_json "j.get('$1', 'none')" 2>/dev/null || echo invalid; }

attach() {
  e2e_check "$1: ip link set dev $E2E_RX xdpgeneric obj $1.o sec xdp" \
    ip -n "$E2E_NS" link set dev "$E2E_RX" xdpgeneric obj "$E2E_TMP/$1.o" sec xdp
}

PROG_ID=""
# shown NAME FUNC: "ip link show" lists xdpgeneric and a prog id (-> PROG_ID).
shown() {
  local out
  out=$(ip -n "$E2E_NS" link show dev "$E2E_RX" 2>&1) || true
  PROG_ID=$(sed -n 's|.*prog/xdp id \([0-9][0-9]*\).*|\1|p' <<<"$out" | head -n 1)
  if grep -qw xdpgeneric <<<"$out" && [ -n "$PROG_ID" ] && grep -q "name $2 " <<<"$out"; then
    e2e_ok "$1: ip link show: xdpgeneric, prog/xdp id $PROG_ID, name $2"
  else
    e2e_fail "$1: ip link show lists xdpgeneric, a prog/xdp id and name $2"
    e2e_show "$out"
  fi
}

detach() {
  local out
  e2e_check "$1: ip link set dev $E2E_RX xdpgeneric off" \
    ip -n "$E2E_NS" link set dev "$E2E_RX" xdpgeneric off || true
  out=$(ip -n "$E2E_NS" link show dev "$E2E_RX" 2>&1) || true
  if grep -q 'prog/xdp' <<<"$out"; then
    e2e_fail "$1: no XDP program left on $E2E_RX after detach"
    e2e_show "$out"
  else
    e2e_ok "$1: no XDP program left on $E2E_RX after detach"
  fi
}

# counters MAP_ID: the map's u64 values in key order, space separated.
COUNTERS_PY='
import json, sys
le = lambda bs: int.from_bytes(bytes(int(b, 16) for b in bs), "little")
entries = sorted(json.load(sys.stdin), key=lambda e: le(e["key"]))
print(" ".join(str(le(e["value"])) for e in entries))
'
counters() { bpftool -j map dump id "$1" | "$E2E_PY" -c "$COUNTERS_PY"; }

# ---- baseline: no XDP program, every frame arrives -----------------------------
traffic "baseline (no XDP)" udp:7777:5 udp:7778:5
e2e_expect "baseline (no XDP): UDP/7777 frames received" "$(got udp:7777:5)" 5
e2e_expect "baseline (no XDP): UDP/7778 frames received" "$(got udp:7778:5)" 5

# ---- pass_notype: drops UDP/7777, passes everything else ---------------------
if [ -n "${BUILT[pass_notype]:-}" ] && attach pass_notype; then
  shown pass_notype xdp_drop_7777
  traffic pass_notype udp:7777:5 udp:7778:5 icmp:3 tcp:7777:2
  e2e_expect "pass_notype: UDP/7777 frames received (want all dropped)" "$(got udp:7777:5)" 0
  e2e_expect "pass_notype: UDP/7778 frames received (want all passed)" "$(got udp:7778:5)" 5
  e2e_expect "pass_notype: ICMP frames received (want all passed)" "$(got icmp:3)" 3
  e2e_expect "pass_notype: TCP/7777 frames received (want all passed)" "$(got tcp:7777:2)" 2
  detach pass_notype
  traffic "pass_notype detached" udp:7777:3
  e2e_expect "pass_notype detached: UDP/7777 frames received again" "$(got udp:7777:3)" 3
else
  echo "    # pass_notype: not assembled or not attached, its traffic checks are skipped"
fi

# ---- array_map: counts frames per protocol, passes everything -----------------
if [ -n "${BUILT[array_map]:-}" ] && attach array_map; then
  shown array_map xdp_count_proto
  MAP_ID=""
  if [ -n "$PROG_ID" ]; then
    for m in $(bpftool -j prog show id "$PROG_ID" | e2e_json "' '.join(map(str, j.get('map_ids', [])))"); do
      if [ "$(bpftool -j map show id "$m" | e2e_json "j.get('name')")" = counters ]; then MAP_ID=$m; fi
    done
  fi
  if [ -n "$MAP_ID" ]; then
    e2e_ok "array_map: prog $PROG_ID uses map 'counters' (id $MAP_ID)"
    read -r -a before <<<"$(counters "$MAP_ID")" || true
    e2e_expect "array_map: entries in bpftool map dump" "${#before[@]}" 4
    traffic array_map icmp:3 tcp:80:2 udp:7777:5
    e2e_expect "array_map: ICMP frames received (want all passed)" "$(got icmp:3)" 3
    e2e_expect "array_map: TCP frames received (want all passed)" "$(got tcp:80:2)" 2
    e2e_expect "array_map: UDP frames received (want all passed)" "$(got udp:7777:5)" 5
    read -r -a after <<<"$(counters "$MAP_ID")" || true
    if [ "${#before[@]}" -eq 4 ] && [ "${#after[@]}" -eq 4 ]; then
      e2e_ok "array_map: counters ${before[*]} -> ${after[*]}"
      e2e_expect "array_map: counters[1] (ICMP) increase" "$((after[1] - before[1]))" 3
      e2e_expect "array_map: counters[2] (TCP) increase" "$((after[2] - before[2]))" 2
      e2e_expect "array_map: counters[3] (UDP) increase" "$((after[3] - before[3]))" 5
    else
      e2e_fail "array_map: read counters with bpftool map dump (got '${before[*]:-}' / '${after[*]:-}')"
    fi
  else
    e2e_fail "array_map: find map 'counters' of prog '${PROG_ID:-?}' with bpftool"
  fi
  detach array_map
else
  echo "    # array_map: not assembled or not attached, its map checks are skipped"
fi

# ---- bad_nobounds: the verifier rejects it ------------------------------------
if [ -n "${BUILT[bad_nobounds]:-}" ]; then
  if e2e_check_fails "bad_nobounds: ip link set ... xdpgeneric obj bad_nobounds.o exits non-zero" \
    ip -n "$E2E_NS" link set dev "$E2E_RX" xdpgeneric obj "$E2E_TMP/bad_nobounds.o" sec xdp; then
    if grep -q 'invalid access to packet' <<<"$E2E_OUT"; then
      e2e_ok "bad_nobounds: rejected by the verifier ('invalid access to packet')"
    else
      e2e_fail "bad_nobounds: rejected by the verifier ('invalid access to packet' in the log)"
      e2e_show "$E2E_OUT"
    fi
  fi
  if ip -n "$E2E_NS" link show dev "$E2E_RX" | grep -q 'prog/xdp'; then
    e2e_fail "bad_nobounds: nothing attached to $E2E_RX"
  else
    e2e_ok "bad_nobounds: nothing attached to $E2E_RX"
  fi
else
  e2e_fail "bad_nobounds: negative check not run (object was not assembled)"
fi

e2e_finish
