# A read past the end of the map value.
# expect: R-PTR-3 @8 map value access out-of-bounds
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
	w1 = *(u32 *)(r0 + 8)
out:
	w0 = 2
	exit
