# One load sees a stack pointer on one path and a packet pointer on the other.
# expect: R-PTR-1 @13 ptr type changed for instruction
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 0)
	w3 = *(u32 *)(r1 + 4)
	w0 = 2
	r4 = r2
	r4 += 8
	if r4 > r3 goto out
	w5 = 0
	*(u32 *)(r10 - 8) = w5
	w6 = *(u8 *)(r2 + 0)
	r7 = r2
	if w6 > 10 goto load
	r7 = r10
	r7 += -8
load:
	w8 = *(u32 *)(r7 + 0)
out:
	exit
