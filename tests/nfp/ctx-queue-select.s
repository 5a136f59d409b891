# Writing rx_queue_index needs the FW QUEUE_SELECT capability.
# expect: R-CTX-1 @1 queue selection not supported by FW
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = 1
	*(u32 *)(r1 + 16) = w2
	w0 = 2
	exit
