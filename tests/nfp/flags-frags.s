# SEC("xdp.frags") loads with BPF_F_XDP_HAS_FRAGS, which offload refuses.
# expect: R-FLAGS-1 BPF_F_XDP_HAS_FRAGS
	.section	xdp.frags,"ax",@progbits
	.globl	prog
prog:
	w0 = 2
	exit
