# Offload test program: the counters program's shape with a 4-entry map. netdevsim offloads
# maps of at most 2 entries (NSIM_BPF_MAX_KEYS) and refuses this one with ENOMEM;
# `xdpml load --mode hw` must name the map it could not offload.
	.bpf_map	big, array, 4, 8, 4

	.section	xdp,"ax",@progbits
	.globl	xdp_offload_big
	.type	xdp_offload_big,@function
xdp_offload_big:
	w1 = 3
	*(u32 *)(r10 - 4) = w1
	r2 = r10
	r2 += -4
	r1 = big ll
	call 1				# bpf_map_lookup_elem
	if r0 == 0 goto .Lpass
	r1 = 1
	lock *(u64 *)(r0 + 0) += r1
.Lpass:
	w0 = 2				# XDP_PASS
	exit
.Lfunc_end0:
	.size	xdp_offload_big, .Lfunc_end0-xdp_offload_big

	.section	license,"aw",@progbits
	.globl	_license
_license:
	.asciz	"GPL"
