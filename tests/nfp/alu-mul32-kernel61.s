# Why alu32 alone is not enough on older kernels: Linux 6.1's verifier does not track a MUL
# (or OR/XOR/shift) with a non-constant register, and skips the alu32 zero-extension when it
# gives up: the whole 64-bit r5 is unknown, so the NFP rejects the next divide.
# expect: R-ALU-2 @9 dividend is not within u32 value range
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 0)
	w3 = *(u32 *)(r1 + 4)
	w0 = 2
	r4 = r2
	r4 += 8
	if r4 > r3 goto out
	w5 = *(u32 *)(r2 + 0)
	w6 = *(u16 *)(r2 + 4)
	w5 *= w6
	w5 /= 10
out:
	exit
