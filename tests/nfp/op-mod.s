# No modulo on the NFP.
# expect: R-OP-3 @1 instruction 0x97 not supported: the NFP has no modulo
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	r1 = 100
	r1 %= 7
	w0 = 2
	exit
