#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test.
# Usage: scripts/test.sh [--allow-skips] [ctest options...]
# A test that cannot run here (not root, no BPF, a missing tool) is reported by ctest as
# skipped, and then this script fails: a green run means everything was compared. Pass
# --allow-skips to accept skips (say, an unprivileged developer run).
set -euo pipefail
cd "$(dirname "$0")/.."
allow_skips=0
args=()
for a in "$@"; do
  if [ "$a" = --allow-skips ]; then allow_skips=1; else args+=("$a"); fi
done
bash scripts/setup.sh
cd build
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
ctest --output-on-failure --parallel "$(nproc)" "${args[@]}" 2>&1 | tee "$log" || rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
skipped=$(grep -c '(Skipped)' "$log" || true)
if [ "$skipped" -gt 0 ]; then
  echo "test.sh: $skipped test(s) were skipped (listed above): they compared nothing." >&2
  if [ "$allow_skips" -eq 0 ]; then
    echo "test.sh: failing; run as root on a kernel with BPF, or pass --allow-skips" >&2
    exit 5
  fi
fi
