# A map value indexed with a variable offset (a packet byte).
# expect: R-PTR-3 @16 map value offset is variable (in [0, 60])
	.bpf_map	table, array, 4, 56, 1
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 0)
	w3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 1
	if r4 > r3 goto out
	w6 = *(u8 *)(r2 + 0)
	w1 = 0
	*(u32 *)(r10 - 4) = w1
	r2 = r10
	r2 += -4
	r1 = table ll
	call 1
	if r0 == 0 goto out
	w6 &= 60
	r0 += r6
	w1 = *(u32 *)(r0 + 0)
out:
	w0 = 2
	exit
