# kfunc calls (src_reg = BPF_PSEUDO_KFUNC_CALL) reach the hook with a BTF id.
# expect: R-CALL-1 @0 unsupported function id: 1234 (kfunc
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	.byte	0x85, 0x20, 0x00, 0x00, 0xd2, 0x04, 0x00, 0x00
	w0 = 2
	exit
