# The source operand of a register multiply must be within u32 too.
# expect: R-ALU-1 @8 multiplicand is not within u32 value range
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 0)
	w3 = *(u32 *)(r1 + 4)
	w0 = 2
	r4 = r2
	r4 += 16
	if r4 > r3 goto out
	w5 = *(u16 *)(r2 + 0)
	r6 = *(u64 *)(r2 + 8)
	r5 *= r6
out:
	exit
