# The NFP divides by constants only (reciprocal multiplication).
# expect: R-ALU-2 @9 divisor is not constant
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
	w6 = *(u32 *)(r2 + 4)
	w6 |= 1
	w5 /= w6
out:
	exit
