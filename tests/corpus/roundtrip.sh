#!/usr/bin/env bash
# roundtrip.sh XDPML OUTDIR
#
# For every OUTDIR/F.s produced by gen.sh:
#   XDPML asm F.s -o A.o;  XDPML disasm A.o > D.s;  XDPML asm D.s -o B.o
# then compare A.o and B.o exactly like compare.sh compares against the
# reference (code sections, license, .maps, code relocations).  Work files
# go to OUTDIR/roundtrip/F.{a.o,dis.s,b.o,*.log}.  One PASS/FAIL line per
# file, then "N passed, M failed".  Exits non-zero if anything failed.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

[[ $# -eq 2 ]] || corpus_die "usage: $0 XDPML OUTDIR"
xdpml=$1
out=$2
[[ -x $xdpml ]] || corpus_die "xdpml not executable: $xdpml"
[[ -d $out ]] || corpus_die "no such directory: $out"
corpus_require_tools "$LLVM_READELF" "$LLVM_OBJCOPY" "$LLVM_OBJDUMP" timeout
corpus_mktemp

work=$out/roundtrip
mkdir -p -- "$work"

mapfile -t inputs < <(corpus_inputs "$out")
for s in "${inputs[@]}"; do
  id=$(basename -- "${s%.s}")
  a=$work/$id.a.o
  d=$work/$id.dis.s
  b=$work/$id.b.o
  rm -f -- "$a" "$d" "$b"

  if ! corpus_xdpml "$work/$id.asm1.log" "$xdpml" asm "$s" -o "$a" </dev/null >/dev/null; then
    corpus_fail "$id" "step 1 (asm): $CORPUS_REASON" "$CORPUS_DETAILS"
    continue
  fi
  if ! corpus_xdpml "$work/$id.disasm.log" "$xdpml" disasm "$a" </dev/null >"$d"; then
    corpus_fail "$id" "step 2 (disasm): $CORPUS_REASON" "$CORPUS_DETAILS"
    continue
  fi
  if [[ ! -s $d ]]; then
    corpus_fail "$id" "step 2 (disasm): empty output"
    continue
  fi
  if ! corpus_xdpml "$work/$id.asm2.log" "$xdpml" asm "$d" -o "$b" </dev/null >/dev/null; then
    corpus_fail "$id" "step 3 (asm of disassembly): $CORPUS_REASON" "$CORPUS_DETAILS"
    continue
  fi
  if corpus_compare "$a" "$b" asm disasm+asm; then
    corpus_pass "$id"
  else
    corpus_fail "$id" "$CORPUS_REASON" "$CORPUS_DETAILS"
  fi
done

corpus_summary
