# A map key pointing into the packet: the NFP takes keys from the stack only.
# expect: R-CALL-2 @8 map_lookup: unsupported ptr type
	.bpf_map	flows, hash, 4, 8, 1024
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 0)
	w3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 34
	if r4 > r3 goto out
	r2 += 26
	r1 = flows ll
	call 1
out:
	w0 = 2
	exit
