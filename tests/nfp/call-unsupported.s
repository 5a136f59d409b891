# ktime_get_ns is not implemented by the NFP.
# expect: R-CALL-1 @0 unsupported function id: 5
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	call 5
	w0 = 2
	exit
