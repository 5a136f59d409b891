# XDP_REDIRECT (4) silently drops on the NFP.
# expect: R-EXIT-2 @7 R0 at exit may be XDP_REDIRECT (4)
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 0)
	w3 = *(u32 *)(r1 + 4)
	w0 = 2
	r4 = r2
	r4 += 1
	if r4 > r3 goto out
	w0 = 4
out:
	exit
