# The last instruction is not an exit: execution falls off the end.
# expect: R-CFG-1 @1 execution falls off the end of function 'prog'
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w0 = 2
	w0 += 1
