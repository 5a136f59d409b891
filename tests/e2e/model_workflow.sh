#!/usr/bin/env bash
# The network workflow end to end with xdpml's own tools: `compile model` of both example models
# (examples/models/aurora: a regression, examples/models/classifier: argmax) -> `xdpml load`
# (native, then skb) -> `xdpml verify` of every row of their test.csv over a veth pair, with no
# extra flags: every row must arrive once with the tag (and, for the regression, the i32 result)
# of the bit-exact reference, and the JSON report must carry the fidelity figures (float model,
# labels). Also: --strict-align objects (skb), a wrong reference is caught (exit 4, naming the
# row), send + recv as two processes, and `xdpml bench` on model objects (data rows and random
# rows).
#
# Usage: model_workflow.sh PATH/TO/xdpml      (root; exits 77 otherwise)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -eq 1 ] || { echo "usage: $0 PATH/TO/xdpml" >&2; exit 2; }
e2e_require_root
XDPML=$(readlink -m "$1")
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MODELS=$SRC/examples/models
e2e_private_mounts "$(readlink -f "${BASH_SOURCE[0]}")" "$XDPML"
e2e_init
# State records of `xdpml load` stay inside this test's private mount namespace.
mount -t tmpfs xdpml-run /run 2>/dev/null && mkdir -p /run/netns || true

NS="xdpml-mw-$$"
E2E_NETNS+=("$NS")
TX=tb-tx
RX=tb-rx
T=$E2E_TMP

# Rows of a test table: its lines without the header.
rows_of() { echo $(($(wc -l <"$1") - 1)); }

e2e_check "testbed up" "$XDPML" testbed up --name "$NS"
for m in aurora classifier; do
  e2e_check "compile model $m (--calib calib.csv)" "$XDPML" compile model "$MODELS/$m/model.json" \
    --calib "$MODELS/$m/calib.csv" -o "$T/$m.o"
  e2e_check "compile model $m --strict-align" "$XDPML" compile model "$MODELS/$m/model.json" \
    --calib "$MODELS/$m/calib.csv" --strict-align -o "$T/$m-strict.o"
done
# Another quantization of aurora: its reference differs from the attached program's.
e2e_check "compile model aurora --weight-bits 12" "$XDPML" compile model "$MODELS/aurora/model.json" \
  --calib "$MODELS/aurora/calib.csv" --weight-bits 12 -o "$T/aurora-w12.o"

# The fidelity figures each output kind reports (JSON numbers).
declare -A FIDELITY=(
  [aurora]="['mean_abs_error', 'max_abs_error', 'quantized_label_mean_abs_error', 'float_label_mean_abs_error']"
  [classifier]="['argmax_agreement', 'quantized_accuracy', 'float_accuracy']"
)
# Bounds that a correct quantization of these models keeps (their compile reports: aurora's mean
# error ~0.002, the classifier agrees with its float model on ~every row; examples/models/README.md).
declare -A SANE=(
  [aurora]="f['max_abs_error'] < 0.05 and f['mean_abs_error'] < 0.01 and f['float_label_mean_abs_error'] < 0.01"
  [classifier]="f['argmax_agreement'] >= 0.95 and f['float_accuracy'] > 0.9 and f['quantized_accuracy'] > 0.9"
)

# verify_model DESC MODEL OBJ: every row of MODEL's test.csv through the attached program.
verify_model() {
  local desc=$1 m=$2 obj=$3 rc=0 rows got fid keys
  rows=$(rows_of "$MODELS/$m/test.csv")
  in_ns verify --tx $TX --rx $RX --obj "$obj" --data "$MODELS/$m/test.csv" --json \
    >"$T/v.json" 2>"$T/v.err" || rc=$?
  got=$(jget "$T/v.json" "j['rows'], j['counts']['received'], j['counts']['ok'], j['counts']['mismatched'], j['counts']['lost'], j['counts']['unprocessed'], j['counts']['duplicated'], j['counts']['corrupted']")
  if [ "$rc" -eq 0 ] && [ "$got" = "($rows, $rows, $rows, 0, 0, 0, 0, 0)" ]; then
    e2e_ok "$desc: $rows/$rows rows, 0 mismatches"
  else
    e2e_fail "$desc: exit $rc, (rows, received, ok, mismatched, lost, unprocessed, duplicated, corrupted) = $got"
    e2e_show "$(cat "$T/v.json" "$T/v.err")"
  fi
  keys=${FIDELITY[$m]}
  fid=$(jget "$T/v.json" "(lambda f: f['rows'] == $rows and f['labelled_rows'] == $rows and f['float_model'] and all(isinstance(f[k], float) for k in $keys) and (${SANE[$m]}))(j['fidelity'])")
  if [ "$fid" = True ]; then
    e2e_ok "$desc: fidelity $(jget "$T/v.json" "{k: round(j['fidelity'][k], 6) for k in $keys}")"
  else
    e2e_fail "$desc: fidelity figures missing or out of bounds ($fid)"
    e2e_show "$(jget "$T/v.json" "j.get('fidelity')")"
  fi
  [ "$m" != aurora ] || e2e_expect "$desc: results judged" "$(jget "$T/v.json" "j['results_judged']")" True
}

for mode in native skb; do
  for m in aurora classifier; do
    if e2e_check "xdpml load --mode $mode $m.o" in_ns load --dev $RX --mode $mode "$T/$m.o"; then
      in_ns status --dev $RX --json >"$T/s.json" || true
      e2e_expect "status shows $mode mode and the network contract" \
        "$(jget "$T/s.json" "[(p['mode'], ((p.get('origin') or {}).get('contract') or {}).get('model')) for i in j['interfaces'] for p in i['programs']]")" \
        "[('$mode', 'network')]"
      verify_model "$mode: verify --obj $m.o" $m "$T/$m.o"
      e2e_check "unload ($mode)" in_ns unload --dev $RX
    fi
  done
done

for m in aurora classifier; do
  if e2e_check "xdpml load --mode skb $m-strict.o" in_ns load --dev $RX --mode skb "$T/$m-strict.o"; then
    verify_model "skb: verify --obj $m-strict.o (--strict-align)" $m "$T/$m-strict.o"
    e2e_check "unload (skb)" in_ns unload --dev $RX
  fi
done

if e2e_check "load aurora.o natively for the negative and send/recv checks" \
  in_ns load --dev $RX --mode native "$T/aurora.o"; then
  # The frames of aurora-w12.o's contract, judged by its reference, through aurora.o: the
  # results differ (exit 4), and the report names the first rows with both results.
  rc=0
  in_ns verify --tx $TX --rx $RX --obj "$T/aurora-w12.o" --data "$MODELS/aurora/test.csv" \
    --count 20 >"$T/w.out" 2>&1 || rc=$?
  if [ "$rc" -eq 4 ] && grep -q "mismatched" "$T/w.out" && grep -q "row 0 (line 2): expected tag 1 (done) result" "$T/w.out"; then
    e2e_ok "another quantization's reference: exit 4, first mismatching rows named"
  else
    e2e_fail "another quantization's reference: exit $rc"
    e2e_show "$(cat "$T/w.out")"
  fi
  # send and recv as two processes (recv first; it says when it listens).
  in_ns recv --dev $RX --obj "$T/aurora.o" --data "$MODELS/aurora/test.csv" --json --timeout 5 \
    >"$T/r.json" 2>"$T/r.err" &
  RECV=$!
  for _ in $(seq 50); do grep -q "recv: waiting" "$T/r.err" 2>/dev/null && break; sleep 0.1; done
  e2e_check "send every row of aurora's test.csv" in_ns send --dev $TX --obj "$T/aurora.o" \
    --data "$MODELS/aurora/test.csv" --pcap "$T/tx.pcap"
  rc=0
  wait $RECV || rc=$?
  e2e_expect "recv: (exit, received, ok, mismatched)" \
    "$rc, $(jget "$T/r.json" "j['counts']['received'], j['counts']['ok'], j['counts']['mismatched']")" \
    "0, (1000, 1000, 0)"
  # 24-byte pcap header + 1000 x (16-byte record header + 194-byte frame: 66 + 30 x 4 + 8).
  e2e_expect "the pcap holds 1000 frames of 194 bytes" "$(stat -c %s "$T/tx.pcap")" \
    $((24 + 1000 * (16 + 194)))
  in_ns unload --dev $RX >/dev/null 2>&1 || true
fi

# bench: model objects, their data rows (the first --runs of test.csv) and random rows.
for m in aurora classifier; do
  rc=0
  "$XDPML" bench "$T/$m.o" --data "$MODELS/$m/test.csv" --runs 5 --loads 2 --json \
    >"$T/b.json" 2>"$T/b.err" || rc=$?
  e2e_expect "bench $m.o --data test.csv: (exit, ok, windows, runs ok)" \
    "$rc, $(jget "$T/b.json" "j['ok'], j['windows'], j['programs'][0]['runs_ok']")" \
    "0, (True, [0, 1, 2, 3, 4], 5)"
  rc=0
  "$XDPML" bench "$T/$m.o" "$T/$m-strict.o" --runs 5 --loads 2 --json >"$T/b.json" 2>"$T/b.err" || rc=$?
  e2e_expect "bench $m.o $m-strict.o on random rows: (exit, ok, data)" \
    "$rc, $(jget "$T/b.json" "j['ok'], j['data']")" "0, (True, 'random rows')"
done
rc=0
"$XDPML" bench "$T/aurora.o" "$T/classifier.o" --runs 3 --loads 1 >"$T/b.out" 2>&1 || rc=$?
e2e_expect "bench of two different networks, each on its own random rows (exit)" "$rc" 0
rc=0
"$XDPML" bench "$T/aurora.o" "$T/classifier.o" --data "$MODELS/aurora/test.csv" --runs 3 \
  >"$T/b.out" 2>&1 || rc=$?
if [ "$rc" -eq 1 ] && grep -q "classifier.o\|test.csv" "$T/b.out"; then
  e2e_ok "bench with aurora's rows for the classifier is refused (exit 1)"
else
  e2e_fail "bench with aurora's rows for the classifier: exit $rc"
  e2e_show "$(cat "$T/b.out")"
fi
e2e_check "testbed down" "$XDPML" testbed down --name "$NS"
e2e_finish
