# An opcode the NFP JIT has no callback for (callx, 0x8d).
# expect: R-OP-1 @1 instruction 0x8d not supported
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	r1 = 0
	.byte	0x8d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
	w0 = 2
	exit
