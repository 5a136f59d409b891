# A stack key whose offset is not a constant.
# expect: R-CALL-2 @13 map_lookup: variable pointer
	.bpf_map	flows, hash, 4, 8, 1024
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 0)
	w3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 1
	if r4 > r3 goto out
	w5 = *(u8 *)(r2 + 0)
	w5 &= 4
	r6 = r10
	r6 += -16
	r6 += r5
	r2 = r6
	r1 = flows ll
	call 1
out:
	w0 = 2
	exit
