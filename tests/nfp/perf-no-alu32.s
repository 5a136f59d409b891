# Only 64-bit ALU instructions: twice the NFP instructions of alu32 code (a warning).
# expect: R-PERF-1 no 32-bit ALU instructions
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	r1 = 1
	r1 += 2
	r1 += 3
	r1 |= 4
	r1 &= 7
	r1 ^= 1
	r1 <<= 1
	r1 >>= 1
	r1 -= 1
	r0 = 2
	exit
