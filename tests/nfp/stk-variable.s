# A stack buffer indexed with a variable: fine for the modern kernel, not for the NFP.
# expect: R-STK-1 @14 variable ptr stack access
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 0)
	w3 = *(u32 *)(r1 + 4)
	w0 = 2
	r4 = r2
	r4 += 1
	if r4 > r3 goto out
	w1 = 0
	*(u64 *)(r10 - 16) = r1
	*(u64 *)(r10 - 8) = r1
	w5 = *(u8 *)(r2 + 0)
	w5 &= 12
	r6 = r10
	r6 += -16
	r6 += r5
	w7 = *(u32 *)(r6 + 0)
out:
	exit
