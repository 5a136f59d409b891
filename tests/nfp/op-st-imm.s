# BPF_ST (store immediate): the NFP hook records no pointer type for class ST.
# expect: R-OP-2 @0 BPF_ST (store immediate) is never translated
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	*(u32 *)(r10 - 4) = 5
	w0 = 2
	exit
