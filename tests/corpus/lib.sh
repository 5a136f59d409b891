# shellcheck shell=bash
# shellcheck disable=SC2034  # CORPUS_* globals are read by the sourcing scripts
# Shared helpers for the assembler corpus scripts (gen.sh, compare.sh,
# roundtrip.sh).  Source this file; do not execute it.
#
# Tools can be overridden through the environment, e.g.
#   LLVM_READELF=llvm-readelf-14 ./compare.sh ...

: "${CLANG:=clang}"
: "${LLVM_MC:=llvm-mc}"
: "${LLVM_READELF:=llvm-readelf}"
: "${LLVM_OBJCOPY:=llvm-objcopy}"
: "${LLVM_OBJDUMP:=llvm-objdump}"
# Seconds allowed for one xdpml invocation before it counts as a failure.
: "${CORPUS_TIMEOUT:=60}"

# Data sections compared besides the code sections.
CORPUS_DATA_SECTIONS=(license .maps)

# Set by the functions below: short, single-line reason for the last failure
# and (possibly empty, multi-line) details printed after the FAIL line.
CORPUS_REASON=""
CORPUS_DETAILS=""

# corpus_die MSG...: print to stderr and exit 2 (usage / environment errors).
corpus_die() {
  echo "error: $*" >&2
  exit 2
}

# corpus_require_tools TOOL...: fail early if a tool is missing.
corpus_require_tools() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || corpus_die "required tool not found: $t"
  done
}

# corpus_mktemp: create a private scratch directory, removed on exit.
# Sets CORPUS_TMP.
corpus_mktemp() {
  CORPUS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/xdpml-corpus.XXXXXX")
  # shellcheck disable=SC2064  # expand now: the path is fixed from here on
  trap "rm -rf -- '$CORPUS_TMP'" EXIT
}

# corpus_section_table OBJ: one line per section, "NAME SIZE FLAGS"
# (SIZE in hex as printed by llvm-readelf, FLAGS possibly "-" when empty).
# Returns non-zero if OBJ is not a readable ELF file.
corpus_section_table() {
  local table
  table=$("$LLVM_READELF" -S -W "$1" 2>/dev/null) || return 1
  # "  [ 3] xdp  PROGBITS  <addr> <off> <size> <es> [<flg>] <lk> <inf> <al>"
  printf '%s\n' "$table" | sed -n 's/^ *\[ *\([0-9][0-9]*\)\] /\1 /p' | awk '
    $1 == 0 { next }
    NF == 11 { print $2, $6, $8; next }
    NF == 10 { print $2, $6, "-"; next }'
}

# corpus_code_sections OBJ: names of all SHF_EXECINSTR sections.
corpus_code_sections() {
  corpus_section_table "$1" | awk '$3 ~ /X/ { print $1 }'
}

# corpus_compared_sections OBJ: sorted names of the sections whose bytes are
# compared: non-empty code sections, plus license and .maps when present.
# Empty code sections (llvm-mc always creates an empty .text) are ignored.
corpus_compared_sections() {
  corpus_section_table "$1" | awk -v data="${CORPUS_DATA_SECTIONS[*]}" '
    BEGIN { n = split(data, d, " "); for (i = 1; i <= n; i++) want[d[i]] = 1 }
    ($3 ~ /X/ && $2 !~ /^0+$/) || ($1 in want) { print $1 }' | LC_ALL=C sort -u
}

# corpus_relocs OBJ: sorted "SECTION OFFSET TYPE SYMBOL" lines for every
# relocation that applies to a code section.
corpus_relocs() {
  local code dump
  code=$(corpus_code_sections "$1" | tr '\n' ' ')
  dump=$("$LLVM_OBJDUMP" -r "$1" 2>/dev/null) || return 1
  printf '%s\n' "$dump" | awk -v code="$code" '
    BEGIN { n = split(code, c, " "); for (i = 1; i <= n; i++) iscode[c[i]] = 1 }
    /^RELOCATION RECORDS FOR \[/ {
      sec = $0; sub(/^RELOCATION RECORDS FOR \[/, "", sec); sub(/\]:.*$/, "", sec)
      next
    }
    /^OFFSET / || NF == 0 { next }
    (sec in iscode) && NF >= 3 { print sec, $1, $2, $3 }' | LC_ALL=C sort
}

# corpus_dump_section OBJ NAME FILE: raw bytes of section NAME into FILE.
corpus_dump_section() {
  "$LLVM_OBJCOPY" --dump-section "$2=$3" "$1" /dev/null 2>/dev/null
}

# corpus_hex8 FILE OFFSET: the 8 bytes at OFFSET as hex ("<eof>" if none).
corpus_hex8() {
  local hex
  hex=$(od -A n -t x1 -v -j "$2" -N 8 "$1" 2>/dev/null | tr -s ' \n' ' ')
  hex=${hex# }
  hex=${hex% }
  printf '%s\n' "${hex:-<eof>}"
}

# corpus_compare A.o B.o LABEL_A LABEL_B
#   Compares the set of compared sections, their raw bytes, and the
#   relocation lists of the code sections.  Returns 0 when identical.
#   On mismatch sets CORPUS_REASON and CORPUS_DETAILS.
corpus_compare() {
  local a=$1 b=$2 la=$3 lb=$4
  local -a reasons=()
  local details=""
  CORPUS_DETAILS=""
  local secs_a secs_b rel_a rel_b name fa fb size_a size_b off insn
  local work
  work=$(mktemp -d "${CORPUS_TMP:-${TMPDIR:-/tmp}}/cmp.XXXXXX")

  if ! secs_a=$(corpus_compared_sections "$a") || [[ -z $secs_a ]]; then
    CORPUS_REASON="$la object is not a readable ELF file or has no compared sections"
    rm -rf -- "$work"
    return 1
  fi
  if ! secs_b=$(corpus_compared_sections "$b") || [[ -z $secs_b ]]; then
    CORPUS_REASON="$lb object is not a readable ELF file or has no compared sections"
    rm -rf -- "$work"
    return 1
  fi

  if [[ $secs_a != "$secs_b" ]]; then
    reasons+=("section sets differ ($la: $(echo "$secs_a" | tr '\n' ' ')| $lb: $(echo "$secs_b" | tr '\n' ' '))")
  fi

  # Byte comparison of every section present in both.
  while IFS= read -r name; do
    [[ -n $name ]] || continue
    grep -qxF -- "$name" <<<"$secs_b" || continue
    fa=$work/a.bin
    fb=$work/b.bin
    rm -f "$fa" "$fb"
    if ! corpus_dump_section "$a" "$name" "$fa"; then
      reasons+=("cannot dump section $name from $la object")
      continue
    fi
    if ! corpus_dump_section "$b" "$name" "$fb"; then
      reasons+=("cannot dump section $name from $lb object")
      continue
    fi
    if ! cmp -s "$fa" "$fb"; then
      size_a=$(wc -c <"$fa")
      size_b=$(wc -c <"$fb")
      off=$(cmp -l "$fa" "$fb" 2>/dev/null | awk 'NR == 1 { print $1 - 1 }' || true)
      # No differing byte: one section is a prefix of the other.
      [[ -n $off ]] || off=$((size_a < size_b ? size_a : size_b))
      insn=$((off / 8))
      reasons+=("section $name differs (size $size_a vs $size_b, first difference at byte $off)")
      details+="  section $name: $la $size_a bytes, $lb $size_b bytes; first difference at byte $off (insn $insn)"$'\n'
      details+="    $la: $(corpus_hex8 "$fa" $((insn * 8)))"$'\n'
      details+="    $lb: $(corpus_hex8 "$fb" $((insn * 8)))"$'\n'
    fi
  done <<<"$secs_a"

  # Relocations of code sections.
  if ! rel_a=$(corpus_relocs "$a"); then
    reasons+=("cannot read relocations of $la object")
  elif ! rel_b=$(corpus_relocs "$b"); then
    reasons+=("cannot read relocations of $lb object")
  elif [[ $rel_a != "$rel_b" ]]; then
    reasons+=("code relocations differ")
    printf '%s\n' "$rel_a" >"$work/rel_a"
    printf '%s\n' "$rel_b" >"$work/rel_b"
    details+="  relocations (section offset type symbol), $la | $lb:"$'\n'
    details+=$(diff -y -W 150 "$work/rel_a" "$work/rel_b" | sed 's/^/    /' || true)
    details+=$'\n'
  fi

  rm -rf -- "$work"
  CORPUS_DETAILS=$details
  if ((${#reasons[@]} > 0)); then
    CORPUS_REASON=${reasons[0]}
    if ((${#reasons[@]} > 1)); then
      CORPUS_REASON+=" (+$((${#reasons[@]} - 1)) more)"
    fi
    return 1
  fi
  return 0
}

# corpus_xdpml LOG XDPML ARGS...: run xdpml with a timeout, stdout passed
# through, stderr to LOG.  On failure sets CORPUS_REASON and returns 1.
corpus_xdpml() {
  local log=$1 rc=0
  shift
  timeout -k 5 "$CORPUS_TIMEOUT" "$@" 2>"$log" || rc=$?
  if ((rc == 0)); then
    return 0
  fi
  local what="xdpml $2"
  local msg
  msg=$(grep -m1 -v '^[[:space:]]*$' "$log" 2>/dev/null || true)
  CORPUS_DETAILS=$(head -n 20 "$log" 2>/dev/null | sed 's/^/    /' || true)
  if ((rc == 124)); then
    CORPUS_REASON="$what timed out after ${CORPUS_TIMEOUT}s"
  elif ((rc > 128)); then
    CORPUS_REASON="$what killed by signal $((rc - 128))"
  else
    CORPUS_REASON="$what exited with status $rc"
  fi
  [[ -z $msg ]] || CORPUS_REASON+=": $msg"
  return 1
}

# Result bookkeeping shared by compare.sh and roundtrip.sh.
CORPUS_PASSED=0
CORPUS_FAILED=0

corpus_pass() {
  echo "PASS $1"
  CORPUS_PASSED=$((CORPUS_PASSED + 1))
}

# corpus_fail NAME REASON [DETAILS]: details go to stderr after the line.
corpus_fail() {
  echo "FAIL $1: $2"
  if [[ -n ${3:-} ]]; then
    printf '%s\n' "${3%$'\n'}" >&2
  fi
  CORPUS_FAILED=$((CORPUS_FAILED + 1))
}

# corpus_summary: final line and exit status.
corpus_summary() {
  echo "$CORPUS_PASSED passed, $CORPUS_FAILED failed"
  if ((CORPUS_FAILED > 0 || CORPUS_PASSED == 0)); then
    return 1
  fi
  return 0
}

# corpus_inputs OUTDIR: the .s files to test (sorted), or die if none.
corpus_inputs() {
  local -a files=()
  local f
  for f in "$1"/*.s; do
    [[ -e $f ]] && files+=("$f")
  done
  ((${#files[@]} > 0)) || corpus_die "no .s files in $1 (run gen.sh first)"
  printf '%s\n' "${files[@]}"
}
