# A static bpf-to-bpf call: the callee gets its own frame; results come back in r0.
# expect: clean
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w1 = 40
	w2 = 2
	call add
	if w0 > 42 goto drop
	w0 = 2
	exit
drop:
	w0 = 1
	exit
add:
	w0 = w1
	w0 += w2
	w3 = 0
	*(u32 *)(r10 - 4) = w3
	w3 = *(u32 *)(r10 - 4)
	w0 += w3
	exit
