#!/usr/bin/env bash
# `xdpml load`, `unload` and `status` against the running kernel, on a veth pair inside a
# throw-away network namespace: skb and native mode, atomic --replace, the state records
# behind `status`, bpffs absent and present, and every error path (missing device, hw mode on
# a device that cannot offload, native mode on a device without driver XDP, objects without an
# XDP program, --sec/--prog naming nothing, verifier rejections with instruction, log excerpt
# and model node, malformed objects, no root).
#
# Isolation: tests/e2e/lib.sh runs the body in a private mount namespace (bpffs mounts and
# /run/netns vanish with it); on top of that the body mounts a tmpfs on /run, so the state
# records xdpml writes to /run/xdpml never reach the host's /run. Namespaces are named
# xdpml-e2e-<pid>-*, removed by traps even on failure; no frame is sent anywhere.
#
# Usage: loader.sh PATH/TO/xdpml      (root; exits 77 otherwise). Prints "N passed, M failed".
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../e2e/lib.sh
source "$HERE/../e2e/lib.sh"

if [ $# -ne 1 ]; then
  echo "usage: $0 PATH/TO/xdpml" >&2
  exit 2
fi
e2e_require_root
XDPML=$(readlink -m "$1")
e2e_private_mounts "$(readlink -f "${BASH_SOURCE[0]}")" "$XDPML"
# From here on we are in the private mount namespace.
mount -t tmpfs -o mode=0755,size=8m xdpml-loader-run /run
e2e_init

if [ ! -x "$XDPML" ]; then
  e2e_fail "xdpml binary $XDPML exists and is executable"
  e2e_finish
fi

T=$E2E_TMP
# The unprivileged runs below must be able to reach and read the objects.
chmod 0711 "$(dirname "$T")"
chmod 0755 "$T"

# ---- helpers ------------------------------------------------------------------------------
RC=0
OUT=""
# run CMD...: runs CMD inside the namespace, keeps exit status in RC and stdout+stderr in OUT.
run() {
  RC=0
  OUT=$(ip netns exec "$E2E_NS" "$@" 2>&1) || RC=$?
}
# run_split CMD...: like run, but stdout only in OUT and stderr in ERR.
ERR=""
run_split() {
  RC=0
  OUT=$(ip netns exec "$E2E_NS" "$@" 2>"$T/stderr") || RC=$?
  ERR=$(cat "$T/stderr")
}
# expect_rc DESC WANT: checks RC from the last run.
expect_rc() {
  if [ "$RC" -eq "$2" ]; then
    e2e_ok "$1 (exit $RC)"
  else
    e2e_fail "$1: exit $RC, want $2"
    e2e_show "$OUT${ERR:+
$ERR}"
  fi
}
# expect_text DESC REGEX [TEXT]: TEXT (default OUT) matches the extended REGEX.
expect_text() {
  local text=${3-$OUT}
  if grep -Eq -- "$2" <<<"$text"; then
    e2e_ok "$1"
  else
    e2e_fail "$1: no match for /$2/"
    e2e_show "$text"
  fi
}
# json EXPR: evaluates EXPR over the JSON in OUT (bound to j); prints "invalid" on errors.
json() {
  printf '%s' "$OUT" | e2e_json "$1" 2>/dev/null || echo invalid
}
# link_xdp DEV EXPR: evaluates EXPR over `ip -j link show DEV` (first entry bound to j).
link_xdp() {
  ip -n "$E2E_NS" -j link show dev "$1" | e2e_json "(lambda j: $2)(j[0])" 2>/dev/null || echo invalid
}
prog_exists() { bpftool prog show id "$1" >/dev/null 2>&1; }

# ---- objects ------------------------------------------------------------------------------
asm_object() { # NAME: assembles $T/NAME.s into $T/NAME.o
  if "$XDPML" asm "$T/$1.s" -o "$T/$1.o" >"$T/asm.log" 2>&1; then
    e2e_ok "assemble $1.s"
  else
    e2e_fail "assemble $1.s"
    e2e_show "$(cat "$T/asm.log")"
  fi
}
pass_program() { # NAME: a pass-all XDP program called NAME
  printf '\t.section\txdp,"ax",@progbits\n\t.globl\t%s\n\t.type\t%s,@function\n%s:\n' "$1" "$1" "$1"
  printf '\tw0 = 2\n\texit\n\t.size\t%s, 16\n\t.section\tlicense,"aw",@progbits\n\t.asciz\t"GPL"\n' "$1"
}
pass_program xdpml_pass >"$T/pass.s"
pass_program xdpml_pass2 >"$T/pass2.s"
pass_program xdp_dispatcher >"$T/dispatcher.s" # only named like libxdp's dispatcher
cat >"$T/nobounds.s" <<'EOF'
# reads the ethertype without checking the access against data_end
	.section	xdp,"ax",@progbits
	.globl	xdp_no_bounds
	.type	xdp_no_bounds,@function
xdp_no_bounds:
	r2 = *(u32 *)(r1 + 0)
	r0 = *(u16 *)(r2 + 12)
	w0 = 2
	exit
	.size	xdp_no_bounds, 32
	.section	license,"aw",@progbits
	.asciz	"GPL"
EOF
cat >"$T/textonly.s" <<'EOF'
	.text
	.globl	helper
	.type	helper,@function
helper:
	w0 = 2
	exit
	.size	helper, 16
EOF
cat >"$T/dataonly.s" <<'EOF'
	.data
	.globl	value
value:
	.long	42
EOF
for name in pass pass2 dispatcher nobounds textonly dataonly; do asm_object "$name"; done

if "$XDPML" compile anova -o "$T/anova.o" >"$T/compile.log" 2>&1; then
  e2e_ok "compile anova"
else
  e2e_fail "compile anova"
  e2e_show "$(cat "$T/compile.log")"
fi
# The same model with its length check weakened (r4 += 122 -> r4 += 60, instruction 4):
# the verifier must refuse the first sample load, which the contract attributes to A[0].
if llvm-objcopy --dump-section xdp="$T/xdp.bin" "$T/anova.o" &&
  "$E2E_PY" - "$T/xdp.bin" <<'EOF' &&
import sys
path = sys.argv[1]
code = bytearray(open(path, "rb").read())
insn = code[4 * 8:5 * 8]
assert insn[0] == 0x07 and int.from_bytes(insn[4:8], "little") == 122, insn.hex()
code[4 * 8 + 4:5 * 8] = (60).to_bytes(4, "little")
open(path, "wb").write(code)
EOF
  llvm-objcopy --update-section xdp="$T/xdp.bin" "$T/anova.o" "$T/anova-short.o"; then
  e2e_ok "anova object with a weakened length check"
else
  e2e_fail "anova object with a weakened length check"
fi
head -c 200 "$T/anova.o" >"$T/truncated.o"
printf 'not an object\n' >"$T/garbage.o"

e2e_netns_create loader
e2e_ok "network namespace $E2E_NS with veth pair $E2E_TX <-> $E2E_RX"
DEV=$E2E_RX
NETNS_INODE=$(ip netns exec "$E2E_NS" stat -L -c %i /proc/self/ns/net)
STATE_FILE="/run/xdpml/$NETNS_INODE-$(ip netns exec "$E2E_NS" cat "/sys/class/net/$DEV/ifindex").json"

# ---- the default attach: libxdp's dispatcher where the kernel runs extension programs ------
# The checks below pin the single-program path (--legacy). Without it, `load` first asks the
# kernel whether it runs extension (freplace) programs, as libxdp's dispatcher needs: where it
# does not (this project's CI kernel), the program is attached alone and the note says why;
# where it does, it goes through the dispatcher (tests/offload/init.sh tests that on Debian's
# kernel, beside xdp-filter).
run "$XDPML" load --dev "$DEV" --mode skb --json "$T/anova.o"
expect_rc "load without --legacy" 0
case "$(json "j['attach']")" in
  legacy)
    e2e_expect "... attached alone, and the note says why" \
      "$(json "any('cannot share' in n and 'extension programs' in n for n in j['notes'])")" True
    run "$XDPML" load --dev "$DEV" --mode skb "$T/anova.o"
    run "$XDPML" unload --dev "$DEV"
    expect_rc "unload" 0
    run_split "$XDPML" load --dev "$DEV" --mode skb "$T/anova.o"
    expect_text "text: the note on stderr names the refusal" "note: programs cannot share '$DEV' on this kernel: this kernel refuses extension programs" "$ERR"
    ;;
  dispatcher) e2e_ok "... attached through libxdp's dispatcher (this kernel runs extensions)" ;;
  *) e2e_fail "load --json names the attach path"; e2e_show "$OUT" ;;
esac
run "$XDPML" unload --dev "$DEV" --all
expect_rc "unload --all" 0

# ---- skb mode -----------------------------------------------------------------------------
run "$XDPML" load --legacy --dev "$DEV" --mode skb "$T/anova.o"
expect_rc "load anova.o in skb mode" 0
expect_text "load names program, id and mode" "attached 'xdpml_anova' \(id [0-9]+\) .* in skb mode"
ID1=$(link_xdp "$DEV" "j['xdp']['prog']['id']")
e2e_expect "ip link: XDP mode is generic (2)" "$(link_xdp "$DEV" "j['xdp']['mode']")" 2
run "$XDPML" status --json
e2e_expect "status --json: interface" "$(json "j['interfaces'][0]['ifname']")" "$DEV"
e2e_expect "status --json: modes" "$(json "j['interfaces'][0]['modes']")" "['skb']"
e2e_expect "status --json: id matches ip link" "$(json "j['interfaces'][0]['programs'][0]['id']")" "$ID1"
e2e_expect "status --json: name" "$(json "j['interfaces'][0]['programs'][0]['name']")" xdpml_anova
e2e_expect "status --json: contract model" \
  "$(json "j['interfaces'][0]['programs'][0]['origin']['contract']['model']")" anova
e2e_expect "status --json: object path" \
  "$(json "j['interfaces'][0]['programs'][0]['origin']['object']")" "$T/anova.o"
e2e_expect "status --json: sizes and tag" \
  "$(json "all(j['interfaces'][0]['programs'][0][k] for k in ('xlated_bytes', 'jited_bytes', 'tag', 'loaded_at'))")" True
run "$XDPML" status --dev "$DEV"
expect_text "status (text) shows mode, id, name and the model" \
  "skb: id $ID1 'xdpml_anova'.*xlated [0-9]+ B, jited [0-9]+ B"
expect_text "status (text) shows the contract" "contract: model anova, 16 x u32le at offset 58"
if [ -f "$STATE_FILE" ] && "$E2E_PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["modes"]["skb"]["prog_id"] == int(sys.argv[2])' "$STATE_FILE" "$ID1"; then
  e2e_ok "state record $STATE_FILE (netns inode + ifindex) holds the program id"
else
  e2e_fail "state record $STATE_FILE holds the program id"
fi

run "$XDPML" load --legacy --dev "$DEV" --mode skb "$T/pass.o"
expect_rc "a second load without --replace is refused" 3
expect_text "... naming the program already there" "already has an XDP program in skb mode \('xdpml_anova', id $ID1\)"
e2e_expect "... and leaving it attached" "$(link_xdp "$DEV" "j['xdp']['prog']['id']")" "$ID1"

run "$XDPML" load --legacy --dev "$DEV" --mode skb --replace --json "$T/pass.o"
expect_rc "--replace swaps in pass.o" 0
ID2=$(link_xdp "$DEV" "j['xdp']['prog']['id']")
e2e_expect "--replace --json reports the replaced id" "$(json "j['replaced_id']")" "$ID1"
e2e_expect "--replace --json reports the new id" "$(json "j['id']")" "$ID2"
if [ -n "$ID2" ] && [ "$ID2" != "$ID1" ] && [ "$ID2" != invalid ]; then
  e2e_ok "prog id changed ($ID1 -> $ID2)"
else
  e2e_fail "prog id changed ($ID1 -> $ID2)"
fi
e2e_expect "still attached in generic mode" "$(link_xdp "$DEV" "j['xdp']['mode']")" 2
e2e_expect "the new program is pass.o's" "$(link_xdp "$DEV" "j['xdp']['prog']['name']")" xdpml_pass
if prog_exists "$ID1"; then e2e_fail "the old program $ID1 is gone"; else e2e_ok "the old program $ID1 is gone"; fi
run "$XDPML" status --json --dev "$DEV"
e2e_expect "status follows the replacement: object" \
  "$(json "j['interfaces'][0]['programs'][0]['origin']['object']")" "$T/pass.o"
e2e_expect "status follows the replacement: no contract for asm objects" \
  "$(json "j['interfaces'][0]['programs'][0]['origin']['contract']")" None

# A program attached behind xdpml's back must not inherit the record of the previous one.
e2e_check "ip link: detach behind xdpml's back" ip -n "$E2E_NS" link set dev "$DEV" xdpgeneric off || true
e2e_check "ip link: attach pass2.o behind xdpml's back" \
  ip -n "$E2E_NS" link set dev "$DEV" xdpgeneric obj "$T/pass2.o" sec xdp || true
run "$XDPML" status --json --dev "$DEV"
e2e_expect "a program attached by ip link shows without an origin" \
  "$(json "j['interfaces'][0]['programs'][0]['name'] == 'xdpml_pass2' and 'origin' not in j['interfaces'][0]['programs'][0]")" True

run_split "$XDPML" unload --dev "$DEV"
expect_rc "unload" 0
expect_text "unload names what it detached" "detached 'xdpml_pass2' \(id [0-9]+\) from $DEV \(skb mode\)"
e2e_expect "nothing attached after unload (ip link)" "$(link_xdp "$DEV" "'xdp' in j")" False
run "$XDPML" status --json
e2e_expect "status --json lists no interface after unload" "$(json "j['interfaces']")" "[]"
if [ -e "$STATE_FILE" ]; then e2e_fail "unload removes the state record"; else e2e_ok "unload removes the state record"; fi
run "$XDPML" unload --dev "$DEV"
expect_rc "unload with nothing attached fails" 3
expect_text "... saying so" "no XDP program is attached to '$DEV'"

# ---- native mode --------------------------------------------------------------------------
run "$XDPML" load --legacy --dev "$DEV" --mode native "$T/pass.o"
expect_rc "load pass.o in native mode" 0
N1=$(link_xdp "$DEV" "j['xdp']['prog']['id']")
e2e_expect "ip link: XDP mode is driver (1)" "$(link_xdp "$DEV" "j['xdp']['mode']")" 1
run "$XDPML" status --json --dev "$DEV"
e2e_expect "status --json: native mode and id" \
  "$(json "(j['interfaces'][0]['modes'], j['interfaces'][0]['programs'][0]['id'])")" "(['native'], $N1)"
run "$XDPML" load --legacy --dev "$DEV" --mode skb "$T/pass2.o"
expect_rc "skb next to native is refused" 3
expect_text "... with the kernel's words" "Native and generic XDP can't be active at the same time"
run "$XDPML" load --legacy --dev "$DEV" --mode skb --replace "$T/pass2.o"
expect_rc "--replace in skb mode while only native is attached is refused" 3
expect_text "... pointing at the native program" "use --mode native"
run "$XDPML" load --legacy --dev "$DEV" --mode native --replace "$T/anova.o"
expect_rc "--replace in native mode" 0
N2=$(link_xdp "$DEV" "j['xdp']['prog']['id']")
e2e_expect "native replacement: new program, still driver mode" \
  "$(link_xdp "$DEV" "(j['xdp']['mode'], j['xdp']['prog']['name'], j['xdp']['prog']['id'] != $N1)")" \
  "(1, 'xdpml_anova', True)"
if prog_exists "$N1"; then e2e_fail "the old native program is gone"; else e2e_ok "the old native program is gone"; fi
run "$XDPML" status --json
e2e_expect "status (all interfaces): native anova with its contract" \
  "$(json "[(i['ifname'], p['mode'], p['id'], p['origin']['contract']['model']) for i in j['interfaces'] for p in i['programs']]")" \
  "[('$DEV', 'native', $N2, 'anova')]"
run "$XDPML" load --legacy --dev "$E2E_TX" --mode skb "$T/pass2.o"
expect_rc "load on the other end of the pair" 0
run "$XDPML" status --json
e2e_expect "status without --dev lists both interfaces" \
  "$(json "sorted(i['ifname'] for i in j['interfaces'])")" "$(printf "['%s', '%s']" "$E2E_RX" "$E2E_TX" | "$E2E_PY" -c 'import sys; print(sorted(eval(sys.stdin.read())))')"
run "$XDPML" unload --dev "$DEV" --mode skb
expect_rc "unload --mode skb while native is attached fails" 3
run "$XDPML" unload --dev "$DEV" --mode native --json
expect_rc "unload --mode native" 0
e2e_expect "unload --json lists the native program" "$(json "[(d['mode'], d['id']) for d in j['detached']]")" "[('native', $N2)]"
run "$XDPML" unload --dev "$E2E_TX"
expect_rc "unload the other end" 0
e2e_expect "nothing attached to either end" \
  "$(link_xdp "$DEV" "'xdp' in j") $(link_xdp "$E2E_TX" "'xdp' in j")" "False False"
run "$XDPML" load --legacy --dev "$DEV" --mode skb --replace "$T/pass.o"
expect_rc "--replace with nothing attached fails" 3
expect_text "... clearly" "nothing is attached to '$DEV' in skb mode, so there is nothing to replace"
e2e_expect "... and attaches nothing" "$(link_xdp "$DEV" "'xdp' in j")" False

# ---- bpffs: absent (as on a fresh machine) and present ------------------------------------
# `ip netns exec` remounts /sys, so /sys/fs/bpf is not a bpffs inside it: the runs above were
# the "fresh machine" case. LIBXDP_BPFFS_AUTOMOUNT=1 would make libxdp mount one; xdpml must not.
bpffs_at_sys() { grep -Eq ' /sys/fs/bpf .* - bpf ' /proc/self/mountinfo; }
export -f bpffs_at_sys
run env LIBXDP_BPFFS_AUTOMOUNT=1 XDPML="$XDPML" OBJ="$T/pass.o" DEV="$DEV" bash -c \
  '"$XDPML" load --legacy --dev "$DEV" --mode skb "$OBJ" && "$XDPML" status >/dev/null &&
   "$XDPML" unload --dev "$DEV" >/dev/null && ! bpffs_at_sys'
expect_rc "without bpffs: load/status/unload work and mount no bpffs (even with LIBXDP_BPFFS_AUTOMOUNT=1)" 0
run env XDPML="$XDPML" OBJ="$T/anova.o" DEV="$DEV" bash -c \
  'mount -t bpf xdpml-loader-bpffs /sys/fs/bpf && bpffs_at_sys &&
   "$XDPML" load --legacy --dev "$DEV" --mode skb "$OBJ" && "$XDPML" status --json --dev "$DEV" &&
   "$XDPML" unload --dev "$DEV"'
expect_rc "with bpffs mounted: load/status/unload work" 0
expect_text "... and status shows the program" '"name": "xdpml_anova"'

# A program named like libxdp's dispatcher whose state libxdp cannot find is reported as such.
run "$XDPML" load --legacy --dev "$DEV" --mode skb "$T/dispatcher.o"
expect_rc "load a program named xdp_dispatcher" 0
run "$XDPML" status --json --dev "$DEV"
e2e_expect "status flags a libxdp dispatcher whose components are unknown" \
  "$(json "j['interfaces'][0]['programs'][0]['libxdp_dispatcher']['components_known']")" False
run "$XDPML" status --dev "$DEV"
expect_text "... and says why" "libxdp dispatcher: .*not a bpffs mount"
run "$XDPML" unload --dev "$DEV"
expect_rc "unload it" 0

# ---- error paths --------------------------------------------------------------------------
# one_error_line: the first line of OUT is the error, and there is exactly one error line.
one_error_line() {
  if [ "$(grep -c 'error:' <<<"$OUT")" -eq 1 ] && head -n 1 <<<"$OUT" | grep -q 'error:' &&
    grep -q 'hint:' <<<"$OUT"; then
    e2e_ok "$1: one error line and a hint"
  else
    e2e_fail "$1: one error line and a hint"
    e2e_show "$OUT"
  fi
}
run "$XDPML" load --legacy --dev xdpml-nodev0 --mode skb "$T/pass.o"
expect_rc "missing device" 3
expect_text "... named" "no network interface named 'xdpml-nodev0'"
one_error_line "missing device"
run "$XDPML" unload --dev xdpml-nodev0
expect_rc "unload: missing device" 3
run "$XDPML" status --dev xdpml-nodev0
expect_rc "status: missing device" 3

run "$XDPML" load --legacy --dev "$DEV" --mode hw "$T/pass.o"
expect_rc "hw mode on a veth" 3
expect_text "... says the device cannot offload, with the kernel's errno" "'$DEV' cannot offload XDP programs.*\(Invalid argument\)"
one_error_line "hw mode on a veth"
e2e_expect "... and attaches nothing" "$(link_xdp "$DEV" "'xdp' in j")" False

run "$XDPML" load --legacy --dev lo --mode native "$T/pass.o"
expect_rc "native mode on lo (no driver XDP)" 3
expect_text "... with the kernel's words" "'lo' does not support XDP in native mode: .*native mode"
one_error_line "native mode on lo"

for name in textonly dataonly; do
  run "$XDPML" load --legacy --dev "$DEV" --mode skb "$T/$name.o"
  expect_rc "object without an XDP program ($name)" 1
  expect_text "... says so and lists what it has" "the object has no XDP program; (its programs: 'helper' \(section .text|it has no programs at all \(sections: .*\.data)"
  one_error_line "no XDP program ($name)"
done
run "$XDPML" load --legacy --dev "$DEV" --mode skb --sec nosuch "$T/anova.o"
expect_rc "--sec naming nothing" 1
expect_text "... lists the programs" "no program matches --sec nosuch; its programs: 'xdpml_anova' \(section xdp, xdp\)"
run "$XDPML" load --legacy --dev "$DEV" --mode skb --prog nosuch "$T/anova.o"
expect_rc "--prog naming nothing" 1
expect_text "... lists the programs" "no program matches --prog nosuch; its programs: 'xdpml_anova'"
run "$XDPML" load --legacy --dev "$DEV" --mode skb --sec xdp --prog xdpml_anova "$T/anova.o"
expect_rc "--sec and --prog naming the program" 0
run "$XDPML" unload --dev "$DEV"

run "$XDPML" load --legacy --dev "$DEV" --mode skb "$T/nobounds.o"
expect_rc "verifier rejection" 3
expect_text "... names the instruction index" "rejected by the verifier at instruction 1: "
expect_text "... quotes the verifier" "invalid access to packet|outside of the packet"
expect_text "... shows the instruction's text" "note: instruction 1: [rw]0 = \*\(u16 \*\)\(r2 \+ 12\)"
expect_text "... shows the verifier log around it" "1: \(69\) r0 = \*\(u16 \*\)\(r2 \+12\)"
expect_text "... with a hint" "hint: every packet access must come after a check against data_end"
if grep -q 'libbpf:' <<<"$OUT"; then e2e_fail "libbpf's own messages stay hidden without --verbose"; else e2e_ok "libbpf's own messages stay hidden without --verbose"; fi
run "$XDPML" load --legacy --dev "$DEV" --mode skb --verbose "$T/nobounds.o"
expect_text "--verbose shows libbpf's messages" "libbpf: "
run_split "$XDPML" load --legacy --dev "$DEV" --mode skb --json "$T/nobounds.o"
e2e_expect "--json: the rejection as JSON on stdout" \
  "$(json "(j['ok'], 'at instruction 1' in j['errors'][0]['message'])")" "(False, True)"
e2e_expect "... nothing attached" "$(link_xdp "$DEV" "'xdp' in j")" False

run "$XDPML" load --legacy --dev "$DEV" --mode native "$T/anova-short.o"
expect_rc "verifier rejection of a compiled model" 3
expect_text "... names instruction 12 and its model node" "at instruction 12 \(model node A\[0\]\): "
expect_text "... shows the instruction with its node" "instruction 12: w1 = \*\(u32 \*\)\(r2 \+ 58\) +# A\[0\]"

for name in truncated garbage; do
  run "$XDPML" load --legacy --dev "$DEV" --mode skb "$T/$name.o"
  expect_rc "malformed object ($name)" 1
  expect_text "... named in the error" "$T/$name.o: error: "
  one_error_line "malformed object ($name)"
done
run "$XDPML" load --legacy --dev "$DEV" --mode skb "$T/missing.o"
expect_rc "missing object" 1
expect_text "... named" "cannot open '$T/missing.o'"
run "$XDPML" load --legacy --dev "$DEV" --mode offload "$T/pass.o"
expect_rc "unknown mode is a usage error" 2

run setpriv --reuid=65534 --regid=65534 --clear-groups "$XDPML" load --legacy --dev "$DEV" --mode skb "$T/pass.o"
expect_rc "not root" 3
expect_text "... says permission was denied" "error: permission denied loading program 'xdpml_pass'"
expect_text "... and that root is needed" "hint: .*needs root"
one_error_line "not root"
run "$XDPML" load --legacy --dev "$DEV" --mode skb "$T/pass.o"
run setpriv --reuid=65534 --regid=65534 --clear-groups "$XDPML" unload --dev "$DEV"
expect_rc "unload as not root" 3
e2e_expect "... leaves the program attached" "$(link_xdp "$DEV" "'xdp' in j")" True
run setpriv --reuid=65534 --regid=65534 --clear-groups "$XDPML" status --dev "$DEV"
expect_rc "status as not root still lists the attachment" 0
expect_text "... and says details need root" "skb: id [0-9]+ \(cannot read program"
run "$XDPML" unload --dev "$DEV"
expect_rc "final unload" 0

e2e_finish
