# The smallest offloadable program: return XDP_PASS.
# expect: clean
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w0 = 2
	exit
