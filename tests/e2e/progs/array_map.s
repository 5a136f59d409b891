# XDP program: count frames per IPv4 protocol in an array map, always pass.
#   counters[0] = not IPv4 / too short / other protocol
#   counters[1] = ICMP (1), counters[2] = TCP (6), counters[3] = UDP (17)
# Hand-written LLVM-syntax BPF assembly, same shape as clang output, except
# that the map is declared with xdpml's .bpf_map extension directive
# (NAME, TYPE, KEY_SIZE, VALUE_SIZE, MAX_ENTRIES), which emits a BTF-defined
# map in .maps; "r1 = counters ll" gets an R_BPF_64_64 relocation.
	.bpf_map counters, array, 4, 8, 4

	.text
	.section	xdp,"ax",@progbits
	.globl	xdp_count_proto
	.p2align	3
	.type	xdp_count_proto,@function
xdp_count_proto:
	w2 = *(u32 *)(r1 + 0)		# data
	w3 = *(u32 *)(r1 + 4)		# data_end
	w6 = 0				# key: other
	r4 = r2
	r4 += 34			# Ethernet (14) + minimal IPv4 header (20)
	if r4 > r3 goto LBB0_5
# %bb.1:
	r4 = *(u16 *)(r2 + 12)		# ethertype
	if r4 != 8 goto LBB0_5		# 0x0800 loaded little-endian
# %bb.2:
	w4 = *(u8 *)(r2 + 23)		# IPv4 protocol
	w6 = 1
	if w4 == 1 goto LBB0_5		# ICMP
# %bb.3:
	w6 = 2
	if w4 == 6 goto LBB0_5		# TCP
# %bb.4:
	w6 = 3
	if w4 == 17 goto LBB0_5		# UDP
	w6 = 0
LBB0_5:
	*(u32 *)(r10 - 4) = w6		# key on the stack
	r2 = r10
	r2 += -4
	r1 = counters ll
	call 1				# bpf_map_lookup_elem
	if r0 == 0 goto LBB0_7
# %bb.6:
	r1 = 1
	lock *(u64 *)(r0 + 0) += r1
LBB0_7:
	w0 = 2				# XDP_PASS
	exit
.Lfunc_end0:
	.size	xdp_count_proto, .Lfunc_end0-xdp_count_proto

	.section	license,"aw",@progbits
	.globl	_license
_license:
	.asciz	"GPL"
