# Code after the exit that nothing jumps to.
# expect: R-DEAD-1 @2 2 unreachable instructions (insn 2..3)
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w0 = 2
	exit
	w0 = 1
	exit
