# 72 stack bytes round up to a 128-byte NFP frame, more than a 64-byte FW stack.
# args: --nfp-stack 64
# expect: R-STK-3 stack too large: program 128B > FW stack 64B
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w1 = 0
	*(u64 *)(r10 - 72) = r1
	w0 = 2
	exit
