# bpf_loop and callbacks: the callback address (BPF_PSEUDO_FUNC) and the helper.
# expect: R-CALL-5 @1 callback 'cb'
# expect: R-CALL-5 @5 unsupported function id: 181
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w1 = 4
	r2 = cb ll
	w3 = 0
	w4 = 0
	call 181
	w0 = 2
	exit
	.text
cb:
	w0 = 0
	exit
