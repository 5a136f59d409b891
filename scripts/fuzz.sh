#!/usr/bin/env bash
# Builds the libFuzzer targets (build-fuzz/, clang, ASan + UBSan) and fuzzes each for a while.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 60)
#
# Targets (tests/fuzz/):
#   fuzz_asm  assembler; on success also write_elf/read_elf and asm -> disasm -> asm, which
#             must give the same section bytes and code relocations
#   fuzz_elf  read_elf on raw bytes; on success disassemble and write_elf
#
# Layout under build-fuzz/:
#   fuzz/<target>               the fuzzer executables
#   seeds/<target>/             regenerated every run (e2e programs, tests/data lines, corpus .s,
#                               objects assembled/compiled from them)
#   corpus/<target>/            the growing corpus libFuzzer writes to (kept between runs)
#   artifacts/<target>/         crash-*, leak-*, timeout-*, oom-*, slow-unit-* reproducers;
#                               ones that no longer reproduce are moved to artifacts/<target>/fixed/
#   logs/<target>.log           libFuzzer's output
#
# Environment:
#   XDPML_FUZZ_TARGETS   targets to run (default "fuzz_asm fuzz_elf")
#   XDPML_FUZZ_FORK=N    run N fuzzing processes in fork mode and keep going after crashes
#   XDPML_FUZZ_NO_ROUNDTRIP=1   fuzz_asm skips the disassembly round trip (memory bugs only)
#   XDPML_FUZZ_VERBOSE=1 show build output and libFuzzer's log on the terminal
#   XDPML_FUZZ_JOBS      parallel build jobs (ninja's default otherwise)
#
# Prints one summary line per target and exits 1 if any target has a reproducing crash.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${1:-60}
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2; }
read -r -a targets <<<"${XDPML_FUZZ_TARGETS:-fuzz_asm fuzz_elf}"
verbose=${XDPML_FUZZ_VERBOSE:-0}

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
san="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
# -Werror stays on: project code builds warning-free with clang 14 under these flags.
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
  "-DCMAKE_C_FLAGS=$san" "-DCMAKE_CXX_FLAGS=$san"
  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined"
  -DXDPML_FUZZ=ON)
say "configuring + building $bdir"
quiet "$bdir/logs/configure.log" cmake -S "$root" -B "$bdir" "${cmake_args[@]}"
jobs=()
[[ -n ${XDPML_FUZZ_JOBS:-} ]] && jobs=(-j "$XDPML_FUZZ_JOBS")
quiet "$bdir/logs/build.log" cmake --build "$bdir" "${jobs[@]}" --target fuzz_asm fuzz_elf xdpml

# Sanitizer behaviour for everything run below (seed generation included).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# ---- seeds -------------------------------------------------------------------------------
say "generating seeds"
seeds=$bdir/seeds
rm -rf "$seeds"
mkdir -p "$seeds/fuzz_asm" "$seeds/fuzz_elf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

shopt -s nullglob
cp "$root"/tests/e2e/progs/*.s "$seeds/fuzz_asm/"
# tests/data: every instruction text of insns.txt (canonical and alt:) and every error case.
python3 - "$root/tests/data" "$seeds/fuzz_asm" <<'EOF'
import hashlib, pathlib, sys
data, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
def put(prefix, text):
    name = prefix + hashlib.sha1(text.encode()).hexdigest()[:12] + ".s"
    (out / name).write_text(text)
for line in (data / "insns.txt").read_text().splitlines():
    if not line.strip() or line.startswith("#"):
        continue
    fields = line.split(" | ")
    text = fields[0][len("alt:"):].strip() if line.startswith("alt:") else (fields[1] if len(fields) > 1 else "")
    if text:
        put("insn-", text + "\n")
errors = data / "asm-errors.txt"
if errors.exists():
    for line in errors.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        src = line.split(" | ")[0].replace("\\n", "\n").replace("\\t", "\t")
        put("err-", src + "\n")
EOF
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
# Objects written by xdpml itself from every assembler seed that assembles.
n_asm_objs=0
for s in "$seeds"/fuzz_asm/*.s; do
  o=$seeds/fuzz_elf/xdpml-$(basename "$s" .s).o
  if ASAN_OPTIONS=detect_leaks=0 timeout 20 "$bdir/xdpml" asm "$s" -o "$o" >/dev/null 2>&1; then
    n_asm_objs=$((n_asm_objs + 1))
  else
    rm -f "$o"
  fi
done
shopt -u nullglob
n_seed_asm=$(find "$seeds/fuzz_asm" -type f | wc -l)
n_seed_elf=$(find "$seeds/fuzz_elf" -type f | wc -l)
say "seeds: fuzz_asm $n_seed_asm files, fuzz_elf $n_seed_elf files ($n_asm_objs assembled by xdpml)"

# ---- fuzz --------------------------------------------------------------------------------
declare -A max_len=([fuzz_asm]=32768 [fuzz_elf]=65536)
declare -A extra_flags=([fuzz_asm]="-dict=$root/tests/fuzz/asm.dict" [fuzz_elf]="")

count_artifacts() {  # dir -> number of crash-like reproducers directly in it
  find "$1" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l
}

summary=()
total_crashes=0
for t in "${targets[@]}"; do
  bin=$bdir/fuzz/$t
  [[ -x $bin ]] || { echo "fuzz: no such target: $t" >&2; exit 2; }
  art=$bdir/artifacts/$t
  corpus=$bdir/corpus/$t
  log=$bdir/logs/$t.log
  mkdir -p "$art/fixed" "$corpus"

  # Re-check reproducers of earlier runs: still crashing ones count, fixed ones move aside.
  old=0
  while IFS= read -r f; do
    if timeout 60 "$bin" -rss_limit_mb=2048 -timeout=25 "$f" >"$bdir/logs/$t.recheck.log" 2>&1; then
      mv -f "$f" "$art/fixed/"
    else
      old=$((old + 1))
    fi
  done < <(find "$art" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)

  before=$(find "$corpus" -type f | wc -l)
  flags=(-max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=25
    -max_len="${max_len[$t]}" -artifact_prefix="$art/" -print_final_stats=1)
  [[ -n ${extra_flags[$t]} ]] && flags+=("${extra_flags[$t]}")
  if [[ -n ${XDPML_FUZZ_FORK:-} ]]; then
    flags+=(-fork="$XDPML_FUZZ_FORK" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  fi
  say "running $t for ${seconds}s (log: ${log#"$root"/})"
  set +e
  if [[ $verbose == 1 ]]; then
    "$bin" "${flags[@]}" "$corpus" "$seeds/$t" 2>&1 | tee "$log"
  else
    # Fork mode runs jobs in a scratch dir; everything else stays in build-fuzz.
    (cd "$bdir" && "$bin" "${flags[@]}" "$corpus" "$seeds/$t") >"$log" 2>&1
  fi
  set -e

  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  added=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  if [[ -z $execs ]]; then  # fork mode or an early stop: take the last status line
    execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
  fi
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<<"$last")
  after=$(find "$corpus" -type f | wc -l)
  crashes=$(count_artifacts "$art")
  new=$((crashes - old))
  total_crashes=$((total_crashes + crashes))
  line=$(printf '%-8s execs %-9s cov %-5s ft %-6s corpus %s -> %s (+%s units) crashes %s' \
    "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$before" "$after" "${added:-$((after - before))}" "$crashes")
  ((old > 0)) && line+=" ($old from earlier runs still reproduce)"
  summary+=("$line")
  if ((new > 0)); then
    # The first report in the log says what and where.
    grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant violated|ALARM' "$log" |
      sed 's/^/    /' >&2 || true
  fi
done

echo "fuzz: summary (${seconds}s per target; artifacts in ${bdir#"$root"/}/artifacts/<target>/)"
for l in "${summary[@]}"; do echo "  $l"; done
if ((total_crashes > 0)); then
  echo "fuzz: $total_crashes reproducer(s); replay one with: build-fuzz/fuzz/<target> <file>" >&2
  exit 1
fi
