#!/usr/bin/env bash
# CLI contract of `xdpml check --target nfp`: exit codes, text and JSON output.
# Usage: tests/nfp/cli.sh path/to/xdpml
set -euo pipefail
xdpml=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$xdpml" asm "$here/clean-parse.s" -o "$tmp/clean.o"
"$xdpml" asm "$here/op-mod.s" -o "$tmp/mod.o"
"$xdpml" asm "$here/call-perf-warning.s" -o "$tmp/warn.o"
"$xdpml" asm "$here/call-fw-random.s" -o "$tmp/random.o"

# Clean with a full profile: exit 0, no findings, summary line.
out=$("$xdpml" check --target nfp "$tmp/clean.o" --nfp-stack 512 --nfp-inl-mtu 1024)
grep -q "nfp offload check passed: 0 errors, 0 warnings" <<<"$out" || fail "clean: $out"
grep -q "estimated .* NFP instructions / budget 2800" <<<"$out" || fail "summary: $out"

# Default profile: warnings only (unknown FW stack and split point) still exit 0.
"$xdpml" check --target nfp "$tmp/clean.o" >"$tmp/out" || fail "warnings must exit 0"
grep -q "warning R-STK-3" "$tmp/out" || fail "no R-STK-3 warning"
grep -q "warning R-PKT-1" "$tmp/out" || fail "no R-PKT-1 warning"

# An error: exit 1, compiler-style location, asm text and hint.
set +e
"$xdpml" check --target nfp "$tmp/mod.o" --nfp-stack 512 >"$tmp/out"
rc=$?
set -e
[ "$rc" = 1 ] || fail "error must exit 1, got $rc"
grep -q "mod.o: section 'xdp' insn 1: error R-OP-3: instruction 0x97 not supported" "$tmp/out" ||
  fail "location line: $(cat "$tmp/out")"
grep -q "r1 %= 7" "$tmp/out" || fail "asm text"
grep -q "hint:" "$tmp/out" || fail "hint"

# F (capability) fails, and the profile can grant it.
set +e
"$xdpml" check --target nfp "$tmp/random.o" --nfp-stack 512 >/dev/null
rc=$?
set -e
[ "$rc" = 1 ] || fail "missing FW capability must exit 1"
"$xdpml" check --target nfp "$tmp/random.o" --nfp-stack 512 --nfp-helpers 1,2,3,7,25 >/dev/null ||
  fail "--nfp-helpers must grant helper 7"

# JSON.
"$xdpml" check --target nfp "$tmp/warn.o" --nfp-stack 512 --json >"$tmp/j" || fail "W only exits 0"
python3 - "$tmp/j" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["ok"] is True and j["target"] == "nfp", j
f = j["findings"][0]
assert f["rule"] == "R-CALL-4" and f["severity"] == "W" and f["insn"] == 11, f
assert f["asm"] == "call 25", f
assert j["programs"][0]["budget"] == 2800 and j["programs"][0]["estimated_nfp_insns"] > 23
assert j["summary"] == {"errors": 0, "capability_errors": 0, "warnings": 1}, j["summary"]
PY
set +e
"$xdpml" check --target nfp "$tmp/mod.o" --json --nfp-max-insns 10 >"$tmp/j"
rc=$?
set -e
[ "$rc" = 1 ] || fail "json error exit"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert not j["ok"]; assert {f["rule"] for f in j["findings"]} >= {"R-OP-3", "R-SIZE-1"}' "$tmp/j"

# Usage and input errors.
set +e
"$xdpml" check --target kernel "$tmp/clean.o" >/dev/null 2>&1
[ $? = 2 ] || fail "unknown target must be a usage error"
"$xdpml" check --target nfp "$tmp/missing.o" >/dev/null 2>&1
[ $? = 1 ] || fail "missing object must exit 1"
set -e
echo "nfp cli: ok"
