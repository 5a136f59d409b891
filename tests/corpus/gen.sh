#!/usr/bin/env bash
# gen.sh OUTDIR
#
# Compiles every src/*.c to BPF assembly with clang (-mcpu=v2 and -mcpu=v3,
# plus -mcpu=v3 -g for the programs in DEBUG_PROGRAMS) and builds the
# reference object for each .s:
#
#   OUTDIR/NAME.VARIANT.s       clang -S output (input for xdpml asm)
#   OUTDIR/NAME.VARIANT.ref.o   reference object
#   OUTDIR/oracles.txt          "NAME.VARIANT llvm-mc" or "NAME.VARIANT clang-c"
#   OUTDIR/NAME.VARIANT.llvm-mc.log   llvm-mc's complaints (clang-c files only)
#
# The reference is `llvm-mc -triple bpf -filetype=obj` on the .s.  When
# llvm-mc rejects clang's own output (LLVM 14 cannot parse the atomic
# fetch/xchg/cmpxchg spellings it prints), the reference is instead
# `clang -c` on the C source with the same flags.  For llvm-mc files the
# clang -c object is built as well and must agree with llvm-mc on code
# sections, license, .maps and code relocations.
#
# Previous *.s, *.o, *.log, oracles.txt and roundtrip/ in OUTDIR are removed
# first.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

[[ $# -eq 1 ]] || corpus_die "usage: $0 OUTDIR"
out=$1

# Programs that also get a "-mcpu=v3 -g" variant (BTF/DWARF directives).
DEBUG_PROGRAMS=(parse_udp bpf2bpf)
# The corpus must keep at least this many llvm-mc-verified files.
MIN_LLVM_MC=10

corpus_require_tools "$CLANG" "$LLVM_MC" "$LLVM_READELF" "$LLVM_OBJCOPY" "$LLVM_OBJDUMP"

# asm/types.h lives in the multiarch include directory.
if [[ -z ${CORPUS_MULTIARCH_INCLUDE:-} ]]; then
  multiarch=$("$CLANG" -print-multiarch 2>/dev/null || true)
  CORPUS_MULTIARCH_INCLUDE=/usr/include/${multiarch:-x86_64-linux-gnu}
fi
base_flags=(-O2 -target bpf "-I$CORPUS_MULTIARCH_INCLUDE")

mkdir -p -- "$out"
rm -f -- "$out"/*.s "$out"/*.o "$out"/*.log "$out/oracles.txt"
rm -rf -- "$out/roundtrip"
corpus_mktemp

shopt -s nullglob
sources=("$here"/src/*.c)
shopt -u nullglob
((${#sources[@]} > 0)) || corpus_die "no sources in $here/src"

oracles=$CORPUS_TMP/oracles.txt
: >"$oracles"
n_mc=0
n_clang=0
mismatches=0

# variant_flags VARIANT: the clang flags specific to VARIANT.
variant_flags() {
  case $1 in
  v2) echo "-mcpu=v2 -DCORPUS_MCPU=2" ;;
  v3) echo "-mcpu=v3 -DCORPUS_MCPU=3" ;;
  v3g) echo "-mcpu=v3 -DCORPUS_MCPU=3 -g" ;;
  *) corpus_die "unknown variant $1" ;;
  esac
}

for src in "${sources[@]}"; do
  name=$(basename -- "$src" .c)
  variants=(v2 v3)
  for d in "${DEBUG_PROGRAMS[@]}"; do
    [[ $d == "$name" ]] && variants+=(v3g)
  done

  for variant in "${variants[@]}"; do
    id=$name.$variant
    read -r -a vflags <<<"$(variant_flags "$variant")"
    flags=("${base_flags[@]}" "${vflags[@]}")
    s=$out/$id.s
    ref=$out/$id.ref.o

    "$CLANG" "${flags[@]}" -S "$src" -o "$s" || corpus_die "clang -S failed for $id"

    if "$LLVM_MC" -triple bpf -filetype=obj "$s" -o "$ref" 2>"$CORPUS_TMP/mc.err"; then
      oracle=llvm-mc
      n_mc=$((n_mc + 1))
      "$CLANG" "${flags[@]}" -c "$src" -o "$CORPUS_TMP/clang.o" || corpus_die "clang -c failed for $id"
      if corpus_compare "$ref" "$CORPUS_TMP/clang.o" llvm-mc clang-c; then
        echo "$id: llvm-mc (agrees with clang -c)"
      else
        echo "$id: llvm-mc DISAGREES with clang -c: $CORPUS_REASON"
        [[ -z $CORPUS_DETAILS ]] || printf '%s\n' "${CORPUS_DETAILS%$'\n'}"
        mismatches=$((mismatches + 1))
      fi
    else
      oracle=clang-c
      n_clang=$((n_clang + 1))
      rm -f -- "$ref"
      cp -- "$CORPUS_TMP/mc.err" "$out/$id.llvm-mc.log"
      nerr=$(grep -c 'error:' "$CORPUS_TMP/mc.err" || true)
      first=$(grep -m1 -A1 'error:' "$CORPUS_TMP/mc.err" | tail -n 1 | sed 's/^[[:space:]]*//' || true)
      "$CLANG" "${flags[@]}" -c "$src" -o "$ref" || corpus_die "clang -c failed for $id"
      echo "$id: clang-c (llvm-mc rejected $nerr line(s), first: '$first'; see $id.llvm-mc.log)"
    fi
    echo "$id $oracle" >>"$oracles"
  done
done

mv -- "$oracles" "$out/oracles.txt"
echo "generated $((n_mc + n_clang)) files: $n_mc llvm-mc, $n_clang clang-c"

status=0
if ((mismatches > 0)); then
  echo "error: $mismatches file(s) where llvm-mc and clang -c disagree" >&2
  status=1
fi
if ((n_mc < MIN_LLVM_MC)); then
  echo "error: only $n_mc files use the llvm-mc oracle (need >= $MIN_LLVM_MC)" >&2
  status=1
fi
exit "$status"
