#!/usr/bin/env bash
# End-to-end: objects assembled by "xdpml asm" load and pin with
# "bpftool prog load O PIN type xdp" (bpftool 7.1 / libbpf 1.1), show up with
# the right program type, name, license and map (sizes, max_entries, BTF), and
# compute the right verdicts under BPF_PROG_TEST_RUN ("bpftool prog run").
# The verifier must reject progs/bad_nobounds.s.
#
# bpffs is mounted on a temporary directory inside a private mount namespace
# (never at /sys/fs/bpf, never left mounted).
#
# Usage: load_bpftool.sh PATH/TO/xdpml      (root; exits 77 otherwise)
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

e2e_bpffs_mount
e2e_ok "bpffs mounted on $E2E_BPFFS_DIR (private mount namespace)"
PIN=$E2E_BPFFS_DIR

for kind in udp:7777:1 udp:7778:1 icmp:1 tcp:7777:1; do
  "$E2E_PY" "$E2E_DIR/pktio.py" frame "$kind" "$E2E_TMP/${kind//:/_}.bin"
done

# ---- helpers ----------------------------------------------------------------
# load NAME: bpftool prog load NAME.o PIN/NAME type xdp
load() {
  e2e_check "$1: bpftool prog load $1.o $PIN/$1 type xdp" \
    bpftool prog load "$E2E_TMP/$1.o" "$PIN/$1" type xdp
}

PROG_JSON='{}'
# shown NAME FUNC: bpftool prog show pinned: type xdp, name FUNC, GPL license.
shown() {
  PROG_JSON=$(bpftool -j prog show pinned "$PIN/$1" 2>&1) || {
    e2e_fail "$1: bpftool prog show pinned $PIN/$1"
    e2e_show "$PROG_JSON"
    PROG_JSON='{}'
    return 0
  }
  e2e_ok "$1: bpftool prog show pinned $PIN/$1"
  e2e_expect "$1: prog type" "$(e2e_json "j.get('type')" <<<"$PROG_JSON")" xdp
  e2e_expect "$1: prog name" "$(e2e_json "j.get('name')" <<<"$PROG_JSON")" "$2"
  e2e_expect "$1: gpl_compatible (license section)" \
    "$(e2e_json "j.get('gpl_compatible')" <<<"$PROG_JSON")" True
}

# verdict NAME SPEC: XDP return value of the pinned program for one frame.
verdict() {
  bpftool -j prog run pinned "$PIN/$1" data_in "$E2E_TMP/${2//:/_}.bin" repeat 1 |
    e2e_json "j.get('retval')" 2>/dev/null || echo error
}

# ---- pass_notype ------------------------------------------------------------
if [ -n "${BUILT[pass_notype]:-}" ] && load pass_notype; then
  shown pass_notype xdp_drop_7777
  e2e_expect "pass_notype: prog run, UDP/7777 frame -> XDP_DROP (1)" "$(verdict pass_notype udp:7777:1)" 1
  e2e_expect "pass_notype: prog run, UDP/7778 frame -> XDP_PASS (2)" "$(verdict pass_notype udp:7778:1)" 2
  e2e_expect "pass_notype: prog run, ICMP frame -> XDP_PASS (2)" "$(verdict pass_notype icmp:1)" 2
  e2e_expect "pass_notype: prog run, TCP/7777 frame -> XDP_PASS (2)" "$(verdict pass_notype tcp:7777:1)" 2
else
  echo "    # pass_notype: not assembled or not loaded, its checks are skipped"
fi

# ---- array_map --------------------------------------------------------------
COUNTERS_PY='
import json, sys
le = lambda bs: int.from_bytes(bytes(int(b, 16) for b in bs), "little")
entries = sorted(json.load(sys.stdin), key=lambda e: le(e["key"]))
print(" ".join(str(le(e["value"])) for e in entries))
'
if [ -n "${BUILT[array_map]:-}" ] && load array_map; then
  shown array_map xdp_count_proto
  MAP_IDS=$(e2e_json "' '.join(map(str, j.get('map_ids', [])))" <<<"$PROG_JSON")
  e2e_expect "array_map: number of maps used by the program" "$(wc -w <<<"$MAP_IDS" | tr -d ' ')" 1
  MAP_ID=${MAP_IDS%% *}
  if [ -n "$MAP_ID" ] && MAP_JSON=$(bpftool -j map show id "$MAP_ID" 2>&1); then
    e2e_ok "array_map: bpftool map show id $MAP_ID"
    e2e_expect "array_map: map name" "$(e2e_json "j.get('name')" <<<"$MAP_JSON")" counters
    e2e_expect "array_map: map type" "$(e2e_json "j.get('type')" <<<"$MAP_JSON")" array
    e2e_expect "array_map: map key size" "$(e2e_json "j.get('bytes_key')" <<<"$MAP_JSON")" 4
    e2e_expect "array_map: map value size" "$(e2e_json "j.get('bytes_value')" <<<"$MAP_JSON")" 8
    e2e_expect "array_map: map max_entries" "$(e2e_json "j.get('max_entries')" <<<"$MAP_JSON")" 4
    BTF_ID=$(e2e_json "j.get('btf_id', '')" <<<"$MAP_JSON")
    if [ -n "$BTF_ID" ]; then
      e2e_ok "array_map: map has BTF (btf_id $BTF_ID)"
      BTF_DUMP=$(bpftool btf dump id "$BTF_ID" 2>&1) || true
      if grep -q "DATASEC '.maps'" <<<"$BTF_DUMP" && grep -q "VAR 'counters'" <<<"$BTF_DUMP"; then
        e2e_ok "array_map: BTF $BTF_ID has DATASEC '.maps' with VAR 'counters'"
      else
        e2e_fail "array_map: BTF $BTF_ID has DATASEC '.maps' with VAR 'counters'"
        e2e_show "$BTF_DUMP"
      fi
    else
      e2e_fail "array_map: map has BTF (no btf_id in bpftool map show -j)"
      e2e_show "$MAP_JSON"
    fi
    read -r -a before <<<"$(bpftool -j map dump id "$MAP_ID" | "$E2E_PY" -c "$COUNTERS_PY")" || true
    e2e_expect "array_map: prog run, UDP frame -> XDP_PASS (2)" "$(verdict array_map udp:7777:1)" 2
    e2e_expect "array_map: prog run, ICMP frame -> XDP_PASS (2)" "$(verdict array_map icmp:1)" 2
    e2e_expect "array_map: prog run, TCP frame -> XDP_PASS (2)" "$(verdict array_map tcp:7777:1)" 2
    read -r -a after <<<"$(bpftool -j map dump id "$MAP_ID" | "$E2E_PY" -c "$COUNTERS_PY")" || true
    if [ "${#before[@]}" -eq 4 ] && [ "${#after[@]}" -eq 4 ]; then
      e2e_ok "array_map: counters ${before[*]} -> ${after[*]}"
      e2e_expect "array_map: counters[1] (ICMP) increase" "$((after[1] - before[1]))" 1
      e2e_expect "array_map: counters[2] (TCP) increase" "$((after[2] - before[2]))" 1
      e2e_expect "array_map: counters[3] (UDP) increase" "$((after[3] - before[3]))" 1
    else
      e2e_fail "array_map: read 4 counters with bpftool map dump (got '${before[*]:-}' / '${after[*]:-}')"
    fi
  else
    e2e_fail "array_map: bpftool map show id '${MAP_ID:-}'"
    e2e_show "${MAP_JSON:-}"
  fi
else
  echo "    # array_map: not assembled or not loaded, its checks are skipped"
fi

# ---- bad_nobounds: the verifier rejects it ------------------------------------
if [ -n "${BUILT[bad_nobounds]:-}" ]; then
  if e2e_check_fails "bad_nobounds: bpftool prog load bad_nobounds.o exits non-zero" \
    bpftool prog load "$E2E_TMP/bad_nobounds.o" "$PIN/bad_nobounds" type xdp; then
    if grep -q 'invalid access to packet' <<<"$E2E_OUT"; then
      e2e_ok "bad_nobounds: rejected by the verifier ('invalid access to packet')"
    else
      e2e_fail "bad_nobounds: rejected by the verifier ('invalid access to packet' in the log)"
      e2e_show "$E2E_OUT"
    fi
  fi
  if [ -e "$PIN/bad_nobounds" ]; then
    e2e_fail "bad_nobounds: nothing pinned at $PIN/bad_nobounds"
  else
    e2e_ok "bad_nobounds: nothing pinned at $PIN/bad_nobounds"
  fi
else
  e2e_fail "bad_nobounds: negative check not run (object was not assembled)"
fi

# ---- compiled objects load without a word from libbpf ------------------------
# Every example program: bpftool prints nothing on stderr, the program carries BTF (FUNC with
# its model-node line info, libxdp's .xdp_run_config), and `xdpml info` still reads the
# contract that libbpf passed over.
ROOT=$(readlink -f "$(dirname "${BASH_SOURCE[0]}")/../..")
declare -A COMPILED=(
  [anova_u32]="compile anova --input u32"
  [anova_f64]="compile anova --input f64 --scale 100"
  [anova_strict]="compile anova --input u32 --strict-align"
  [anova_full]="compile anova --input u32 --match full"
  [anova_nfp]="compile anova --input u32 --target nfp"
  [aurora]="compile model $ROOT/examples/models/aurora/model.json"
  [classifier]="compile model $ROOT/examples/models/classifier/model.onnx --calib $ROOT/examples/models/classifier/calib.csv"
)
for name in "${!COMPILED[@]}"; do
  read -r -a args <<<"${COMPILED[$name]}"
  if ! e2e_check "$name: xdpml ${COMPILED[$name]}" "$XDPML" "${args[@]}" -o "$E2E_TMP/$name.o"; then
    continue
  fi
  if bpftool prog load "$E2E_TMP/$name.o" "$PIN/$name" type xdp 2>"$E2E_TMP/$name.err" >/dev/null; then
    e2e_ok "$name: bpftool prog load"
    e2e_expect "$name: bpftool printed no warning" "$(cat "$E2E_TMP/$name.err")" ""
    dump=$(bpftool prog dump xlated pinned "$PIN/$name" 2>&1 || true)
    dump=$(sed -n 1,4p <<<"$dump")
    if grep -q '^int xdpml_[a-z]*(struct xdp_md \* ctx):' <<<"$dump" && grep -q '^; ' <<<"$dump"; then
      e2e_ok "$name: the kernel shows the BTF prototype and model-node line info"
    else
      e2e_fail "$name: the kernel shows the BTF prototype and model-node line info"
      e2e_show "$dump"
    fi
    rm -f "$PIN/$name"
  else
    e2e_fail "$name: bpftool prog load"
    e2e_show "$(cat "$E2E_TMP/$name.err")"
  fi
  if bpftool btf dump file "$E2E_TMP/$name.o" | grep "DATASEC '.xdp_run_config'" >/dev/null; then
    e2e_ok "$name: libxdp's run config is in the BTF"
  else
    e2e_fail "$name: libxdp's run config is in the BTF"
  fi
  e2e_check "$name: xdpml info reads the contract" "$XDPML" info "$E2E_TMP/$name.o"
done

rm -f "$PIN/pass_notype" "$PIN/array_map"
e2e_finish
