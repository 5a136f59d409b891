# XDP program: drop IPv4/UDP frames to destination port 7777, pass all others.
# Hand-written LLVM-syntax BPF assembly. Deliberately has no .type/.size
# directives: the assembler must still give libbpf an STT_FUNC symbol with a
# non-zero size (libbpf 1.1 rejects size 0 as "corrupted program").
#
# xdp_md: data at offset 0 (u32), data_end at offset 4 (u32).
# Loads are little-endian, so network-order constants appear byte-swapped:
#   ethertype 0x0800 -> 0x0008, port 7777 (0x1e61) -> 0x611e,
#   fragment-offset mask 0x1fff -> 0xff1f.
	.text
	.section	xdp,"ax",@progbits
	.globl	xdp_drop_7777
	.p2align	3
xdp_drop_7777:
	r2 = *(u32 *)(r1 + 0)		# r2 = data
	r3 = *(u32 *)(r1 + 4)		# r3 = data_end
	w0 = 2				# XDP_PASS unless proven otherwise
	r4 = r2
	r4 += 34			# Ethernet (14) + minimal IPv4 header (20)
	if r4 > r3 goto .Lout
	r4 = *(u16 *)(r2 + 12)		# ethertype
	if r4 != 8 goto .Lout		# not IPv4
	r4 = *(u8 *)(r2 + 23)		# IPv4 protocol
	if r4 != 17 goto .Lout		# not UDP
	r4 = *(u16 *)(r2 + 20)		# flags + fragment offset
	r4 &= 65311			# 0xff1f: fragment offset bits
	if r4 != 0 goto .Lout		# non-first fragment: no UDP header
	r4 = *(u8 *)(r2 + 14)		# version + IHL
	r5 = r4
	r5 &= 240
	if r5 != 64 goto .Lout		# version != 4
	r4 &= 15
	r4 <<= 2			# IHL in bytes, 0..60
	if r4 < 20 goto .Lout		# malformed
	r2 += 14
	r2 += r4			# r2 = UDP header
	r5 = r2
	r5 += 8
	if r5 > r3 goto .Lout		# UDP header must be in bounds
	r4 = *(u16 *)(r2 + 2)		# UDP destination port
	if r4 != 24862 goto .Lout	# 0x611e: port 7777 in network order
	w0 = 1				# XDP_DROP
.Lout:
	exit

	.section	license,"aw",@progbits
	.asciz	"GPL"
