# BPF_END to_le (0xd4) has no JIT callback; only to_be (0xdc) is translated.
# expect: R-OP-3 @1 instruction 0xd4 not supported: BPF_END to_le
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	r1 = 100
	r1 = le16 r1
	w0 = 2
	exit
