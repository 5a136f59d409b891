# r10 as an ALU source: the NFP has no register pair for the frame pointer.
# expect: R-REG-2 @1 r10 used as the source of a 64-bit ADD_rr
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	r1 = -8
	r1 += r10
	w2 = 0
	*(u32 *)(r1 + 0) = w2
	w0 = 2
	exit
