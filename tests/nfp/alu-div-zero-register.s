# Division by a register that is always zero: the kernel defines it as 0, the NFP JIT
# computes a reciprocal of 0.
# expect: R-ALU-6 @2 division by a register that is always 0
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w1 = 100
	w2 = 0
	w1 /= w2
	w0 = 2
	exit
