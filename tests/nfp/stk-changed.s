# One store sees stack offsets -8 and -6 on different paths: alignment differs mod 4.
# expect: R-STK-2 @13 stack access changed location was:-8 is:-6
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 0)
	w3 = *(u32 *)(r1 + 4)
	w0 = 2
	r4 = r2
	r4 += 1
	if r4 > r3 goto out
	w5 = *(u8 *)(r2 + 0)
	r6 = r10
	r6 += -8
	if w5 > 10 goto store
	r6 = r10
	r6 += -6
store:
	w7 = 1
	*(u16 *)(r6 + 0) = w7
out:
	exit
