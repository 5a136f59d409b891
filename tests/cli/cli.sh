#!/usr/bin/env bash
# CLI contract of `xdpml asm` / `xdpml disasm`: exit codes, file:line:col diagnostics with a
# caret and a hint, JSON output that parses, atomic output (no half-written object on error).
set -uo pipefail
XDPML=${1:?usage: cli.sh XDPML}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() {  # check NAME CONDITION-EXIT-STATUS
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}

printf '\t.text\n\tr1 = 1\n\tfoo r1, r2\n' >"$work/bad.s"
"$XDPML" asm "$work/bad.s" -o "$work/bad.o" 2>"$work/err"
rc=$?
check "asm error exits 1" $([ $rc -eq 1 ]; echo $?)
check "asm error names file:line:col" $(grep -q "bad.s:3:2: error: unknown instruction 'foo'" "$work/err"; echo $?)
check "asm error shows the source line and a caret" $(grep -q '^[[:space:]]*\^~~' "$work/err"; echo $?)
check "asm error carries a hint" $(grep -q 'hint:' "$work/err"; echo $?)
check "no object is left behind on error" $([ ! -e "$work/bad.o" ] && ! ls "$work"/bad.o.tmp.* >/dev/null 2>&1; echo $?)

"$XDPML" asm "$work/bad.s" -o "$work/bad.o" --json >"$work/json" 2>/dev/null
check "asm --json error is JSON with line/column" $(/usr/bin/python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["errors"][0]; assert e["line"]==3 and e["column"]==2' "$work/json" 2>/dev/null; echo $?)

printf '\t.section xdp,"ax",@progbits\nprog:\n\tw0 = 2\n\texit\n' >"$work/ok.s"
"$XDPML" asm "$work/ok.s" -o "$work/ok.o" --json >"$work/json"
check "asm succeeds" $?
check "asm --json summary lists the xdp section" $(/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert any(s["name"]=="xdp" and s["instructions"]==2 for s in j["sections"])' "$work/json" 2>/dev/null; echo $?)
"$XDPML" disasm "$work/ok.o" --json >"$work/json"
check "disasm --json parses" $(/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j[0]["instructions"][0]["text"]=="w0 = 2"' "$work/json" 2>/dev/null; echo $?)
"$XDPML" disasm "$work/ok.o" --bytes >"$work/list"
check "disasm --bytes shows index and bytes" $(grep -q 'w0 = 2.*# 0: b4 00 00 00 02 00 00 00' "$work/list"; echo $?)
"$XDPML" disasm "$work/ok.o" -s nosuch 2>"$work/err"
check "disasm of a missing section exits 1" $([ $? -eq 1 ]; echo $?)

head -c 100 /dev/urandom >"$work/junk.o"
"$XDPML" disasm "$work/junk.o" 2>"$work/err"
rc=$?
check "disasm of garbage exits 1" $([ $rc -eq 1 ]; echo $?)
check "disasm of garbage names the file" $(grep -q "junk.o: error: not an ELF file" "$work/err"; echo $?)
head -c 300 "$work/ok.o" >"$work/trunc.o"
"$XDPML" disasm "$work/trunc.o" 2>"$work/err"
check "disasm of a truncated object exits 1" $([ $? -eq 1 ]; echo $?)
"$XDPML" disasm "$work/nonexistent.o" 2>"$work/err"
check "disasm of a missing file exits 1 with a message" $([ $? -eq 1 ] && grep -q "cannot open" "$work/err"; echo $?)
"$XDPML" asm 2>/dev/null
check "usage error exits 2" $([ $? -eq 2 ]; echo $?)
"$XDPML" --version >/dev/null
check "--version exits 0" $?

# disasm -> asm round trip of a clang object whose names need quoting (SEC("fentry/...") makes a
# section symbol "fentry/foo" that debug info and BTF.ext relocate against), with a BTF map.
cat >"$work/fentry.c" <<'C'
#include <linux/bpf.h>
#define SEC(x) __attribute__((section(x), used))
struct {
  int (*type)[BPF_MAP_TYPE_ARRAY];
  int (*max_entries)[4];
  unsigned int *key;
  unsigned long long *value;
} counts SEC(".maps");
static void *(*lookup)(void *map, const void *key) = (void *)1;
SEC("fentry/foo") int on_foo(void *ctx) {
  unsigned int k = 0;
  unsigned long long *v = lookup(&counts, &k);
  if (v) *v += 1;
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
C
if clang-14 -O2 -g -target bpf -I"/usr/include/$(uname -m)-linux-gnu" -c "$work/fentry.c" -o "$work/fentry.o"; then
  "$XDPML" disasm "$work/fentry.o" >"$work/fentry.s"
  check "disasm quotes names that need it" $(grep -q '"fentry/foo"' "$work/fentry.s"; echo $?)
  "$XDPML" asm "$work/fentry.s" -o "$work/fentry2.o" 2>"$work/err"
  check "the listing of a clang object with quoted names reassembles" $?
  same=0
  for sec in fentry/foo .maps license .BTF .BTF.ext .debug_info .debug_line .debug_abbrev; do
    a=$(llvm-objcopy --dump-section "$sec=/dev/stdout" "$work/fentry.o" 2>/dev/null | md5sum)
    b=$(llvm-objcopy --dump-section "$sec=/dev/stdout" "$work/fentry2.o" 2>/dev/null | md5sum)
    [ "$a" = "$b" ] || { same=1; echo "     differs: $sec"; }
  done
  check "code, maps, BTF, BTF.ext and debug sections are identical after the round trip" $same
  ra=$(llvm-readelf -r "$work/fentry.o" | grep -c R_BPF)
  rb=$(llvm-readelf -r "$work/fentry2.o" | grep -c R_BPF)
  check "the same number of relocations ($ra)" $([ "$ra" = "$rb" ]; echo $?)
else
  check "clang-14 builds the fentry test object (scripts/setup.sh installs it)" 1
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
