# A stack key at r10 - 6: the NFP needs (-off) % 4 == 0.
# expect: R-CALL-2 @6 map_lookup: unaligned stack pointer 6
	.bpf_map	flows, hash, 4, 8, 1024
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w1 = 0
	*(u32 *)(r10 - 8) = w1
	r2 = r10
	r2 += -6
	r1 = flows ll
	call 1
	w0 = 2
	exit
