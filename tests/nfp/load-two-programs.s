# Two programs in one object: HW mode runs one per vNIC.
# expect: R-LOAD-1 the object has 2 programs
	.section	xdp,"ax",@progbits
	.globl	first
first:
	w0 = 2
	exit
	.section	xdp/second,"ax",@progbits
	.globl	second
second:
	w0 = 1
	exit
