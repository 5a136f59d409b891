# Without the FW split point the packet reach is only reported (a warning).
# args: --nfp-stack 512
# expect: R-PKT-1 @6 the program accesses the packet up to byte offset 203
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 0)
	w3 = *(u32 *)(r1 + 4)
	w0 = 2
	r4 = r2
	r4 += 204
	if r4 > r3 goto out
	w5 = *(u32 *)(r2 + 200)
out:
	exit
