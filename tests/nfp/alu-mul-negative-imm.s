# ALU64 MUL by a negative constant: the immediate is sign-extended to 64 bits.
# expect: R-ALU-1 @1 sign extended multiplicand won't be within u32 value range
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w1 = 10
	r1 *= -3
	w0 = 2
	exit
