#!/usr/bin/env bash
# Readers of objects never crash: `info`, `info --json`, `check --target nfp` (text and JSON)
# and `disasm` on 600 bit-flipped copies of compiled objects (the segmenter, a small network
# with tanh/sigmoid, the flow classifier) must end with exit 0 or 1 and never with a signal or
# an "internal error". Seeded, so a failure reproduces; failing inputs are kept in $KEEP.
set -uo pipefail
XDPML=${1:?usage: robustness.sh XDPML}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$XDPML" compile anova -o "$work/anova.o" >/dev/null || exit 1
"$XDPML" compile anova --input f64 --target nfp -o "$work/anova-nfp.o" >/dev/null || exit 1
"$XDPML" compile model "$root/examples/models/classifier/model.json" \
  --calib "$root/examples/models/classifier/calib.csv" -o "$work/net.o" >/dev/null || exit 1
/usr/bin/python3 - "$XDPML" "$work" "${KEEP:-$work/keep}" <<'PY'
import os, random, subprocess, sys
xdpml, work, keep = sys.argv[1:4]
random.seed(2026)
bad = runs = 0
for base in ("anova.o", "anova-nfp.o", "net.o"):
    data = open(os.path.join(work, base), "rb").read()
    for i in range(200):
        b = bytearray(data)
        for _ in range(random.randint(1, 16)):
            k = random.randrange(len(b))
            b[k] ^= 1 << random.randrange(8)
        path = os.path.join(work, "flipped.o")
        open(path, "wb").write(b)
        for cmd in (["info", path], ["info", "--json", path], ["check", "--target", "nfp", path],
                    ["check", "--target", "nfp", "--json", path], ["disasm", path]):
            r = subprocess.run([xdpml] + cmd, capture_output=True, timeout=60)
            runs += 1
            if r.returncode < 0 or r.returncode > 1 or b"internal error" in r.stderr + r.stdout:
                bad += 1
                os.makedirs(keep, exist_ok=True)
                kept = os.path.join(keep, f"{base}-{i}.o")
                open(kept, "wb").write(b)
                print(f"FAIL {' '.join(cmd[:-1])} on {kept}: exit {r.returncode}: "
                      f"{(r.stderr + r.stdout)[-200:]!r}")
print(f"{runs} runs on {3 * 200} flipped objects, {bad} crashes or internal errors")
sys.exit(1 if bad else 0)
PY
