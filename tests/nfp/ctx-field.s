# Reading xdp_md.ingress_ifindex: the NFP JIT translates only data and data_end.
# expect: R-CTX-1 @0 context load at offset 12 size 4 is not translated
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 12)
	w0 = 2
	exit
