# A tiny NFP instruction budget: the estimate (with the ~23 fixed instructions) exceeds it.
# args: --nfp-max-insns 20
# expect: R-SIZE-1 program too long
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w0 = 2
	exit
