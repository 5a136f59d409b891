# The same program passes when the profile lists helper 7.
# args: --nfp-helpers 1,2,3,7,25
# expect: clean
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	call 7
	w0 &= 3
	exit
