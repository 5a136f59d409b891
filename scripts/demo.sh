#!/usr/bin/env bash
# The README's first command: the seed workflow end to end on a throw-away veth testbed.
# compile the ANOVA segmenter -> attach it natively -> send every window of the example price
# series -> verify every tag against the bit-exact reference -> the same in skb mode -> how
# often the report's floating-point computation agrees. Then the headline job with a neural
# network: the Aurora-shape congestion-control MLP (ONNX, trained by examples/models/make.sh)
# -> quantize from calibration rows -> --verify in the kernel -> attach natively -> send every
# test row -> check every result against the bit-exact reference and the float model.
# Tears everything down on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
X=$PWD/build/xdpml
NS=xdpml-demo
DATA=examples/prices.txt
work=$(mktemp -d)
cleanup() {
  "$X" testbed down --name "$NS" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

json() { /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
in_ns() { ip netns exec "$NS" "$X" "$@"; }

echo "== testbed"
"$X" testbed up --name "$NS" | sed 's/^/   /'

echo "== compile: ANOVA segmenter, u32 samples x16384, epsilon 0.1, magic match"
"$X" compile anova -o "$work/anova.o" -S "$work/anova.s" --json >"$work/compile.json"
insns=$(json "$work/compile.json" "j['code']['instructions']")
echo "   $insns instructions (the 2019 hand-written assembly: 119)"

summary=()
for mode in native skb; do
  echo "== $mode mode: load, send $DATA, verify every tag"
  in_ns load --dev tb-rx --mode "$mode" "$work/anova.o" | sed 's/^/   /'
  rc=0
  in_ns verify --tx tb-tx --rx tb-rx --obj "$work/anova.o" --data "$DATA" --json >"$work/$mode.json" || rc=$?
  line=$(json "$work/$mode.json" "'%d windows sent, %d received, %d ok, %d mismatched, %d lost, %d split' % (j['counts'].get('sent', j['counts']['received']), j['counts']['received'], j['counts']['ok'], j['counts']['mismatched'], j['counts']['lost'], j['tags']['split'])")
  echo "   $line"
  summary+=("$mode: $line")
  if [ "$rc" -ne 0 ]; then
    echo "demo: verification failed in $mode mode (exit $rc)" >&2
    exit "$rc"
  fi
  [ "$mode" = native ] || continue
  # The same frames judged by the report's double computation: agreement, not equality.
  in_ns verify --tx tb-tx --rx tb-rx --obj "$work/anova.o" --data "$DATA" --reference double --json >"$work/double.json" || true
  agree=$(json "$work/double.json" "'%.3f %% (%d of %d windows)' % (100.0 * j['counts']['ok'] / j['counts']['received'], j['counts']['ok'], j['counts']['received'])")
  in_ns unload --dev tb-rx >/dev/null
done

echo "== network: the Aurora-shape MLP from ONNX (30 -> 32 tanh -> 16 tanh -> 1 sigmoid)"
NET=examples/models/aurora
in_ns unload --dev tb-rx >/dev/null # the segmenter, still attached in skb mode
"$X" compile model "$NET/model.onnx" --calib "$NET/calib.csv" --verify -o "$work/aurora.o" \
  --json >"$work/net.json"
net_insns=$(json "$work/net.json" "'%d instructions, %d stack bytes; verifier accepted it (%d processed) and %d test runs equal the reference' % (j['code']['instructions'], j['code']['stack_bytes'], j['verify']['verifier_processed_insns'], j['verify']['test_runs'])")
echo "   $net_insns"
in_ns load --dev tb-rx --mode native "$work/aurora.o" | sed 's/^/   /'
rc=0
in_ns verify --tx tb-tx --rx tb-rx --obj "$work/aurora.o" --data "$NET/test.csv" --json >"$work/net-verify.json" || rc=$?
net_line=$(json "$work/net-verify.json" "'%d rows sent, %d received, %d results equal to the bit-exact reference, %d mismatched; vs the float model: mean %.3f %%, max %.3f %% of [0, 1]' % (j['rows'], j['counts']['received'], j['counts']['ok'], j['counts']['mismatched'], 100 * j['fidelity']['mean_abs_error'], 100 * j['fidelity']['max_abs_error'])")
echo "   $net_line"
in_ns unload --dev tb-rx >/dev/null
if [ "$rc" -ne 0 ]; then
  echo "demo: network verification failed (exit $rc)" >&2
  exit "$rc"
fi

echo "== summary"
echo "   program: $insns instructions"
for s in "${summary[@]}"; do echo "   $s"; done
echo "   agreement with the report's double computation: $agree"
echo "   network: $net_insns"
echo "   network over veth (native): $net_line"
echo "demo: ok"
