#!/usr/bin/env bash
# `xdpml compile anova` and `xdpml info`: budgets, listings that reassemble, JSON, errors.
set -uo pipefail
XDPML=${1:?usage: compile.sh XDPML}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() {
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
count() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["code"]["instructions"])' "$1"; }

"$XDPML" compile anova --input u32 --match magic -o "$work/u32.o" -S "$work/u32.s" --json >"$work/u32.json"
check "compile u32/magic" $?
n=$(count "$work/u32.json")
echo "     u32 magic: $n instructions (hand-written in 2019: 119)"
check "u32/magic fits 100 instructions" $([ "$n" -le 100 ]; echo $?)
"$XDPML" compile anova --input f64 --match magic -o "$work/f64.o" --json >"$work/f64.json"
n=$(count "$work/f64.json")
echo "     f64 magic: $n instructions (hand-written in 2019: 391)"
check "f64/magic fits 300 instructions" $([ "$n" -le 300 ]; echo $?)
check "f64/magic x16384 does not regress (277 since window B compares unrounded samples)" $([ "$n" -le 277 ]; echo $?)
"$XDPML" compile anova --input f64 --match magic --scale 100 -o "$work/f64-100.o" --json >"$work/f64-100.json"
n=$(count "$work/f64-100.json")
echo "     f64 magic x100: $n instructions (hand-written in 2019: 391)"
check "f64/magic x100 fits 300 instructions" $([ "$n" -le 300 ]; echo $?)

"$XDPML" asm "$work/u32.s" -o "$work/re.o"
check "the -S listing reassembles" $?
llvm-objcopy --dump-section xdp="$work/a.bin" "$work/u32.o" && llvm-objcopy --dump-section xdp="$work/b.bin" "$work/re.o"
check "reassembled listing has identical code" $(cmp -s "$work/a.bin" "$work/b.bin"; echo $?)
check "listing is annotated with model nodes" $(grep -q '# A\[3\]' "$work/u32.s" && grep -q '# decision' "$work/u32.s"; echo $?)
check "JSON report has proven ranges" $(/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert any(r["node"]=="variance" for r in j["ranges"])' "$work/u32.json"; echo $?)

"$XDPML" info "$work/u32.o" >"$work/info"
check "info shows the packet layout" $(grep -q 'magic 0x216c7174786a7a21 at 42' "$work/info" && grep -q 'u32le at 58' "$work/info"; echo $?)
"$XDPML" info "$work/f64.o" --json >"$work/info.json"
check "info --json gives the contract" $(/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["layout"]["encoding"]=="f64le" and j["tags"]["1"]=="split"' "$work/info.json"; echo $?)

printf '12.25\n13.50\n# comment\n\n11.75\n' >"$work/calib.txt"
"$XDPML" compile anova --scale auto --calib "$work/calib.txt" -o "$work/auto.o" --json >"$work/auto.json"
check "scale auto picks 100 for two-decimal prices" $(/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["anova"]["scale"]==100 and j["scale_choice"]["exact"]' "$work/auto.json"; echo $?)
printf '0.1\n0.3333333333333333\n' >"$work/lossy.txt"
"$XDPML" compile anova --scale auto --calib "$work/lossy.txt" -o "$work/lossy.o" --json >"$work/lossy.json"
check "scale auto reports a lossy choice" $(/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert not j["scale_choice"]["exact"] and j["scale_choice"]["max_integerization_error"] > 0' "$work/lossy.json"; echo $?)

printf '1.5\nabc\n' >"$work/bad.txt"
"$XDPML" compile anova --scale auto --calib "$work/bad.txt" -o "$work/x.o" 2>"$work/err"
check "a malformed data line is an error naming file:line" $([ $? -eq 1 ] && grep -q 'bad.txt:2:1: error' "$work/err"; echo $?)
"$XDPML" compile anova --epsilon 0.1x -o "$work/x.o" 2>"$work/err"
check "a malformed epsilon is refused" $([ $? -ne 0 ] && grep -q 'epsilon' "$work/err"; echo $?)
"$XDPML" compile anova --epsilon 100000 --scale 65536 -o "$work/x.o" 2>"$work/err"
check "an epsilon too large for the scale is refused with a hint" $([ $? -eq 1 ] && grep -q 'too large' "$work/err" && grep -q hint "$work/err"; echo $?)
"$XDPML" compile anova --input f64 --scale 4095 -o "$work/x.o" 2>"$work/err"
check "f64 with an unsupported scale is refused" $([ $? -eq 1 ] && grep -q 'odd part' "$work/err"; echo $?)
"$XDPML" compile anova --input f32 -o "$work/x.o" 2>/dev/null
check "an unknown input format is a usage error" $([ $? -eq 2 ]; echo $?)
"$XDPML" info "$work/re.o" 2>"$work/err"
check "info on an object without a contract says so" $([ $? -eq 1 ] && grep -q 'no I/O contract' "$work/err"; echo $?)

"$XDPML" compile anova --input f64 --target nfp -o "$work/nfp.o" --json >"$work/nfp.json"
check "f64 --target nfp compiles and passes its own NFP check" $([ $? -eq 0 ] && /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["nfp"]["checked"]' "$work/nfp.json"; echo $?)
"$XDPML" check --target nfp "$work/nfp.o" >/dev/null
check "xdpml check --target nfp accepts it" $?
"$XDPML" check --target nfp "$work/u32.o" >/dev/null 2>&1
check "the kernel-target object (store immediate) is refused by the NFP check" $([ $? -eq 1 ]; echo $?)
for scale in 100 1000 3 2047; do
  "$XDPML" compile anova --input f64 --target nfp --scale "$scale" -o "$work/nfp-$scale.o" --json >"$work/nfp-$scale.json"
  check "f64 --target nfp --scale $scale compiles (32-bit multiplies) and passes its own NFP check" $([ $? -eq 0 ] && /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["nfp"]["checked"]' "$work/nfp-$scale.json"; echo $?)
  "$XDPML" check --target nfp "$work/nfp-$scale.o" >/dev/null
  check "xdpml check --target nfp accepts f64 x$scale" $?
done

# A damaged contract (here: every field of the wrong type) is one clear error, never an abort.
cat >"$work/badc.s" <<'ASM'
	.section xdp,"ax",@progbits
	.globl p
	.type p,@function
p:
	r0 = 2
	exit
	.section license,"aw",@progbits
	.asciz "GPL"
	.section .xdpml.contract,"",@progbits
	.ascii "{\"model\": 5, \"program\": [1], \"layout\": {\"magic\": 7, \"samples\": 16, \"encoding\": 3, \"data_offset\": \"a\"}, \"provenance\": [{\"insn\": 0, \"node\": 5}]}"
ASM
"$XDPML" asm "$work/badc.s" -o "$work/badc.o"
check "an object with a malformed contract assembles" $?
"$XDPML" info "$work/badc.o" 2>"$work/err"
check "info on a malformed contract exits 1 naming the field" $([ $? -eq 1 ] && grep -q 'malformed: field model must be a string' "$work/err"; echo $?)
"$XDPML" check --target nfp "$work/badc.o" >/dev/null 2>"$work/err"
check "check --target nfp ignores the contract and checks the code" $?
"$XDPML" bench "$work/badc.o" --data "$(dirname "$0")/../../examples/prices.txt" 2>"$work/err"
check "bench on a malformed contract exits 1 naming the field" $([ $? -eq 1 ] && grep -q 'field model must be a string' "$work/err"; echo $?)
"$XDPML" send --dev xdpml-nodev0 --obj "$work/badc.o" --data "$(dirname "$0")/../../examples/prices.txt" 2>"$work/err"
check "send on a malformed contract exits 1 before sending" $([ $? -eq 1 ] && grep -q 'malformed' "$work/err"; echo $?)

# Output files the way compilers write them (issue 12): never replace what is not a regular file,
# never exit 0 with output that did not arrive.
"$XDPML" compile anova -o /dev/null >/dev/null
check "-o /dev/null writes into the device and leaves it a device" $([ $? -eq 0 ] && [ -c /dev/null ]; echo $?)
"$XDPML" compile anova -o "$work/ok.o" -S /dev/full >/dev/null 2>"$work/err"
check "-S /dev/full fails with exit 1 naming the file" $([ $? -eq 1 ] && grep -q "cannot write '/dev/full': No space left on device" "$work/err"; echo $?)
"$XDPML" compile anova -o /dev/full >/dev/null 2>"$work/err"
check "-o /dev/full fails with exit 1" $([ $? -eq 1 ] && grep -q 'No space left on device' "$work/err"; echo $?)
"$XDPML" compile anova -o "$work/ok.o" --json >/dev/full 2>"$work/err"
check "a report to a full standard output fails with exit 1" $([ $? -eq 1 ] && grep -q 'cannot write to standard output' "$work/err"; echo $?)
ln -s "$work/target.o" "$work/link.o"
"$XDPML" compile anova -o "$work/link.o" >/dev/null
check "-o through a symlink keeps the link and writes its target" $([ -L "$work/link.o" ] && [ -f "$work/target.o" ] && llvm-readelf -h "$work/target.o" >/dev/null; echo $?)
mkfifo "$work/fifo"
cat "$work/fifo" >"$work/fifo.out" &
"$XDPML" compile anova -o "$work/fifo" >/dev/null
wait
check "-o FIFO writes into the FIFO and leaves it a FIFO" $([ -p "$work/fifo" ] && cmp -s "$work/fifo.out" "$work/ok.o"; echo $?)
"$XDPML" compile anova -o "$work" >/dev/null 2>"$work/err"
check "-o DIRECTORY is an error naming it" $([ $? -eq 1 ] && grep -q 'it is a directory' "$work/err"; echo $?)
for cmd in "asm $work -o $work/d.o" "disasm $work" "info $work" "compile model $work -o $work/d.o" \
  "compile anova --scale auto --calib $work -o $work/d.o"; do
  # shellcheck disable=SC2086
  "$XDPML" $cmd >/dev/null 2>"$work/err"
  check "a directory as input is an error (xdpml ${cmd%% *})" $([ $? -eq 1 ] && grep -q 'is a directory' "$work/err"; echo $?)
done
printf 'garbage line\n' >"$work/hdr.txt"
"$XDPML" compile anova --scale auto --calib "$work/hdr.txt" -o "$work/x.o" 2>"$work/err"
check "a data file with only a non-numeric line says so, naming file:line" $([ $? -eq 1 ] && grep -q "hdr.txt:1: error: no values: the only line, 'garbage line', is not a number" "$work/err"; echo $?)
printf '\000\001bin\n1\n' >"$work/bin.txt"
"$XDPML" compile anova --scale auto --calib "$work/bin.txt" -o "$work/x.o" 2>"$work/err"
check "a binary first line is an error, printed escaped" $([ $? -eq 1 ] && grep -q "'\\\\x00\\\\x01bin' is not a number" "$work/err"; echo $?)
printf 'r0 = 2\000\nexit\n' >"$work/nul.s"
"$XDPML" asm "$work/nul.s" -o "$work/x.o" 2>"$work/err"
check "a NUL byte in assembly is reported escaped, never echoed raw" $([ $? -eq 1 ] && grep -q "unexpected character '\\\\x00'" "$work/err" && ! grep -qaP '\x00' "$work/err"; echo $?)
head -c 1000000 /dev/zero | tr '\0' a >"$work/long.s"
"$XDPML" asm "$work/long.s" -o "$work/x.o" 2>"$work/err"
check "a megabyte token is cut in the message" $([ $? -eq 1 ] && [ "$(wc -c <"$work/err")" -lt 2000 ] && grep -q 'more bytes' "$work/err"; echo $?)
"$XDPML" compile anova --epsilon -1 -o "$work/x.o" 2>"$work/err"
check "a negative --epsilon is a usage error (exit 2)" $([ $? -eq 2 ] && grep -q "is negative" "$work/err"; echo $?)
"$XDPML" send --rate -5 --dev xdpml-nodev0 --obj "$work/u32.o" --data /dev/null 2>"$work/err"
check "a negative --rate is a usage error naming the rule, not 0 to 1.8e308" $([ $? -eq 2 ] && grep -q "'-5' is not a number >= 0" "$work/err"; echo $?)
check "no temporary files are left behind" $([ -z "$(find "$work" -name '.*.XXXXXX' -o -name '.*.o.*' | head -1)" ]; echo $?)

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
