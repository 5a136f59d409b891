#!/usr/bin/env bash
# The README's first command: the seed workflow end to end on a throw-away veth testbed.
# compile the ANOVA segmenter -> attach it natively -> send every window of the example price
# series -> verify every tag against the bit-exact reference -> the same in skb mode -> how
# often the report's floating-point computation agrees. Tears everything down on exit.
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

echo "== summary"
echo "   program: $insns instructions"
for s in "${summary[@]}"; do echo "   $s"; done
echo "   agreement with the report's double computation: $agree"
echo "demo: ok"
