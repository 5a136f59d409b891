# r11 exists only after constant blinding (JIT hardening).
# expect: R-REG-1 @0 program uses extended registers - jit hardening?
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	.byte	0xb7, 0x0b, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00
	w0 = 2
	exit
