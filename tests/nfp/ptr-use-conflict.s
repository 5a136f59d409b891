# One 4-byte word both read and used as an atomic counter.
# expect: R-PTR-4 @10 map value use type conflict read vs atomic off: 0
	.bpf_map	table, array, 4, 8, 1
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w1 = 0
	*(u32 *)(r10 - 4) = w1
	r2 = r10
	r2 += -4
	r1 = table ll
	call 1
	if r0 == 0 goto out
	w1 = *(u32 *)(r0 + 0)
	w2 = 1
	lock *(u32 *)(r0 + 0) += w2
out:
	w0 = 2
	exit
