# A packet read at offset 200 with a FW split point of 160 bytes.
# args: --nfp-inl-mtu 160
# expect: R-PKT-1 @6 BPF offload not supported with potential packet access beyond HW packet split boundary
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
