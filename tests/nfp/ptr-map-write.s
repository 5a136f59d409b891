# A plain store into a map value.
# expect: R-PTR-2 @9 map writes not supported
	.bpf_map	state, array, 4, 8, 1
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w1 = 0
	*(u32 *)(r10 - 4) = w1
	r2 = r10
	r2 += -4
	r1 = state ll
	call 1
	if r0 == 0 goto out
	w1 = 7
	*(u32 *)(r0 + 0) = w1
out:
	w0 = 2
	exit
