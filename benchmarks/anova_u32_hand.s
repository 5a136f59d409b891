// The ANOVA (Chebyshev) segmenter, u32 input, epsilon 0.1, scale 16384, magic-only matching:
// written by hand for per-packet speed, the way the 2019 report's authors hand-wrote theirs.
// Same semantics as `xdpml compile anova` (compiler/anova/frontend.cpp, docs/compiler.md) and
// the bit-exact reference decide_exact (compiler/anova/reference.hpp):
//
//   S = sum A, Q = sum A^2 (64-bit); tag 3 if S >= 2^30; D = 8Q - S^2
//   outlier: |8X - S| >= T, T = ceil(8 * 0.1 * 16384) = 13108
//            <=> X >= hi = (S + T + 7) >> 3  or  X <= lo = (S - T) s>> 3
//   split iff D * 25 < tot * 2^29            (y = 8 * (0.1 * 16384)^2 = 2^29 / 25)
//   D >= 171798692 = ceil(8 * 2^29 / 25) never splits (and bounds D * 25 below 2^32)
//
// Written before the compiler learnt two of its tricks; what it did differently from the
// compiler's output at the time (95 instructions; 96 now):
//   * one unsigned compare per B sample instead of two: lo < X < hi  <=>
//     (u64)(X - c) < W with c = lo + 1 and W = hi - c (X - c wraps to a huge number when
//     X < c); 8 fewer branches on the per-packet path for 3 more set-up instructions (the
//     compiler does this too now, IR CondAddOutside);
//   * the tag word, which was just checked to be 0, is loaded into the register that then
//     accumulates tot * 2^29, so the accumulator needs no initialisation (the compiler still
//     spends a `w6 = 0`);
//   * "D >= 171798692: no split" is tested before window B rather than after it: with that
//     much variance in A no count of outliers can split, so B is not read at all (clang -O2
//     finds this too, by sinking the B loop under the test; the compiler does it now, for u32).
// Registers: r0 verdict (XDP_PASS), r2 packet, r1 S then c, r3 Q then D, r4 W, r5 sample,
// r6 tot * 2^29.
	.section	xdp,"ax",@progbits
	.globl	anova_u32_hand
	.type	anova_u32_hand,@function
anova_u32_hand:
	w2 = *(u32 *)(r1 + 0)
	w0 = 2
	w3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 122
	if r4 > r3 goto pass
	r1 = *(u64 *)(r2 + 42)
	r3 = 2408424645786761761 ll
	if r1 != r3 goto pass
	r6 = *(u64 *)(r2 + 50)
	if r6 != 0 goto pass
	// window A: S in r1, Q in r3
	w1 = *(u32 *)(r2 + 58)
	r3 = r1
	r3 *= r3
	w4 = *(u32 *)(r2 + 62)
	r1 += r4
	r4 *= r4
	r3 += r4
	w4 = *(u32 *)(r2 + 66)
	r1 += r4
	r4 *= r4
	r3 += r4
	w4 = *(u32 *)(r2 + 70)
	r1 += r4
	r4 *= r4
	r3 += r4
	w4 = *(u32 *)(r2 + 74)
	r1 += r4
	r4 *= r4
	r3 += r4
	w4 = *(u32 *)(r2 + 78)
	r1 += r4
	r4 *= r4
	r3 += r4
	w4 = *(u32 *)(r2 + 82)
	r1 += r4
	r4 *= r4
	r3 += r4
	w4 = *(u32 *)(r2 + 86)
	r1 += r4
	r4 *= r4
	r3 += r4
	if r1 >= 1073741824 goto invalid
	// D = 8Q - S^2
	r4 = r1
	r4 *= r4
	r3 <<= 3
	r3 -= r4
	// so much variance in A that no count of outliers in B can split: skip B entirely
	if r3 >= 171798692 goto nosplit
	// W = hi - c, c = lo + 1 (S < 2^30: hi fits 32 bits; lo may be negative)
	w4 = w1
	w4 += 13115
	w4 >>= 3
	r1 -= 13108
	r1 s>>= 3
	r1 += 1
	r4 -= r1
	// window B: tot * 2^29 in r6 (at most 2^32: the last add is 64-bit)
	w5 = *(u32 *)(r2 + 90)
	r5 -= r1
	if r5 < r4 goto b1
	w6 += 536870912
b1:
	w5 = *(u32 *)(r2 + 94)
	r5 -= r1
	if r5 < r4 goto b2
	w6 += 536870912
b2:
	w5 = *(u32 *)(r2 + 98)
	r5 -= r1
	if r5 < r4 goto b3
	w6 += 536870912
b3:
	w5 = *(u32 *)(r2 + 102)
	r5 -= r1
	if r5 < r4 goto b4
	w6 += 536870912
b4:
	w5 = *(u32 *)(r2 + 106)
	r5 -= r1
	if r5 < r4 goto b5
	w6 += 536870912
b5:
	w5 = *(u32 *)(r2 + 110)
	r5 -= r1
	if r5 < r4 goto b6
	w6 += 536870912
b6:
	w5 = *(u32 *)(r2 + 114)
	r5 -= r1
	if r5 < r4 goto b7
	w6 += 536870912
b7:
	w5 = *(u32 *)(r2 + 118)
	r5 -= r1
	if r5 < r4 goto decide
	r6 += 536870912
decide:
	w3 *= 25
	if r3 < r6 goto split
nosplit:
	*(u8 *)(r2 + 50) = 2
	exit
pass:
	exit
invalid:
	*(u8 *)(r2 + 50) = 3
	exit
split:
	*(u8 *)(r2 + 50) = 1
	exit

	.section	license,"aw",@progbits
	.asciz	"GPL"
