# A packet pointer spilled to the stack and reloaded keeps its kind; a bounded scalar
# spilled and refilled keeps its range (so the multiply is accepted).
# expect: clean
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 0)
	w3 = *(u32 *)(r1 + 4)
	w0 = 2
	r4 = r2
	r4 += 16
	if r4 > r3 goto out
	*(u64 *)(r10 - 8) = r2
	w6 = *(u16 *)(r2 + 0)
	*(u64 *)(r10 - 16) = r6
	r7 = *(u64 *)(r10 - 8)
	w8 = *(u32 *)(r7 + 4)
	r9 = *(u64 *)(r10 - 16)
	r9 *= r9
	w0 = 3
out:
	exit
