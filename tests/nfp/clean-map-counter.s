# Per-protocol counters: key on the stack (constant, 4-byte aligned offset), null check,
# atomic add on the map value; no plain stores into the map.
# expect: clean
	.bpf_map	counters, array, 4, 8, 256
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 0)
	w3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 24
	if r4 > r3 goto pass
	w5 = *(u8 *)(r2 + 23)
	*(u32 *)(r10 - 4) = w5
	r2 = r10
	r2 += -4
	r1 = counters ll
	call 1
	if r0 == 0 goto pass
	r1 = 1
	lock *(u64 *)(r0 + 0) += r1
pass:
	w0 = 2
	exit
