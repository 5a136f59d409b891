# XDP program that writes tag 1 (the 8 bytes at offset 50) into every frame long enough to hold
# it, without looking for the magic: the foreign traffic of `verify --foreign` must catch it
# (near-miss, short, IPv6 and other-EtherType frames come back modified). Always passes.
	.text
	.section	xdp,"ax",@progbits
	.globl	xdp_tag_all
	.p2align	3
	.type	xdp_tag_all,@function
xdp_tag_all:
	w2 = *(u32 *)(r1 + 0)		# data
	w3 = *(u32 *)(r1 + 4)		# data_end
	r4 = r2
	r4 += 58
	if r4 > r3 goto LBB0_2
# %bb.1:
	r5 = 1
	*(u64 *)(r2 + 50) = r5
LBB0_2:
	w0 = 2				# XDP_PASS
	exit
.Lfunc_end0:
	.size	xdp_tag_all, .Lfunc_end0-xdp_tag_all

	.section	license,"aw",@progbits
	.asciz	"GPL"
