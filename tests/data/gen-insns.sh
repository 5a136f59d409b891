#!/usr/bin/env bash
# gen-insns.sh - regenerate tests/data/insns.txt from LLVM 14.
#
# Usage:
#   tests/data/gen-insns.sh            print the candidate insns.txt on stdout
#   tests/data/gen-insns.sh --check    regenerate and diff against the committed
#                                      insns.txt (exit 1 on any difference)
#
# The curated part of insns.txt lives in the SPEC below; this script fills in
# what LLVM 14 says:
#   mc   <text>          text is assembled with `llvm-mc -triple bpf
#                        -show-encoding`; the bytes come from llvm-mc. LLVM's
#                        echo of the instruction must equal <text> (i.e. <text>
#                        is already canonical) and llvm-objdump must print it
#                        back, else the script fails.
#                        -> "<bytes> | <text> | llvm-mc"
#   od   <hex>           bytes are disassembled with `llvm-objdump -d
#                        --mattr=+alu32`; the text comes from llvm-objdump
#                        (whitespace collapsed, branch-target annotation
#                        "<xdp+0x..>" dropped). llvm-mc 14 must reject that
#                        text, else the line should have been `mc`.
#                        -> "<bytes> | <text> | objdump"
#   none <hex> | <text>  copied as is (kernel ISA only; LLVM 14 knows neither
#                        the text nor the bytes; check-insns-llvm.sh verifies
#                        that LLVM 14 indeed rejects/misprints them)
#                        -> "<hex> | <text> | none"
#   alt  <text> | <canonical>
#                        copied as is -> "alt: <text> | <canonical>"
#   # ... / blank        copied as is
#
# Environment: LLVM_MC, LLVM_OBJDUMP override the tool names (default: the
# -14 suffixed binaries when present, else the plain names; must be LLVM 14).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

pick() { # pick <envvalue> <name>
    if [[ -n "$1" ]]; then echo "$1"; return; fi
    if command -v "$2-14" >/dev/null 2>&1; then echo "$2-14"; else echo "$2"; fi
}
MC=$(pick "${LLVM_MC:-}" llvm-mc)
OBJDUMP=$(pick "${LLVM_OBJDUMP:-}" llvm-objdump)
for t in "$MC" "$OBJDUMP"; do
    if ! "$t" --version 2>/dev/null | grep -q 'LLVM version 14\.'; then
        echo "gen-insns.sh: $t is not LLVM 14 (set LLVM_MC / LLVM_OBJDUMP)" >&2
        exit 2
    fi
done

mode=print
case "${1:-}" in
    "") ;;
    --check) mode=check ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

read -r -d '' SPEC <<'EOF' || true
# ---------------------------------------------------------------------------
# ALU64, immediate source (class 0x07, BPF_ALU64 | BPF_K)
# ---------------------------------------------------------------------------
mc r1 += -20
mc r0 += 2147483647
mc r2 -= 1
mc r3 *= -2147483648
mc r4 /= 10
mc r5 |= 255
mc r6 &= -256
mc r7 <<= 63
mc r8 >>= 32
mc r9 = -r9
mc r1 = -r1
# BPF_MOD (0x97): LLVM 14 has no modulo instruction (it expands urem into
# div/mul/sub); llvm-mc rejects "%=" and llvm-objdump prints <unknown>.
none 97 01 00 00 05 00 00 00 | r1 %= 5
none 97 04 00 00 00 00 00 80 | r4 %= -2147483648
mc r0 ^= -1
mc r1 = 5
mc r1 = 16
mc r2 = -2147483648
mc r3 = 2147483647
mc r4 s>>= 1

# ---------------------------------------------------------------------------
# ALU64, register source (class 0x07, BPF_ALU64 | BPF_X)
# ---------------------------------------------------------------------------
mc r1 += r2
mc r3 -= r4
mc r5 *= r6
mc r7 /= r8
mc r9 |= r0
mc r1 &= r9
mc r2 <<= r3
mc r4 >>= r5
# BPF_MOD (0x9f): not in LLVM 14 (see above).
none 9f 76 00 00 00 00 00 00 | r6 %= r7
mc r8 ^= r1
mc r1 = r2
mc r0 = r10
mc r6 s>>= r7

# ---------------------------------------------------------------------------
# ALU32, immediate source (class 0x04, BPF_ALU | BPF_K)
# ---------------------------------------------------------------------------
mc w1 += 5
mc w2 -= -1
mc w3 *= 2147483647
mc w4 /= 3
mc w5 |= -2147483648
mc w6 &= 65535
mc w7 <<= 31
mc w8 >>= 16
mc w0 = -w0
# BPF_MOD (0x94): not in LLVM 14.
none 94 09 00 00 07 00 00 00 | w9 %= 7
mc w1 ^= 1
mc w2 = 0
mc w3 = -2147483648
mc w4 = 2147483647
mc w5 s>>= 31

# ---------------------------------------------------------------------------
# ALU32, register source (class 0x04, BPF_ALU | BPF_X)
# ---------------------------------------------------------------------------
mc w1 += w2
mc w3 -= w4
mc w5 *= w6
mc w7 /= w8
mc w9 |= w0
mc w1 &= w9
mc w2 <<= w3
mc w4 >>= w5
# BPF_MOD (0x9c): not in LLVM 14.
none 9c 76 00 00 00 00 00 00 | w6 %= w7
mc w8 ^= w1
mc w1 = w2
mc w6 = w10
mc w6 s>>= w7

# ---------------------------------------------------------------------------
# Byte swap (class 0x04, BPF_END): 0xd4 = to little endian, 0xdc = to big
# endian; imm selects the width (16, 32, 64). Printed with r registers even
# though the class is ALU32; dst and src of the text must be the same register.
# ---------------------------------------------------------------------------
mc r1 = le16 r1
mc r2 = le32 r2
mc r3 = le64 r3
mc r1 = be16 r1
mc r4 = be16 r4
mc r5 = be32 r5
mc r6 = be64 r6
mc r0 = be64 r0

# ---------------------------------------------------------------------------
# JMP, 64-bit compares, immediate source (class 0x05, BPF_K), ja, call, exit
# ---------------------------------------------------------------------------
mc goto +3
mc goto -1
mc goto +0
mc goto +32767
mc goto -32768
mc if r1 == 5 goto +3
mc if r2 > 2147483647 goto -1
mc if r3 >= 0 goto +32767
# BPF_JSET (0x45): LLVM 14's BPF backend has no jset; llvm-mc rejects "&",
# llvm-objdump prints <unknown>.
none 45 04 02 00 00 10 00 00 | if r4 & 4096 goto +2
none 45 01 03 00 05 00 00 00 | if r1 & 5 goto +3
mc if r5 != -1 goto -32768
mc if r1 s> 5 goto -2
mc if r6 s>= -2147483648 goto +1
mc if r7 < 100 goto +4
mc if r8 <= 1 goto -3
mc if r9 s< -5 goto +6
mc if r0 s<= 0 goto +7
mc call 1
mc call 191
mc call 2147483647
# bpf-to-bpf call (src_reg 1, imm = relative slot offset). LLVM prints it "call N" like a
# helper call, which reads back as helper N; xdpml spells it as the verifier log does.
differs 85 10 00 00 03 00 00 00 | call pc+3
differs 85 10 00 00 f6 ff ff ff | call pc-10
mc exit

# ---------------------------------------------------------------------------
# JMP, 64-bit compares, register source (class 0x05, BPF_X)
# ---------------------------------------------------------------------------
mc if r1 == r2 goto +3
mc if r3 > r4 goto -4
mc if r5 >= r6 goto +1
# BPF_JSET (0x4d): not in LLVM 14.
none 4d 21 03 00 00 00 00 00 | if r1 & r2 goto +3
mc if r7 != r8 goto +2
mc if r9 s> r0 goto -1
mc if r1 s>= r10 goto +5
mc if r2 < r3 goto +32767
mc if r4 <= r5 goto -32768
mc if r6 s< r7 goto +8
mc if r8 s<= r9 goto -9

# ---------------------------------------------------------------------------
# JMP32, 32-bit compares, immediate source (class 0x06, BPF_K)
# ---------------------------------------------------------------------------
mc if w1 == 0 goto +1
mc if w2 > 255 goto -1
mc if w3 >= 2147483647 goto +32767
# BPF_JSET (0x46): not in LLVM 14.
none 46 04 02 00 01 00 00 00 | if w4 & 1 goto +2
mc if w5 != -2147483648 goto -32768
mc if w6 s> -1 goto +3
mc if w7 s>= 10 goto -4
mc if w1 < 5 goto +1
mc if w8 <= 6 goto +5
mc if w9 s< 0 goto -6
mc if w0 s<= 7 goto +7

# ---------------------------------------------------------------------------
# JMP32, 32-bit compares, register source (class 0x06, BPF_X)
# ---------------------------------------------------------------------------
mc if w1 == w2 goto +1
mc if w3 > w4 goto -2
mc if w5 >= w6 goto +3
# BPF_JSET (0x4e): not in LLVM 14.
none 4e 21 01 00 00 00 00 00 | if w1 & w2 goto +1
mc if w7 != w8 goto -4
mc if w9 s> w0 goto +5
mc if w1 s>= w10 goto -6
mc if w2 < w3 goto +32767
mc if w4 <= w5 goto -32768
mc if w6 s< w7 goto +8
mc if w8 s<= w9 goto -9

# ---------------------------------------------------------------------------
# lddw, 64-bit immediate load (0x18, 16 bytes; src_reg 0 = plain constant).
# The value is printed in signed decimal (as LLVM prints it).
# ---------------------------------------------------------------------------
mc r1 = 1234 ll
mc r1 = 81985529216486895 ll
mc r1 = -1 ll
mc r0 = 0 ll
mc r2 = 9223372036854775807 ll
mc r3 = -9223372036854775808 ll
mc r4 = 4294967296 ll
mc r5 = 2147483648 ll
mc r6 = -2147483649 ll
mc r9 = -2147483648 ll

# lddw pseudo forms (src_reg != 0), kernel/libbpf only. llvm-mc 14 cannot
# write them (it only emits src_reg 0 plus a relocation) and llvm-objdump 14
# prints them as "ld_pseudo rD, <src_reg>, <first imm>", dropping the second
# imm, so LLVM is no oracle here.
# src_reg 1 = BPF_PSEUDO_MAP_FD: first imm = map fd, second imm = 0.
none 18 11 00 00 03 00 00 00 00 00 00 00 00 00 00 00 | r1 = map_fd(3) ll
none 18 17 00 00 0a 00 00 00 00 00 00 00 00 00 00 00 | r7 = map_fd(10) ll
# src_reg 2 = BPF_PSEUDO_MAP_VALUE: first imm = map fd, second imm = offset.
none 18 21 00 00 03 00 00 00 00 00 00 00 10 00 00 00 | r1 = map_value(3) + 16 ll
none 18 22 00 00 04 00 00 00 00 00 00 00 00 01 00 00 | r2 = map_value(4) + 256 ll
# src_reg 5 = BPF_PSEUDO_MAP_IDX: first imm = index into fd_array.
none 18 51 00 00 00 00 00 00 00 00 00 00 00 00 00 00 | r1 = map_idx(0) ll
none 18 53 00 00 02 00 00 00 00 00 00 00 00 00 00 00 | r3 = map_idx(2) ll
# src_reg 6 = BPF_PSEUDO_MAP_IDX_VALUE: first imm = index, second = offset.
none 18 61 00 00 00 00 00 00 00 00 00 00 08 00 00 00 | r1 = map_idx_value(0) + 8 ll
none 18 64 00 00 01 00 00 00 00 00 00 00 20 00 00 00 | r4 = map_idx_value(1) + 32 ll
# src_reg 3 (BPF_PSEUDO_BTF_ID: ksym address by BTF id) and 4 (BPF_PSEUDO_FUNC:
# address of a subprogram, imm = relative insn offset): kernel ISA, not in LLVM 14.
none 18 31 00 00 2a 00 00 00 00 00 00 00 00 00 00 00 | r1 = btf_id(42) ll
none 18 42 00 00 05 00 00 00 00 00 00 00 00 00 00 00 | r2 = func(5) ll

# ---------------------------------------------------------------------------
# Legacy packet access: BPF_LD | BPF_ABS (0x20 W, 0x28 H, 0x30 B; offset in
# imm) and BPF_LD | BPF_IND (0x40 W, 0x48 H, 0x50 B; offset register in
# src_reg, imm 0). The destination is always r0 (dst_reg field 0).
# ---------------------------------------------------------------------------
mc r0 = *(u32 *)skb[0]
mc r0 = *(u32 *)skb[2147483647]
mc r0 = *(u16 *)skb[12]
mc r0 = *(u8 *)skb[3]
mc r0 = *(u8 *)skb[-1048576]
mc r0 = *(u32 *)skb[r9]
mc r0 = *(u16 *)skb[r1]
mc r0 = *(u8 *)skb[r7]

# ---------------------------------------------------------------------------
# Loads: BPF_LDX | BPF_MEM (0x61 W, 0x69 H, 0x71 B, 0x79 DW).
# Narrow loads are spelled with a w destination (clang -mcpu=v3 spelling).
# ---------------------------------------------------------------------------
mc w1 = *(u32 *)(r2 + 4)
mc w0 = *(u32 *)(r10 - 32768)
mc w2 = *(u16 *)(r3 + 32767)
mc w5 = *(u16 *)(r6 - 2)
mc w1 = *(u8 *)(r2 + 0)
mc w9 = *(u8 *)(r10 - 1)
mc r1 = *(u64 *)(r2 + 8)
mc r0 = *(u64 *)(r10 - 8)
mc r3 = *(u64 *)(r4 - 32768)
mc r5 = *(u64 *)(r6 + 32767)

# ---------------------------------------------------------------------------
# Stores of an immediate: BPF_ST | BPF_MEM (0x62 W, 0x6a H, 0x72 B, 0x7a DW).
# LLVM 14 has no BPF_ST at all (llvm-mc rejects, llvm-objdump prints
# <unknown>); the kernel accepts them.
# ---------------------------------------------------------------------------
none 62 0a fc ff 05 00 00 00 | *(u32 *)(r10 - 4) = 5
none 62 01 00 00 ff ff ff 7f | *(u32 *)(r1 + 0) = 2147483647
none 6a 01 ff 7f ff ff ff ff | *(u16 *)(r1 + 32767) = -1
none 72 02 00 00 7f 00 00 00 | *(u8 *)(r2 + 0) = 127
none 7a 0a 00 80 00 00 00 80 | *(u64 *)(r10 - 32768) = -2147483648
none 7a 03 08 00 2a 00 00 00 | *(u64 *)(r3 + 8) = 42

# ---------------------------------------------------------------------------
# Stores of a register: BPF_STX | BPF_MEM (0x63 W, 0x6b H, 0x73 B, 0x7b DW).
# Narrow stores are spelled with a w source.
# ---------------------------------------------------------------------------
mc *(u32 *)(r1 + 0) = w2
mc *(u32 *)(r10 - 4) = w7
mc *(u16 *)(r1 - 8) = w2
mc *(u16 *)(r0 + 32767) = w10
mc *(u8 *)(r3 + 32767) = w4
mc *(u8 *)(r5 - 32768) = w6
mc *(u64 *)(r10 - 8) = r1
mc *(u64 *)(r9 - 32768) = r0
mc *(u64 *)(r2 + 16) = r3

# ---------------------------------------------------------------------------
# Atomics, 32-bit: BPF_STX | BPF_ATOMIC | BPF_W (0xc3); imm selects the op:
# 0x00 add, 0x40 or, 0x50 and, 0xa0 xor, |0x01 = BPF_FETCH, 0xe1 xchg,
# 0xf1 cmpxchg. The non-fetch forms assemble with llvm-mc 14; the fetch,
# xchg and cmpxchg forms do not (llvm-mc 14 stops at the first comma with
# "unexpected token"), so their oracle is llvm-objdump -- which prints them
# correctly ONLY with --mattr=+alu32: without it llvm-objdump 14 prints imm
# 0x01 (fetch add) as "lock *(u32 *)(r1 + 0) += r2" and every other 32-bit
# fetch/xchg/cmpxchg as <unknown> (see README.md).
# ---------------------------------------------------------------------------
mc lock *(u32 *)(r1 + 0) += w2
mc lock *(u32 *)(r10 - 4) += w0
mc lock *(u32 *)(r3 - 4) |= w4
mc lock *(u32 *)(r5 + 32767) &= w6
mc lock *(u32 *)(r7 - 32768) ^= w8
# llvm-objdump 14 without --mattr=+alu32 prints this (imm 0x01) as
# "lock *(u32 *)(r1 + 0) += r2"; with +alu32 it is right.
od c3 21 00 00 01 00 00 00
od c3 43 08 00 41 00 00 00
od c3 65 fc ff 51 00 00 00
od c3 87 00 00 a1 00 00 00
od c3 21 00 00 e1 00 00 00
od c3 93 10 00 e1 00 00 00
od c3 21 00 00 f1 00 00 00
od c3 94 f8 ff f1 00 00 00

# ---------------------------------------------------------------------------
# Atomics, 64-bit: BPF_STX | BPF_ATOMIC | BPF_DW (0xdb), same imm selectors.
# llvm-objdump 14 gets all of these right with or without +alu32.
# ---------------------------------------------------------------------------
mc lock *(u64 *)(r1 + 0) += r2
mc lock *(u64 *)(r10 - 8) += r1
mc lock *(u64 *)(r3 + 8) |= r4
mc lock *(u64 *)(r5 - 32768) &= r6
mc lock *(u64 *)(r7 + 32767) ^= r8
od db 21 00 00 01 00 00 00
od db 39 f8 ff 01 00 00 00
od db 21 00 00 41 00 00 00
od db 43 10 00 51 00 00 00
od db 65 00 00 a1 00 00 00
od db 21 00 00 e1 00 00 00
od db 87 00 80 e1 00 00 00
od db 21 00 00 f1 00 00 00
od db 39 ff 7f f1 00 00 00

# ---------------------------------------------------------------------------
# Alternative spellings the assembler must accept ("alt: <text> | <canon>").
# Each alt that llvm-mc 14 rejects has its own comment block right above it
# containing the words "llvm-mc 14 rejects" (check-insns-llvm.sh checks that
# llvm-mc rejects exactly those and assembles every other alt to the bytes
# of its canonical line); a comment block marks only the line right below.
# ---------------------------------------------------------------------------

# Narrow loads/stores with r registers (llvm-mc 14 accepts both spellings).
alt r1 = *(u32 *)(r2 + 4) | w1 = *(u32 *)(r2 + 4)
alt r2 = *(u16 *)(r3 + 32767) | w2 = *(u16 *)(r3 + 32767)
alt r1 = *(u8 *)(r2 + 0) | w1 = *(u8 *)(r2 + 0)
alt *(u32 *)(r1 + 0) = r2 | *(u32 *)(r1 + 0) = w2
alt *(u16 *)(r1 - 8) = r2 | *(u16 *)(r1 - 8) = w2
alt *(u8 *)(r3 + 32767) = r4 | *(u8 *)(r3 + 32767) = w4
alt lock *(u32 *)(r1 + 0) += r2 | lock *(u32 *)(r1 + 0) += w2
# llvm-mc 14 rejects this spelling, although clang-14 -S itself prints it for
# the zero-extending 32->64 move (MOV_32_64, same 0xbc encoding as w1 = w2).
alt r1 = w2 | w1 = w2
# Hex immediates (llvm-mc accepts them; printed back in signed decimal).
alt r1 = 0x10 | r1 = 16
alt r1 += -0x14 | r1 += -20
alt w4 = 0x7fffffff | w4 = 2147483647
alt if r1 == 0x5 goto +3 | if r1 == 5 goto +3
alt call 0xbf | call 191
alt r1 = 0x123456789abcdef ll | r1 = 81985529216486895 ll
alt r1 = 0xffffffffffffffff ll | r1 = -1 ll
alt r0 = *(u16 *)skb[0xc] | r0 = *(u16 *)skb[12]
# Unsigned 64-bit lddw values wrap to the signed spelling.
alt r1 = 18446744073709551615 ll | r1 = -1 ll
# Unsigned jump offset (llvm-mc accepts "goto 3").
alt goto 3 | goto +3
# Kernel verifier-log spelling of a negative offset ("(r10 -8)").
alt r0 = *(u64 *)(r10 -8) | r0 = *(u64 *)(r10 - 8)
alt *(u32 *)(r10 -4) = w7 | *(u32 *)(r10 - 4) = w7
# llvm-mc 14 rejects "+ -8" ("invalid operand for instruction"); we accept it
# because naive printers emit it and it is unambiguous.
alt r0 = *(u64 *)(r10 + -8) | r0 = *(u64 *)(r10 - 8)
# llvm-mc 14 rejects "+ -2" as well (see above).
alt w5 = *(u16 *)(r6 + -2) | w5 = *(u16 *)(r6 - 2)
# Whitespace is free between tokens.
alt r1+=r2 | r1 += r2
alt r1=*(u64 *)(r2+8) | r1 = *(u64 *)(r2 + 8)
alt r1 = *(u64*)(r2 + 8) | r1 = *(u64 *)(r2 + 8)
alt if r1==r2 goto +3 | if r1 == r2 goto +3
EOF

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- pass 1: collect llvm-mc texts and objdump bytes -----------------------
mapfile -t spec <<<"$SPEC"
: >"$tmp/mc.s"
{ echo '.section xdp,"ax"'; } >"$tmp/od.s"
declare -A od_addr=()
addr=0
for i in "${!spec[@]}"; do
    l=${spec[$i]}
    case "$l" in
        "mc "*)
            printf 'm%d:\n%s\n' "$i" "${l#mc }" >>"$tmp/mc.s" ;;
        "od "*)
            hex=${l#od }
            od_addr[$i]=$addr
            n=$(wc -w <<<"$hex")
            printf '.byte 0x%s\n' "${hex// /, 0x}" >>"$tmp/od.s"
            addr=$((addr + n / 8)) ;;
    esac
done
# od texts must be rejected by llvm-mc; collected after objdump ran.

"$MC" -triple bpf -show-encoding "$tmp/mc.s" >"$tmp/mc.out" 2>"$tmp/mc.err" || true
# -> "<index>\t<bytes>\t<llvm echo>"
awk '
/^m[0-9]+:$/ { cur = substr($0, 2, length($0) - 2); next }
/# encoding: \[/ {
    line = $0
    p = index(line, "# encoding: [")
    txt = substr(line, 1, p - 1)
    gsub(/^[ \t]+|[ \t]+$/, "", txt); gsub(/[ \t]+/, " ", txt)
    enc = substr(line, p + 13); sub(/\].*$/, "", enc)
    if (enc ~ /[A'"'"']/) enc = "FIXUP"
    gsub(/0x/, "", enc); gsub(/,/, " ", enc)
    print cur "\t" enc "\t" txt
}' "$tmp/mc.out" >"$tmp/mc.tsv"

"$MC" -triple bpf -filetype=obj "$tmp/od.s" -o "$tmp/od.o"
"$OBJDUMP" -d --mattr=+alu32 "$tmp/od.o" >"$tmp/od.out"
# -> "<addr>\t<bytes>\t<text>"
awk -F'\t' '
/^ *[0-9]+:\t/ {
    a = $1; gsub(/[ :]/, "", a)
    txt = $3; for (k = 4; k <= NF; k++) txt = txt " " $k
    sub(/[ \t]+<[^<> \t]*>$/, "", txt)
    gsub(/[ \t]+/, " ", txt); gsub(/^ | $/, "", txt)
    print a "\t" $2 "\t" txt
}' "$tmp/od.out" >"$tmp/od.tsv"

declare -A mc_bytes=() mc_echo=() od_bytes=() od_text=()
while IFS=$'\t' read -r k b t; do mc_bytes[$k]=$b; mc_echo[$k]=$t; done <"$tmp/mc.tsv"
while IFS=$'\t' read -r a b t; do od_bytes[$a]=$b; od_text[$a]=$t; done <"$tmp/od.tsv"

# ---- cross-checks: mc lines must disassemble back; od texts must be
# rejected by llvm-mc ---------------------------------------------------------
errors=0
err() { echo "gen-insns.sh: $*" >&2; errors=$((errors + 1)); }

{ echo '.section xdp,"ax"'; } >"$tmp/back.s"
: >"$tmp/rej.s"
addr=0
declare -A back_addr=()
for i in "${!spec[@]}"; do
    l=${spec[$i]}
    case "$l" in
        "mc "*)
            t=${l#mc }
            if [[ -z "${mc_bytes[$i]:-}" ]]; then err "llvm-mc rejects: $t"; continue; fi
            if [[ "${mc_bytes[$i]}" == FIXUP ]]; then err "llvm-mc needs a fixup for: $t"; continue; fi
            if [[ "${mc_echo[$i]}" != "$t" ]]; then err "not canonical: '$t' (llvm-mc prints '${mc_echo[$i]}')"; fi
            back_addr[$i]=$addr
            printf '.byte 0x%s\n' "${mc_bytes[$i]// /, 0x}" >>"$tmp/back.s"
            n=$(wc -w <<<"${mc_bytes[$i]}")
            addr=$((addr + n / 8)) ;;
        "od "*)
            a=${od_addr[$i]}
            if [[ -z "${od_text[$a]:-}" || "${od_text[$a]}" == "<unknown>" ]]; then
                err "llvm-objdump does not know: ${l#od }"; continue
            fi
            if [[ "${od_bytes[$a]}" != "${l#od }" ]]; then err "objdump desync at: ${l#od }"; fi
            printf 'r%d:\n%s\n' "$i" "${od_text[$a]}" >>"$tmp/rej.s" ;;
    esac
done
"$MC" -triple bpf -filetype=obj "$tmp/back.s" -o "$tmp/back.o"
"$OBJDUMP" -d --mattr=+alu32 "$tmp/back.o" | awk -F'\t' '
/^ *[0-9]+:\t/ {
    a = $1; gsub(/[ :]/, "", a)
    txt = $3; for (k = 4; k <= NF; k++) txt = txt " " $k
    sub(/[ \t]+<[^<> \t]*>$/, "", txt)
    gsub(/[ \t]+/, " ", txt); gsub(/^ | $/, "", txt)
    print a "\t" txt
}' >"$tmp/back.tsv"
declare -A back_text=()
while IFS=$'\t' read -r a t; do back_text[$a]=$t; done <"$tmp/back.tsv"
for i in "${!back_addr[@]}"; do
    t=${spec[$i]#mc }
    got=${back_text[${back_addr[$i]}]:-}
    [[ "$got" == "$t" ]] || err "llvm-objdump prints '$got' for '$t'"
done
"$MC" -triple bpf -show-encoding "$tmp/rej.s" >"$tmp/rej.out" 2>/dev/null || true
awk '/^r[0-9]+:$/ { cur = $0; next } /# encoding:/ { print cur }' "$tmp/rej.out" >"$tmp/rej.acc"
while read -r lab; do
    i=${lab#r}; i=${i%:}
    err "llvm-mc accepts the objdump text of '${spec[$i]}' (make it an mc line)"
done <"$tmp/rej.acc"

# ---- pass 2: emit -----------------------------------------------------------
{
    cat <<'EOF'
# insns.txt - single eBPF instructions and their encodings.
#
# GENERATED by tests/data/gen-insns.sh from its SPEC and LLVM 14; edit the
# SPEC there and regenerate (gen-insns.sh > insns.txt), then run
# check-insns-llvm.sh. Format and oracle rules: tests/data/README.md.
#
#   <hex bytes> | <canonical text> | <oracle>
#   alt: <accepted text> | <canonical text>
#
# Fields are separated by " | " (space, bar, space); the texts themselves may
# contain "|=" but never " | ".
# oracle: llvm-mc  = llvm-mc -triple bpf -show-encoding gives these bytes
#         objdump  = llvm-mc 14 rejects the text; llvm-objdump -d
#                    --mattr=+alu32 prints it for these bytes
#         none     = kernel ISA only; LLVM 14 knows neither text nor bytes
#         differs  = llvm-mc reads the text as something else; xdpml's spelling
EOF
    for i in "${!spec[@]}"; do
        l=${spec[$i]}
        case "$l" in
            "mc "*) echo "${mc_bytes[$i]:-??} | ${l#mc } | llvm-mc" ;;
            "od "*) echo "${l#od } | ${od_text[${od_addr[$i]}]:-??} | objdump" ;;
            "none "*) echo "${l#none } | none" ;;
            "differs "*) echo "${l#differs } | differs" ;;
            "alt "*) echo "alt: ${l#alt }" ;;
            *) echo "$l" ;;
        esac
    done
} >"$tmp/insns.txt"

if ((errors)); then
    echo "gen-insns.sh: $errors error(s); candidate not trustworthy" >&2
fi

if [[ $mode == check ]]; then
    if diff -u "$here/insns.txt" "$tmp/insns.txt"; then
        echo "gen-insns.sh: insns.txt is up to date"
        ((errors)) && exit 1
        exit 0
    fi
    echo "gen-insns.sh: insns.txt differs from the regenerated candidate" >&2
    exit 1
fi
cat "$tmp/insns.txt"
((errors)) && exit 1
exit 0
