# DIV by a negative immediate (LLVM never emits it; assembly can).
# expect: R-ALU-2 @1 divide by negative constant is not supported
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w1 = 100
	w1 /= -4
	w0 = 2
	exit
