#!/usr/bin/env bash
# Builds the libFuzzer targets (build-fuzz/, clang, ASan + UBSan) and fuzzes each for a while.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 60)
#
# Targets (tests/fuzz/):
#   fuzz_asm  assembler; on success also write_elf/read_elf and asm -> disasm -> asm, which
#             must give the same section bytes and code relocations
#   fuzz_elf  read_elf on raw bytes; on success disassemble and write_elf
#   fuzz_contract  JSON: wire_format_from_contract (send/recv's reader of I/O contracts), then
#             Series, expected_tags and build_frame/parse_frame on what it accepts; other bytes:
#             ANOVA compile parameters for compile_anova, whose contract must be accepted and
#             whose reference (decide_exact) must answer 1..3. No kernel calls
#   fuzz_onnx  the ONNX importer on raw bytes; accepted models must validate and evaluate
#   fuzz_model_json  the JSON model reader, then validate()
#   fuzz_features  the feature-CSV reader (calibration and test data)
#
# Layout under build-fuzz/:
#   fuzz/<target>               the fuzzer executables (+ fuzz_mkobj, the seed helper)
#   seeds/<target>/             regenerated every run: tests/e2e/progs/*.s, tests/data insns.txt
#                               and asm-errors.txt lines, clang -S/-c of tests/corpus/src/*.c,
#                               build/tests/corpus/out/*.s and *.ref.o if present, and objects
#                               xdpml writes from every assembler seed; for fuzz_contract
#                               tests/data/fuzz/contract/seeds/* (valid contracts, malformed
#                               variants, *.bin compile parameters) and, if build/xdpml exists,
#                               the contracts of `xdpml compile anova` over windows and inputs
#   corpus/<target>/            the growing corpus libFuzzer writes to (kept between runs)
#   artifacts/<target>/         crash-*, leak-*, timeout-*, oom-* reproducers, SUMMARY.txt (one
#                               line per distinct failure); reproducers of earlier runs are
#                               replayed first and moved to fixed/ once they pass
#   logs/<target>.log           libFuzzer's output; logs/<target>.replay/ one log per reproducer
#
# Environment:
#   XDPML_FUZZ_TARGETS   targets to run (default "fuzz_asm fuzz_elf fuzz_contract fuzz_onnx fuzz_model_json fuzz_features")
#   XDPML_FUZZ_FORK=N    N processes in libFuzzer's fork mode, which keeps going after a crash
#                        so one run collects several distinct failures (at ~1/2 the exec rate
#                        of fuzz_asm). Default 0: one process per target, stopping at its
#                        first crash
#   XDPML_FUZZ_ROUNDTRIP=bytes|off   fuzz_asm checks only section bytes of the disassembly round
#                        trip, or skips it (default: bytes and code relocations)
#   XDPML_FUZZ_VERBOSE=1 show build output and libFuzzer's log on the terminal
#   XDPML_FUZZ_JOBS      parallel build jobs (ninja's default otherwise)
#
# Prints per target: executions, coverage, corpus growth, reproducers; then the distinct
# failures. Exits 1 if any reproducer (new or from an earlier run) still fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${1:-60}
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2; }
read -r -a targets <<<"${XDPML_FUZZ_TARGETS:-fuzz_asm fuzz_elf fuzz_contract fuzz_onnx fuzz_model_json fuzz_features}"
verbose=${XDPML_FUZZ_VERBOSE:-0}
fork=${XDPML_FUZZ_FORK:-0}
[[ $fork =~ ^[0-9]+$ ]] || { echo "fuzz: XDPML_FUZZ_FORK must be a number" >&2; exit 2; }

bdir=$root/build-fuzz
mkdir -p "$bdir/logs"
say() { echo "fuzz: $*"; }
quiet() {  # quiet LOG cmd...: run, show the log only on failure
  local log=$1
  shift
  if [[ $verbose == 1 ]]; then
    "$@" 2>&1 | tee "$log"
    return "${PIPESTATUS[0]}"
  fi
  "$@" >"$log" 2>&1 || { tail -n 60 "$log" >&2; echo "fuzz: failed: $* (full log: $log)" >&2; return 1; }
}

# ---- configure + build -------------------------------------------------------------------
# -O1 keeps stack traces readable; _GLIBCXX_ASSERTIONS adds bounds checks to operator[] & co.
san="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -g -O1 -D_GLIBCXX_ASSERTIONS"
# -Werror stays on: project code builds warning-free with clang 14 under these flags.
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
  "-DCMAKE_C_FLAGS=$san" "-DCMAKE_CXX_FLAGS=$san"
  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined"
  -DXDPML_FUZZ=ON)
say "configuring + building $bdir"
quiet "$bdir/logs/configure.log" cmake -S "$root" -B "$bdir" "${cmake_args[@]}"
jobs=()
[[ -n ${XDPML_FUZZ_JOBS:-} ]] && jobs=(-j "$XDPML_FUZZ_JOBS")
quiet "$bdir/logs/build.log" cmake --build "$bdir" "${jobs[@]}" --target fuzz

# Sanitizer behaviour for everything run below (seed generation included); options from the
# environment come last and win. UBSan checks are compiled recoverable and halt_on_error makes
# them fatal, so a known report can be muted while it is being fixed, e.g.
#   UBSAN_OPTIONS=suppressions=/tmp/ubsan.supp scripts/fuzz.sh   (lines: signed-integer-overflow:assembler.cpp)
export ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

# ---- seeds -------------------------------------------------------------------------------
say "generating seeds"
seeds=$bdir/seeds
rm -rf "$seeds"
mkdir -p "$seeds/fuzz_asm" "$seeds/fuzz_elf" "$seeds/fuzz_contract" "$seeds/fuzz_onnx" \
  "$seeds/fuzz_model_json" "$seeds/fuzz_features"

shopt -s nullglob
for s in "$root"/tests/e2e/progs/*.s; do cp "$s" "$seeds/fuzz_asm/e2e-$(basename "$s")"; done
# tests/data: every instruction text of insns.txt (canonical and alt:) and every error case
# of asm-errors.txt, one program per file named after its line.
n=0
while IFS= read -r line; do
  n=$((n + 1))
  [[ -z ${line//[[:space:]]/} || $line == \#* ]] && continue
  if [[ $line == alt:* ]]; then
    text=${line#alt:}
    text=${text%% | *}
    text=${text#"${text%%[! ]*}"}
  else
    text=${line#* | }
    text=${text%% | *}
  fi
  if [[ -n $text ]]; then printf '%s\n' "$text" >"$seeds/fuzz_asm/insns-L$n.s"; fi
done <"$root/tests/data/insns.txt"
n=0
if [[ -f $root/tests/data/asm-errors.txt ]]; then
  while IFS= read -r line; do
    n=$((n + 1))
    [[ -z ${line//[[:space:]]/} || $line == \#* ]] && continue
    src=${line%% | *}
    src=${src//\\n/$'\n'}
    src=${src//\\t/$'\t'}
    printf '%s\n' "$src" >"$seeds/fuzz_asm/asm-errors-L$n.s"
  done <"$root/tests/data/asm-errors.txt"
fi
# clang -S / -c of the corpus programs (does not need a configured build/).
multiarch=$(clang -print-multiarch 2>/dev/null || true)
cflags=(-O2 -target bpf "-I/usr/include/${multiarch:-x86_64-linux-gnu}")
for c in "$root"/tests/corpus/src/*.c; do
  n=$(basename "$c" .c)
  for v in "v2:-mcpu=v2 -DCORPUS_MCPU=2" "v3:-mcpu=v3 -DCORPUS_MCPU=3" "v3g:-mcpu=v3 -DCORPUS_MCPU=3 -g"; do
    tag=${v%%:*}
    read -r -a extra <<<"${v#*:}"
    clang "${cflags[@]}" "${extra[@]}" -S "$c" -o "$seeds/fuzz_asm/$n.$tag.s" 2>/dev/null || rm -f "$seeds/fuzz_asm/$n.$tag.s"
    clang "${cflags[@]}" "${extra[@]}" -c "$c" -o "$seeds/fuzz_elf/$n.$tag.clang.o" 2>/dev/null || rm -f "$seeds/fuzz_elf/$n.$tag.clang.o"
  done
done
for s in "$root"/build/tests/corpus/out/*.s; do cp "$s" "$seeds/fuzz_asm/corpus-$(basename "$s")"; done
for o in "$root"/build/tests/corpus/out/*.ref.o; do cp "$o" "$seeds/fuzz_elf/corpus-$(basename "$o")"; done
# Objects written by xdpml's own ELF writer from every assembler seed that assembles.
if ! n_asm_objs=$(ASAN_OPTIONS=detect_leaks=0 "$bdir/fuzz/fuzz_mkobj" "$seeds/fuzz_elf" "$seeds"/fuzz_asm/* 2>"$bdir/logs/mkobj.log"); then
  echo "fuzz: warning: fuzz_mkobj failed on a seed (a finding in itself): $bdir/logs/mkobj.log" >&2
  n_asm_objs=some
fi
# fuzz_contract: stored contracts and parameter bytes, plus fresh contracts from the CLI
# (xdpml info --json) when a normal build exists.
for s in "$root"/tests/data/fuzz/contract/seeds/*; do cp "$s" "$seeds/fuzz_contract/"; done
if [[ -x $root/build/xdpml ]]; then
  for v in "u32-w8:" "f64-w8:--input f64" "u32-w2-full:--window 2 --match full" \
    "f64-w16-strict:--input f64 --window 16 --strict-align" "u32-w64-eps:--window 64 --epsilon 0.003 --scale 1000" \
    "f64-w32-eps0:--input f64 --window 32 --epsilon 0 --scale 1024"; do
    read -r -a extra <<<"${v#*:}"
    o=$seeds/fuzz_contract/cli-${v%%:*}
    if "$root/build/xdpml" compile anova "${extra[@]}" -o "$o.o" >/dev/null 2>&1; then
      "$root/build/xdpml" info --json "$o.o" >"$o.json" 2>/dev/null || rm -f "$o.json"
    fi
    rm -f "$o.o"
  done
fi
# Model readers (ONNX, JSON models, feature CSVs): committed seeds.
for s in "$root"/tests/fuzz/corpus/onnx/*; do cp "$s" "$seeds/fuzz_onnx/"; done
for s in "$root"/tests/fuzz/corpus/model_json/*; do cp "$s" "$seeds/fuzz_model_json/"; done
for s in "$root"/tests/fuzz/corpus/features/*; do cp "$s" "$seeds/fuzz_features/"; done
shopt -u nullglob
n_seed_asm=$(find "$seeds/fuzz_asm" -type f | wc -l)
n_seed_elf=$(find "$seeds/fuzz_elf" -type f | wc -l)
n_seed_contract=$(find "$seeds/fuzz_contract" -type f | wc -l)
say "seeds: fuzz_asm $n_seed_asm files, fuzz_elf $n_seed_elf files ($n_asm_objs written by xdpml)," \
  "fuzz_contract $n_seed_contract files"

# ---- fuzz --------------------------------------------------------------------------------
declare -A max_len=([fuzz_asm]=16384 [fuzz_elf]=65536 [fuzz_contract]=16384 [fuzz_onnx]=16384
  [fuzz_model_json]=16384 [fuzz_features]=4096)
declare -A extra_flags=([fuzz_asm]="-dict=$root/tests/fuzz/asm.dict" [fuzz_elf]="" [fuzz_contract]=""
  [fuzz_onnx]="" [fuzz_model_json]="" [fuzz_features]="")

list_artifacts() {  # dir -> crash-like reproducers directly in it, one per line
  find "$1" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort
}

# replay BIN FILE LOG: runs one input; succeeds if it no longer fails.
replay() {
  timeout 120 "$2" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=25 "$3" >"$4" 2>&1
}

# signature LOG: "what at where" for the first report in a replay log.
signature() {
  local log=$1 what where detail
  what=$(grep -m1 -oE "runtime error: .*|Assertion '.*' failed|ERROR: AddressSanitizer: [a-zA-Z -]+|ERROR: LeakSanitizer: .*|ERROR: libFuzzer: [a-z -]+|invariant violated: .*|out-of-memory.*" "$log" | head -1 || true)
  if [[ $what == invariant* ]]; then
    # The line after the header says how (first diagnostic or first difference).
    detail=$(grep -m1 -A1 'invariant violated' "$log" | sed -n 2p | sed -E 's/^<[a-z]+>:[0-9]+:[0-9]+: //')
    what+=" -- ${detail:0:100}"
    where=""
  else
    # First stack frame in project sources (not the fuzz harness, not libraries).
    where=$(grep -E "^ *#[0-9]+ .* $root/[^ ()]+\.(cpp|hpp|h):[0-9]+" "$log" | grep -vF "$root/tests/fuzz/" | head -1 |
      sed -E 's/^ *#[0-9]+ 0x[0-9a-f]+ in //; s/\(anonymous namespace\)/{anon}/g; s/\[abi:cxx11\]//g; s/\(.*\) (\/)/ \1/' |
      sed "s|$root/||g" || true)
  fi
  what=$(sed -E 's/0x[0-9a-f]{6,}/0x.../g; s/ +$//' <<<"$what")  # addresses differ between runs
  echo "${what:-exit without a report (see the log)}${where:+ @ $where}"
}

summary=()
findings=()
total_crashes=0
for t in "${targets[@]}"; do
  bin=$bdir/fuzz/$t
  [[ -x $bin ]] || { echo "fuzz: no such target: $t" >&2; exit 2; }
  art=$bdir/artifacts/$t
  corpus=$bdir/corpus/$t
  log=$bdir/logs/$t.log
  replays=$bdir/logs/$t.replay
  mkdir -p "$art/fixed" "$corpus" "$replays"

  # Re-check reproducers of earlier runs: still failing ones count, fixed ones move aside.
  old=0
  while IFS= read -r f; do
    if replay "$t" "$bin" "$f" "$replays/$(basename "$f").log"; then
      mv -f "$f" "$art/fixed/"
    else
      old=$((old + 1))
    fi
  done < <(list_artifacts "$art")

  before=$(find "$corpus" -type f | wc -l)
  flags=(-max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=25
    -max_len="${max_len[$t]}" -artifact_prefix="$art/" -print_final_stats=1)
  [[ -n ${extra_flags[$t]} ]] && flags+=("${extra_flags[$t]}")
  if ((fork > 0)); then
    flags+=(-fork="$fork" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  fi
  say "running $t for ${seconds}s (log: ${log#"$root"/})"
  set +e
  if [[ $verbose == 1 ]]; then
    (cd "$bdir" && "$bin" "${flags[@]}" "$corpus" "$seeds/$t") 2>&1 | tee "$log"
  else
    (cd "$bdir" && "$bin" "${flags[@]}" "$corpus" "$seeds/$t") >"$log" 2>&1
  fi
  set -e

  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  added=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  if [[ -z $execs ]]; then  # fork mode: no final stats, take the last status line
    execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
  fi
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<<"$last")
  after=$(find "$corpus" -type f | wc -l)

  # Classify every reproducer (replaying the new ones) and group them by first report.
  crashes=0
  declare -A groups=()
  declare -A example=()
  while IFS= read -r f; do
    b=$(basename "$f")
    [[ -f $replays/$b.log ]] || replay "$t" "$bin" "$f" "$replays/$b.log" || true
    sig="${b%%-*}: $(signature "$replays/$b.log")"
    groups[$sig]=$((${groups[$sig]:-0} + 1))
    example[$sig]=${f#"$root"/}
    crashes=$((crashes + 1))
  done < <(list_artifacts "$art")
  total_crashes=$((total_crashes + crashes))

  line=$(printf '%-8s execs %-9s cov %-5s ft %-6s corpus %s -> %s (+%s units)  crashes %s' \
    "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$before" "$after" "${added:-$((after - before))}" "$crashes")
  ((old > 0)) && line+=" ($old from earlier runs)"
  summary+=("$line")
  {
    for sig in "${!groups[@]}"; do
      printf '%s\t%s x%s  e.g. %s\n' "$t" "$sig" "${groups[$sig]}" "${example[$sig]}"
    done
  } | sort >"$art/SUMMARY.txt"
  while IFS= read -r l; do findings+=("$l"); done <"$art/SUMMARY.txt"
  unset groups example
done

echo "fuzz: summary (${seconds}s per target; artifacts in ${bdir#"$root"/}/artifacts/<target>/)"
for l in "${summary[@]}"; do echo "  $l"; done
if ((total_crashes > 0)); then
  echo "fuzz: distinct failures (replay one with: build-fuzz/fuzz/<target> <file>):"
  for l in "${findings[@]}"; do echo "  ${l//$'\t'/: }"; done
  exit 1
fi
