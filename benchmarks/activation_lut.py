#!/usr/bin/python3
"""tanh in eBPF two ways, at the same accuracy: xdpml's compare tree against a lookup table.

Writes three LLVM-syntax programs (assembled by `xdpml asm`, loaded and timed with
`bpftool prog run ... repeat N` by scripts/bench.sh):

  tree.s   N activations through the piecewise-linear compare tree of an xdpml object's
           contract (the same table, the same tree shape and leaves as compiler/codegen.cpp)
  lut.s    N activations through a 1,024-entry table in .rodata (an array map that libbpf
           creates and freezes; the verifier turns the access into a direct load): nearest
           entry of tanh over [-4, 4) at Q12 input, so its error bound (max |f'| * step / 2 =
           0.0039) matches the 16-segment tree's measured 0.0040
  none.s   the same frame checks, input loads and sum without any activation (the floor)

Each activation's input is the packet's i32 feature 0 plus k * (32768 / N) (k = 0 .. N-1: from
a start of -16000, about [-3.9, 4.1] in real units, where tanh is not saturated) and the results are summed into the packet's result field, so a single run can be
checked: `expected` prints the sums each program must write for a given feature value.

Usage: activation_lut.py CONTRACT.json OUTDIR [N]
       activation_lut.py --expected CONTRACT.json X [N]   (tree sum and lut sum for input X)
"""
import json
import math
import os
import sys

FEATURE_OFF = 66
RESULT_OFF = 58
LUT_BITS = 10  # 1024 entries
LUT_SHIFT = 5  # Q12 input, [-4, 4) = [-16384, 16384): 32768 / 1024 = 2^5
OUT_SCALE = 16384


def tanh_table(contract):
    for op in contract["quantized"]["ops"]:
        if op["kind"] == "piecewise" and "tanh" in op["table"].get("what", ""):
            return op["table"]
    sys.exit("activation_lut.py: the contract has no tanh table")


def tree_eval(t, x):
    k = 0
    while k + 1 < len(t["start"]) and x >= t["start"][k + 1]:
        k += 1
    return (t["slope"][k] * x + t["offset"][k]) >> t["shift"]


def lut_values():
    n = 1 << LUT_BITS
    lo = -(n << LUT_SHIFT) // 2
    vals = []
    for i in range(n):
        mid = lo + (i << LUT_SHIFT) + (1 << (LUT_SHIFT - 1))  # the entry's centre
        vals.append(int(round(math.tanh(mid / 4096.0) * OUT_SCALE)))
    return vals


def lut_eval(vals, x):
    t = x + (len(vals) << LUT_SHIFT) // 2
    t = max(0, min(t, (len(vals) << LUT_SHIFT) - 1))
    return vals[t >> LUT_SHIFT]


def prologue(lines):
    lines += ["\t.section xdp,\"ax\",@progbits", "\t.globl prog", "\t.type prog,@function", "prog:",
              "\tr2 = *(u32 *)(r1 + 0)", "\tr3 = *(u32 *)(r1 + 4)", "\tr4 = r2",
              f"\tr4 += {FEATURE_OFF + 4}", "\tif r4 > r3 goto .Lout",
              f"\tw6 = *(u32 *)(r2 + {FEATURE_OFF})", "\tw7 = 0"]


def epilogue(lines, data=None):
    lines += [f"\t*(u32 *)(r2 + {RESULT_OFF}) = w7", ".Lout:", "\tr0 = 2", "\texit"]
    if data:
        lines += ["\t.section .rodata,\"a\",@progbits", "\t.p2align 2", "table:"]
        lines += [f"\t.long {v & 0xffffffff}" for v in data]
    lines += ["\t.section license,\"aw\",@progbits", "\t.asciz \"GPL\""]


def step_of(n):
    return 32768 // n


def input_of(lines, k, n):
    # w8 = k * step + feature (32-bit, wraps like the reference below). Not `w8 = w6; w8 += c`:
    # the verifier links such registers to w6, so every tree's compares would narrow w6 and
    # with it every later tree's input, multiplying the paths it walks (it gives up at 1M
    # instructions), where the compiled networks' activations have independent inputs.
    lines += [f"\tw8 = {k * step_of(n)}", "\tw8 += w6"]


def tree_program(t, n):
    lines = []
    prologue(lines)
    label = [0]

    def new():
        label[0] += 1
        return f".L{label[0]}"

    starts, slopes, offsets = t["start"], t["slope"], t["offset"]
    pref = max(range(len(slopes)), key=lambda k: abs(slopes[k]))
    for k in range(n):
        input_of(lines, k, n)
        join = new()

        def leaf(s, last):
            if slopes[s] == 0:
                lines.append(f"\tw9 = {offsets[s] & 0xffffffff}")
            else:
                lines.extend(["\tw9 = w8", f"\tw9 *= {slopes[s]}"])
                if offsets[s]:
                    lines.append(f"\tw9 += {offsets[s]}")
            if not last:
                lines.append(f"\tgoto {join}")

        def tree(l, r, last):
            if l == r:
                return leaf(l, last)
            mid = (l + r + 1) // 2
            other = new()
            if pref < mid:
                lines.append(f"\tif w8 s>= {starts[mid]} goto {other}")
                tree(l, mid - 1, False)
                lines.append(f"{other}:")
                tree(mid, r, last)
            else:
                lines.append(f"\tif w8 s< {starts[mid]} goto {other}")
                tree(mid, r, False)
                lines.append(f"{other}:")
                tree(l, mid - 1, last)

        tree(0, len(starts) - 1, True)
        lines += [f"{join}:", f"\tw9 s>>= {t['shift']}", "\tw7 += w9"]
    epilogue(lines)
    return lines


def lut_program(vals, n):
    lines = []
    prologue(lines)
    half = (len(vals) << LUT_SHIFT) // 2
    top = (len(vals) << LUT_SHIFT) - 1
    lines.append("\tr5 = table ll")
    for k in range(n):
        input_of(lines, k, n)
        lines += [f"\tw8 += {half}", f"\tif w8 s>= 0 goto .Lp{k}", "\tw8 = 0", f".Lp{k}:",
                  f"\tif w8 s<= {top} goto .Lq{k}", f"\tw8 = {top}", f".Lq{k}:",
                  f"\tw8 >>= {LUT_SHIFT}", "\tw8 <<= 2", "\tr9 = r5", "\tr9 += r8",
                  "\tw9 = *(u32 *)(r9 + 0)", "\tw7 += w9"]
    epilogue(lines, vals)
    return lines


def none_program(n):
    lines = []
    prologue(lines)
    for k in range(n):
        input_of(lines, k, n)
        lines.append("\tw7 += w8")
    epilogue(lines)
    return lines


def s32(v):
    v &= 0xffffffff
    return v - (1 << 32) if v >= 1 << 31 else v


def main():
    if sys.argv[1] == "--expected":
        contract = json.load(open(sys.argv[2]))
        x = int(sys.argv[3])
        n = int(sys.argv[4]) if len(sys.argv) > 4 else 32
        t, vals = tanh_table(contract), lut_values()
        tree_sum = sum(tree_eval(t, s32(x + k * step_of(n))) for k in range(n)) & 0xffffffff
        lut_sum = sum(lut_eval(vals, s32(x + k * step_of(n))) for k in range(n)) & 0xffffffff
        print(tree_sum, lut_sum)
        return
    contract = json.load(open(sys.argv[1]))
    out = sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 32
    t, vals = tanh_table(contract), lut_values()
    # Both reach the same accuracy: measure it on every Q12 input of [-8, 8].
    worst_tree = max(abs(tree_eval(t, x) / OUT_SCALE - math.tanh(x / 4096)) for x in range(-32768, 32769))
    worst_lut = max(abs(lut_eval(vals, x) / OUT_SCALE - math.tanh(x / 4096)) for x in range(-32768, 32769))
    for name, lines in (("tree", tree_program(t, n)), ("lut", lut_program(vals, n)), ("none", none_program(n))):
        with open(os.path.join(out, f"{name}.s"), "w") as f:
            f.write("\n".join(lines) + "\n")
    json.dump({"activations": n, "tree_segments": len(t["start"]), "tree_max_error": worst_tree,
               "lut_entries": len(vals), "lut_bytes": 4 * len(vals), "lut_max_error": worst_lut},
              open(os.path.join(out, "activation.json"), "w"))


if __name__ == "__main__":
    main()
