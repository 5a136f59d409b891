#!/usr/bin/python3
"""Deterministic generator of piecewise-stationary price series for the ANOVA segmenter.

The series is a sequence of regimes. Each regime has a random length (--min-regime ..
--max-regime samples), its own mean and its own volatility; inside a regime the samples are
independent draws mean + volatility * N(0, 1), so the series is stationary within a regime and
changes in distribution at the regime boundaries -- what the segmenter is meant to detect.

Between regimes the mean moves by a jump whose size is drawn from a mix of "no change" (only the
volatility changes), small, medium and large moves, and the volatility is drawn log-uniformly
from [0.005, 0.5]: around the default epsilon = 0.1, so both outcomes of the Chebyshev test occur.

Every value is printed with exactly two decimals (like prices), is at least 0.01 and at most
16383.99, i.e. below 2^28 / 16384: integerized at any scale up to 16384 it stays below the
segmenter's input bound 2^28. Output: one value per line, after '#' comment lines naming the
command that produced it. Only the standard library is used, and the output depends only on the
arguments (random.Random(seed) is stable across Python 3 versions).

Usage: gen_series.py [--seed N] [--length N] [--out FILE] [--regimes FILE]
"""

import argparse
import math
import random
import sys

MIN_VALUE = 0.01
MAX_VALUE = 16383.99  # < 2**28 / 16384
START_LEVEL = 100.0
MIN_LEVEL = 1.0
MAX_LEVEL = 16000.0

# (probability weight, standard deviation of the mean's jump relative to the level)
JUMPS = [
    (0.25, 0.0),     # volatility change only
    (0.30, 0.002),   # small move (0.2 at level 100)
    (0.30, 0.01),    # medium move
    (0.15, 0.05),    # large move
]


def generate(seed, length, min_regime, max_regime):
    """Returns (values as two-decimal strings, regimes as (start, length, mean, volatility))."""
    rng = random.Random(seed)
    level = START_LEVEL
    values = []
    regimes = []
    weights = [w for w, _ in JUMPS]
    while len(values) < length:
        n = min(rng.randint(min_regime, max_regime), length - len(values))
        if regimes:
            _, rel = rng.choices(JUMPS, weights=weights)[0]
            level *= math.exp(rng.gauss(0.0, rel)) if rel > 0 else 1.0
            level = min(max(level, MIN_LEVEL), MAX_LEVEL)
        volatility = 10 ** rng.uniform(math.log10(0.005), math.log10(0.5))
        regimes.append((len(values), n, level, volatility))
        for _ in range(n):
            v = level + volatility * rng.gauss(0.0, 1.0)
            v = min(max(v, MIN_VALUE), MAX_VALUE)
            values.append(f"{v:.2f}")
    return values, regimes


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--length", type=int, default=5000, help="number of values (default 5000)")
    ap.add_argument("--out", default="-", help="output file (default: standard output)")
    ap.add_argument("--regimes", help="also write the regime boundaries to this file")
    ap.add_argument("--min-regime", type=int, default=20, help="shortest regime (default 20)")
    ap.add_argument("--max-regime", type=int, default=200, help="longest regime (default 200)")
    args = ap.parse_args(argv)
    if args.length < 0 or args.min_regime < 1 or args.max_regime < args.min_regime:
        ap.error("need --length >= 0 and 1 <= --min-regime <= --max-regime")

    values, regimes = generate(args.seed, args.length, args.min_regime, args.max_regime)
    cmd = (f"gen_series.py --seed {args.seed} --length {args.length}"
           f" --min-regime {args.min_regime} --max-regime {args.max_regime}")

    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="ascii")
    try:
        out.write(f"# {cmd}\n")
        out.write("# piecewise-stationary prices, one value per line, two decimals\n")
        for v in values:
            out.write(v + "\n")
    finally:
        if out is not sys.stdout:
            out.close()

    if args.regimes:
        with open(args.regimes, "w", encoding="ascii") as f:
            f.write(f"# {cmd}\n")
            f.write("# start length mean volatility  (start = 0-based index of the first value)\n")
            for start, n, mean, vol in regimes:
                f.write(f"{start} {n} {mean:.4f} {vol:.4f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
