// SPDX-License-Identifier: GPL-2.0
// The ANOVA (Chebyshev) segmenter, u32 input, epsilon 0.1, scale 16384, magic-only matching,
// written as plain C for clang (the "clang-14 -O2 -mcpu=v3" baseline of docs/benchmarks.md).
// Same semantics as `xdpml compile anova` and the bit-exact reference decide_exact
// (compiler/anova/reference.hpp): S = sum A, Q = sum A^2 in 64 bits; tag 3 (invalid) when
// S >= 2^30; D = 8Q - S^2; a B sample is an outlier when |8X - S| >= T = ceil(8*0.1*16384) =
// 13108, i.e. X >= (S + T + 7) >> 3 or X <= (S - T) >> 3 (arithmetic); split (tag 1) iff
// D * 25 < tot * 2^29 (y = 8*(0.1*16384)^2 = 2^29/25), else no split (tag 2). Frames that are
// too short, carry another magic or a non-zero tag pass untouched.
//
// Build: clang -O2 -mcpu=v3 -target bpf -I/usr/include/$(uname -m)-linux-gnu -c anova_u32.c
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define MAGIC 0x216C7174786A7A21ULL /* "!zjxtql!" little-endian */
#define FRAME_BYTES 122             /* 42 header bytes + magic + tag + 16 x u32 */
#define T 13108
#define SUM_LIMIT (1ULL << 30)
#define Y_NUM (1ULL << 29)
#define Y_DEN 25
#define BOUND 171798692ULL /* ceil(8 * Y_NUM / Y_DEN): D >= BOUND never splits */

SEC("xdp")
int anova_u32(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (data + FRAME_BYTES > data_end)
		return XDP_PASS;
	if (*(__u64 *)(data + 42) != MAGIC)
		return XDP_PASS;
	__u8 *tag = data + 50;
	if (*(__u64 *)(data + 50) != 0)
		return XDP_PASS;

	const __u32 *x = data + 58;
	__u64 s = 0, q = 0;
#pragma clang loop unroll(full)
	for (int i = 0; i < 8; i++) {
		__u64 v = x[i];
		s += v;
		q += v * v;
	}
	if (s >= SUM_LIMIT) {
		*tag = 3;
		return XDP_PASS;
	}
	__u64 d = 8 * q - s * s;
	__u64 hi = (s + T + 7) >> 3;
	__s64 lo = ((__s64)s - T) >> 3;
	__u64 tot = 0;
#pragma clang loop unroll(full)
	for (int i = 8; i < 16; i++) {
		__u64 v = x[i];
		if (v >= hi || (__s64)v <= lo)
			tot++;
	}
	*tag = d < BOUND && d * Y_DEN < tot * Y_NUM ? 1 : 2;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
