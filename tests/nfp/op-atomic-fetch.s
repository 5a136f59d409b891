# Atomic fetch-and-add (its result is used): only plain BPF_ADD is implemented.
# expect: R-OP-4 @9 atomic op not implemented: 1
	.bpf_map	counters, array, 4, 8, 1
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w1 = 0
	*(u32 *)(r10 - 4) = w1
	r2 = r10
	r2 += -4
	r1 = counters ll
	call 1
	if r0 == 0 goto out
	r1 = 1
	r1 = atomic_fetch_add((u64 *)(r0 + 0), r1)
out:
	w0 = 2
	exit
