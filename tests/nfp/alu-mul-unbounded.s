# A 64-bit value loaded from the packet is not bounded: the NFP multiplies 32x32 bits only.
# expect: R-ALU-1 @7 multiplier is not within u32 value range
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 0)
	w3 = *(u32 *)(r1 + 4)
	w0 = 2
	r4 = r2
	r4 += 8
	if r4 > r3 goto out
	r5 = *(u64 *)(r2 + 0)
	r5 *= 3
out:
	exit
