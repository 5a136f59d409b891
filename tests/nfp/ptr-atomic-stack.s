# Atomic add works on map values only on the NFP.
# expect: R-PTR-1 @3 atomic add not to a map value pointer
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = 1
	lock *(u64 *)(r10 - 8) += r1
	w0 = 2
	exit
