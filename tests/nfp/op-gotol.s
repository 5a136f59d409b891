# cpu v4 JMP32 JA (gotol) is not in the JIT table.
# expect: R-OP-3 @1 instruction 0x6 not supported: JMP32 JA
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w0 = 2
	.byte	0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
	exit
