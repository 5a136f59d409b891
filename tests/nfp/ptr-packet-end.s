# Dereferencing data_end: not a pointer kind the NFP accepts (the kernel refuses too).
# expect: R-PTR-1 @1 unsupported ptr type: r3 is a packet_end pointer
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w3 = *(u32 *)(r1 + 4)
	w4 = *(u8 *)(r3 + 0)
	w0 = 2
	exit
