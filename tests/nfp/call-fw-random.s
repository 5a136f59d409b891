# get_prandom_u32 needs the FW RANDOM capability, absent from the default profile.
# expect: R-CALL-1 @0 FW doesn't support random number generation
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	call 7
	w0 &= 3
	exit
