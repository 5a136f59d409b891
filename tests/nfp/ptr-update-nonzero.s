# map_update_elem writes a possibly non-zero value over words used as atomic counters.
# expect: R-PTR-5 @20 value at offset 0 may be non-zero
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
	w2 = 1
	lock *(u32 *)(r0 + 0) += w2
	w1 = 5
	*(u32 *)(r10 - 16) = w1
	*(u32 *)(r10 - 12) = w1
	r2 = r10
	r2 += -4
	r3 = r10
	r3 += -16
	w4 = 0
	r1 = table ll
	call 2
out:
	w0 = 2
	exit
