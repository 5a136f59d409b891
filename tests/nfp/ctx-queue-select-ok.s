# ... and passes with it.
# args: --nfp-queue-select
# expect: clean
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = 1
	*(u32 *)(r1 + 16) = w2
	w0 = 2
	exit
