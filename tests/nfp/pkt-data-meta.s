# data_meta does not exist on the NFP.
# expect: R-PKT-2 @0 context load of data_meta
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 8)
	w0 = 2
	exit
