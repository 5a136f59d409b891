# Global data: a .data variable becomes an internal map with direct value access.
# expect: R-MAP-2 @0 global data: 'threshold' lives in section '.data'
# expect: R-MAP-2 global data section '.data'
# expect: R-PTR-1 @2 unsupported ptr type: r1 is a global data
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	r1 = threshold ll
	w2 = *(u32 *)(r1 + 0)
	w0 = 2
	exit
	.data
	.globl	threshold
threshold:
	.long	100
