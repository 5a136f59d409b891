#!/usr/bin/env bash
# The seed workflow end to end with xdpml's own tools: compile -> `xdpml load` (native, then
# skb) -> `xdpml verify` of every window of examples/prices.txt against the bit-exact
# reference; the 2019 report's own v1 algorithm (hand-written asm) checked with
# --reference osh-int; and `xdpml load --replace` while frames are flowing loses none and
# leaves none unprocessed; 4+4 (u32, skb) and 32+32 (f64, native) windows verified the same way.
#
# Usage: anova_workflow.sh PATH/TO/xdpml      (root; exits 77 otherwise)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -eq 1 ] || { echo "usage: $0 PATH/TO/xdpml" >&2; exit 2; }
e2e_require_root
XDPML=$(readlink -m "$1")
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=$SRC/examples/prices.txt
e2e_private_mounts "$(readlink -f "${BASH_SOURCE[0]}")" "$XDPML"
e2e_init
# State records of `xdpml load` stay inside this test's private mount namespace.
mount -t tmpfs xdpml-run /run 2>/dev/null && mkdir -p /run/netns || true

NS="xdpml-wf-$$"
E2E_NETNS+=("$NS")
TX=tb-tx
RX=tb-rx
T=$E2E_TMP
WINDOWS=4985

e2e_check "testbed up" "$XDPML" testbed up --name "$NS"
e2e_check "compile anova (u32, magic)" "$XDPML" compile anova -o "$T/u32.o"
e2e_check "compile anova again for the replacement" "$XDPML" compile anova -o "$T/u32b.o"
e2e_check "assemble the report's v1 program" "$XDPML" asm "$SRC/tests/e2e/progs/osh_v1.s" -o "$T/osh.o"

# verify_all DESC ARGS...: every window arrives once with the reference tag ($WINDOWS of them).
verify_all() {
  local desc=$1 rc=0 got
  shift
  in_ns verify --tx $TX --rx $RX --data "$DATA" --json "$@" >"$T/v.json" 2>"$T/v.err" || rc=$?
  got=$(jget "$T/v.json" "j['counts']['received'], j['counts']['ok'], j['counts']['mismatched'], j['counts']['lost'], j['counts']['unprocessed']")
  if [ "$rc" -eq 0 ] && [ "$got" = "($WINDOWS, $WINDOWS, 0, 0, 0)" ]; then
    e2e_ok "$desc: $WINDOWS/$WINDOWS windows, 0 mismatches"
  else
    e2e_fail "$desc: exit $rc, (received, ok, mismatched, lost, unprocessed) = $got"
    e2e_show "$(cat "$T/v.json" "$T/v.err")"
  fi
}

# Other window sizes (--window N): 2N samples a packet, 5000 - 2N + 1 windows of the same data.
e2e_check "compile anova --window 4 (u32)" "$XDPML" compile anova --window 4 -o "$T/w4.o"
e2e_check "compile anova --window 32 --input f64 --scale 100" "$XDPML" compile anova --window 32 \
  --input f64 --scale 100 -o "$T/w32.o"
if e2e_check "xdpml load --mode skb w4.o" in_ns load --dev $RX --mode skb "$T/w4.o"; then
  WINDOWS=4993 verify_all "skb: verify --obj w4.o (4+4 samples a packet)" --obj "$T/w4.o"
  rc=0
  in_ns verify --tx $TX --rx $RX --data "$DATA" --obj "$T/w4.o" --reference osh-int \
    >"$T/o.out" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ] && grep -q "16 samples a packet" "$T/o.out"; then
    e2e_ok "--reference osh-int on a 4+4 object is refused (exit $rc)"
  else
    e2e_fail "--reference osh-int on a 4+4 object is refused (exit $rc)"
    e2e_show "$(cat "$T/o.out")"
  fi
  e2e_check "unload (skb)" in_ns unload --dev $RX
fi
if e2e_check "xdpml load --mode native w32.o" in_ns load --dev $RX --mode native "$T/w32.o"; then
  WINDOWS=4937 verify_all "native: verify --obj w32.o (32+32 doubles a packet)" --obj "$T/w32.o"
  e2e_check "unload (native)" in_ns unload --dev $RX
fi

for mode in native skb; do
  if e2e_check "xdpml load --mode $mode u32.o" in_ns load --dev $RX --mode $mode "$T/u32.o"; then
    in_ns status --dev $RX --json >"$T/s.json" || true
    e2e_expect "status shows $mode mode and the anova contract" \
      "$(jget "$T/s.json" "[(p['mode'], ((p.get('origin') or {}).get('contract') or {}).get('model')) for i in j['interfaces'] for p in i['programs']]")" \
      "[('$mode', 'anova')]"
    verify_all "$mode: verify --obj u32.o (exact reference)" --obj "$T/u32.o"
    e2e_check "unload ($mode)" in_ns unload --dev $RX
  fi
  if e2e_check "xdpml load --mode $mode osh.o (hand-written v1)" in_ns load --dev $RX --mode $mode "$T/osh.o"; then
    verify_all "$mode: report's v1 program, --reference osh-int" --format osh-u32 --scale 16384 --reference osh-int
    e2e_check "unload ($mode)" in_ns unload --dev $RX
  fi
done

# --replace while frames flow: the sender paces 4985 windows over ~2.5 s and the program is
# swapped five times meanwhile; no frame may be lost or left without a tag.
if e2e_check "load u32.o natively for the replace test" in_ns load --dev $RX --mode native "$T/u32.o"; then
  in_ns verify --tx $TX --rx $RX --data "$DATA" --obj "$T/u32.o" --rate 2000 --json >"$T/r.json" 2>"$T/r.err" &
  VERIFY=$!
  sleep 0.3
  swaps=0
  for i in 1 2 3 4 5; do
    obj=$T/u32.o
    [ $((i % 2)) -eq 1 ] && obj=$T/u32b.o
    if in_ns load --dev $RX --mode native --replace "$obj" >/dev/null 2>"$T/replace.err"; then swaps=$((swaps + 1)); fi
    sleep 0.35
  done
  rc=0
  wait $VERIFY || rc=$?
  e2e_expect "five atomic replacements succeeded" "$swaps" 5
  e2e_expect "verify across the replacements: (exit, received, ok, lost, unprocessed)" \
    "$rc, $(jget "$T/r.json" "j['counts']['received'], j['counts']['ok'], j['counts']['lost'], j['counts']['unprocessed']")" \
    "0, ($WINDOWS, $WINDOWS, 0, 0)"
  in_ns unload --dev $RX >/dev/null 2>&1 || true
fi

e2e_check "testbed down" "$XDPML" testbed down --name "$NS"
e2e_finish
