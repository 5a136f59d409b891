# cpu v4 movsx (MOV with off = 8): the table ignores off and translates a plain move.
# expect: R-OP-3 @1 movsx (MOV with off = 8) is translated as a plain move
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	r2 = 200
	.byte	0xbf, 0x21, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00
	w0 = 2
	exit
