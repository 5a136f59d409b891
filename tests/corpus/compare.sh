#!/usr/bin/env bash
# compare.sh XDPML OUTDIR
#
# For every OUTDIR/F.s produced by gen.sh: `XDPML asm F.s -o F.xdpml.o`, then
# compare F.xdpml.o against the reference F.ref.o: same set of compared
# sections (non-empty SHF_EXECINSTR sections, license, .maps), identical raw
# bytes in each, and identical relocation lists (offset, type, symbol) for
# the code sections.  One PASS/FAIL line per file on stdout (details on
# stderr), then "N passed, M failed".  Exits non-zero if anything failed.
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

mapfile -t inputs < <(corpus_inputs "$out")
for s in "${inputs[@]}"; do
  base=${s%.s}
  id=$(basename -- "$base")
  ref=$base.ref.o
  mine=$base.xdpml.o
  log=$base.xdpml.log
  rm -f -- "$mine"

  if [[ ! -f $ref ]]; then
    corpus_fail "$id" "missing reference object $(basename -- "$ref")"
    continue
  fi
  if ! corpus_xdpml "$log" "$xdpml" asm "$s" -o "$mine" </dev/null >/dev/null; then
    corpus_fail "$id" "$CORPUS_REASON" "$CORPUS_DETAILS"
    continue
  fi
  if [[ ! -s $mine ]]; then
    corpus_fail "$id" "xdpml asm succeeded but wrote no object"
    continue
  fi
  if corpus_compare "$ref" "$mine" llvm xdpml; then
    corpus_pass "$id"
  else
    corpus_fail "$id" "$CORPUS_REASON" "$CORPUS_DETAILS"
  fi
done

corpus_summary
