# cpu v4 sdiv (DIV with off = 1) would be translated as unsigned division.
# expect: R-OP-3 @1 sdiv (DIV with off = 1) is translated as unsigned reciprocal division
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w1 = 100
	.byte	0x34, 0x01, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00
	w0 = 2
	exit
