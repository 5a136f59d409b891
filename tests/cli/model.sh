#!/usr/bin/env bash
# `xdpml compile model` and `xdpml info` on networks: reports, listings that reassemble, JSON,
# --verify, --target nfp refusals, and the exit codes and texts of bad input.
set -uo pipefail
XDPML=${1:?usage: model.sh XDPML}
root=$(cd "$(dirname "$0")/../.." && pwd)
ex=$root/examples/models
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() {
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
py() { /usr/bin/python3 -c "$@"; }
# --verify loads programs: without root those checks cannot run, and the test reports a skip.
is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1

"$XDPML" compile model "$ex/aurora/model.json" --calib "$ex/aurora/calib.csv" -o "$work/a.o" -S "$work/a.s" >"$work/a.txt"
check "compile the Aurora-shape model" $?
check "the report names every layer with proven accumulator ranges" $(grep -q 'fc2 (dense): 512 weights' "$work/a.txt" && grep -q 'alu32' "$work/a.txt" && grep -q 'tanh1 (tanh); 16-segment compare tree' "$work/a.txt"; echo $?)
"$XDPML" asm "$work/a.s" -o "$work/re.o"
check "the -S listing reassembles" $?
llvm-objcopy --dump-section xdp="$work/a.bin" "$work/a.o" && llvm-objcopy --dump-section xdp="$work/b.bin" "$work/re.o"
check "reassembled listing has identical code" $(cmp -s "$work/a.bin" "$work/b.bin"; echo $?)
check "the listing names neurons and activations" $(grep -q '# fc1\[5\]' "$work/a.s" && grep -q '# tanh2\[3\]' "$work/a.s" && grep -q '# input\[29\]' "$work/a.s"; echo $?)

"$XDPML" compile model "$ex/classifier/model.onnx" --calib "$ex/classifier/calib.csv" --eval "$ex/classifier/test.csv" --json >"$work/c.json"
check "ONNX + --json without -o: a report only" $([ $? -eq 0 ] && py 'import json,sys; j=json.load(open(sys.argv[1])); assert j["output"]=="" and j["fidelity_on_eval"]["labelled_rows"]==171 and j["layers"][0]["arithmetic"]=="alu32"' "$work/c.json"; echo $?)

if [ "$is_root" -eq 1 ]; then
  "$XDPML" compile model "$ex/classifier/model.json" --calib "$ex/classifier/calib.csv" --verify --verify-samples 3000 -o "$work/c.o" 2>"$work/err" >/dev/null
  check "--verify: verifier and 3,000 test runs" $([ $? -eq 0 ] && grep -q '3000 test runs equal the reference' "$work/err"; echo $?)
  "$XDPML" compile model "$ex/aurora/model.json" --calib "$ex/aurora/calib.csv" --strict-align --verify --verify-samples 2000 --json -o "$work/as.o" >"$work/as.json"
  check "--verify --strict-align reports the verifier's instruction count" $(py 'import json,sys; j=json.load(open(sys.argv[1])); assert j["verify"]["ran"] and j["verify"]["verifier_processed_insns"] > 0' "$work/as.json"; echo $?)
else
  "$XDPML" compile model "$ex/classifier/model.json" --calib "$ex/classifier/calib.csv" --verify -o "$work/c.o" 2>"$work/err" >/dev/null
  check "--verify without root says the kernel checks were skipped and goes on" $([ $? -eq 0 ] && grep -q 'kernel checks skipped' "$work/err"; echo $?)
fi
"$XDPML" info "$work/c.o" >"$work/info"
check "info shows the model's packet layout and layers" $(grep -q 'result (i32) at 58, 6 x i32le at 66' "$work/info" && grep -q 'fc2 (dense x32)' "$work/info" && grep -q 'class 1 (benign)' "$work/info"; echo $?)
"$XDPML" info "$work/c.o" --json >"$work/info.json"
check "info --json carries the quantized and the float model" $(py 'import json,sys; j=json.load(open(sys.argv[1])); assert j["quantized"]["ops"][0]["kind"]=="dense" and j["float_model"]["layers"][0]["type"]=="dense"' "$work/info.json"; echo $?)

"$XDPML" compile model "$ex/classifier/model.json" --calib "$ex/classifier/calib.csv" --target nfp -o "$work/n.o" 2>"$work/err"
check "--target nfp refuses a model over budget, naming the layer where it runs out" $([ $? -eq 1 ] && grep -q "model node 'fc1\[" "$work/err" && grep -q 'R-SIZE-1' "$work/err" && [ ! -e "$work/n.o" ]; echo $?)
cat >"$work/small.json" <<'JSON'
{"xdpml_model": 1, "input": {"features": 4, "min": [0, 0, 0, 0], "max": [10, 10, 10, 10]},
 "layers": [{"type": "dense", "weights": [[0.5, -1, 0.25, 2], [1, 1, -1, 0.125], [0, 0.75, 1, -0.5]],
             "bias": [0.5, -1, 0]}, {"type": "relu"},
            {"type": "dense", "weights": [[1, -1, 0.5], [-0.5, 1, 1]], "bias": [0, 0.25]}]}
JSON
"$XDPML" compile model "$work/small.json" --target nfp --json -o "$work/small.o" >"$work/small.out"
check "a small model fits the NFP budget and passes its own check" $([ $? -eq 0 ] && py 'import json,sys; j=json.load(open(sys.argv[1])); assert j["nfp"]["checked"]' "$work/small.out"; echo $?)
"$XDPML" check --target nfp "$work/small.o" >/dev/null
check "xdpml check --target nfp accepts it" $?

cat >"$work/tanh.json" <<'JSON'
{"xdpml_model": 1, "input": {"features": 3, "min": [-1, -1, -1], "max": [1, 1, 1]},
 "layers": [{"type": "dense", "weights": [[0.5, -1, 0.25], [1, 1, -1]], "bias": [0.5, -1]}, {"type": "tanh"},
            {"type": "dense", "weights": [[1, -1]], "bias": [0]}, {"type": "sigmoid"}]}
JSON
"$XDPML" compile model "$work/tanh.json" --target nfp --json -o "$work/tanh.o" >"$work/tanh.out"
check "tanh and sigmoid compare trees are offload-legal (--target nfp)" $([ $? -eq 0 ] && py 'import json,sys; j=json.load(open(sys.argv[1])); assert j["nfp"]["checked"] and j["nfp"]["programs"][0]["estimated_nfp_insns"] < 2800' "$work/tanh.out"; echo $?)

printf '{"xdpml_model": 1, "input": {"features": 2}, "layers": [{"type": "conv2d"}]}' >"$work/bad.json"
"$XDPML" compile model "$work/bad.json" -o "$work/x.o" 2>"$work/err"
check "an unknown layer is an error naming the field" $([ $? -eq 1 ] && grep -q 'field layers\[0\].type: unknown layer type "conv2d"' "$work/err" && [ ! -e "$work/x.o" ]; echo $?)
printf '{"xdpml_model": 1,\n "input": {"features": 2,}}' >"$work/syntax.json"
"$XDPML" compile model "$work/syntax.json" -o "$work/x.o" 2>"$work/err"
check "a JSON syntax error names file:line:col" $([ $? -eq 1 ] && grep -q 'syntax.json:2:' "$work/err"; echo $?)
printf '1,2,3\n4,5\n' >"$work/calib.csv"
"$XDPML" compile model "$ex/classifier/model.json" --calib "$work/calib.csv" -o "$work/x.o" 2>"$work/err"
check "calibration rows with the wrong column count name file:line" $([ $? -eq 1 ] && grep -q 'calib.csv:1:.*row has 3 columns; the model takes 6 features' "$work/err"; echo $?)
"$XDPML" compile model "$work/missing.onnx" -o "$work/x.o" 2>"$work/err"
check "a missing model file is an error" $([ $? -eq 1 ] && grep -q 'missing.onnx' "$work/err"; echo $?)
printf 'not an onnx model' >"$work/junk.onnx"
"$XDPML" compile model "$work/junk.onnx" -o "$work/x.o" 2>"$work/err"
check "garbage ONNX is refused" $([ $? -eq 1 ] && grep -q 'not an ONNX model' "$work/err"; echo $?)
"$XDPML" compile model "$ex/classifier/model.json" 2>/dev/null
check "no -o, --json or -S is a usage error" $([ $? -eq 2 ]; echo $?)
"$XDPML" compile model "$ex/classifier/model.json" --pwl-segments 1 -o "$work/x.o" 2>/dev/null
check "an out-of-range option is a usage error" $([ $? -eq 2 ]; echo $?)

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
if [ "$is_root" -eq 0 ]; then
  echo "skipped: the --verify kernel checks need root"
  exit 77
fi
