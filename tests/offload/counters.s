# Offload test program: counts frames in an array map that is offloaded with the program.
#   counters[0] = frames that are not IPv4 (or too short), counters[1] = IPv4 frames
# Two entries because netdevsim offloads maps of at most 2 entries (NSIM_BPF_MAX_KEYS).
# Within the NFP rules (`xdpml check --target nfp` passes): key on the stack at a constant
# offset, null check, atomic add into the map value, XDP_PASS.
	.bpf_map	counters, array, 4, 8, 2

	.section	xdp,"ax",@progbits
	.globl	xdp_offload_count
	.p2align	3
	.type	xdp_offload_count,@function
xdp_offload_count:
	w2 = *(u32 *)(r1 + 0)		# data
	w3 = *(u32 *)(r1 + 4)		# data_end
	w5 = 0				# key: not IPv4
	r4 = r2
	r4 += 14			# Ethernet header
	if r4 > r3 goto .Lcount
	w4 = *(u16 *)(r2 + 12)		# ethertype, loaded little-endian
	if w4 != 8 goto .Lcount		# 0x0800
	w5 = 1				# key: IPv4
.Lcount:
	*(u32 *)(r10 - 4) = w5
	r2 = r10
	r2 += -4
	r1 = counters ll
	call 1				# bpf_map_lookup_elem
	if r0 == 0 goto .Lpass
	r1 = 1
	lock *(u64 *)(r0 + 0) += r1
.Lpass:
	w0 = 2				# XDP_PASS
	exit
.Lfunc_end0:
	.size	xdp_offload_count, .Lfunc_end0-xdp_offload_count

	.section	license,"aw",@progbits
	.globl	_license
_license:
	.asciz	"GPL"
