# The 2019 report's v1 ANOVA program (host-integerized samples, magic-only match), written by
# hand in LLVM syntax the way the report's authors did, so that `xdpml verify --reference
# osh-int` can be shown to check the report's own algorithm:
#   mean = (sum A) >> 3; var = (sum A^2) >> 3; var -= mean*mean   (all u64, wrapping)
#   tot = #{x in B : x >= mean + 1638 || mean >= x + 1638}
#   split iff tot * 2684191 > var << 3
# Packet: frame offset 42 magic (u64), 50 tag (u64, must be 0), 58 sixteen u32 samples.
	.text
	.section	xdp,"ax",@progbits
	.globl	osh_anova_v1
osh_anova_v1:
	r2 = *(u32 *)(r1 + 0)		# data
	r3 = *(u32 *)(r1 + 4)		# data_end
	w0 = 2				# XDP_PASS on every path
	r4 = r2
	r4 += 122			# 42 + 16 + 16 * 4
	if r4 > r3 goto .Lpass
	r4 = *(u64 *)(r2 + 42)
	r5 = 0x216C7174786A7A21 ll
	if r4 != r5 goto .Lpass
	r4 = *(u64 *)(r2 + 50)
	if r4 != 0 goto .Lpass
	# window A: r3 = sum, r4 = sum of squares
	w3 = *(u32 *)(r2 + 58)
	r4 = r3
	r4 *= r3
	w5 = *(u32 *)(r2 + 62)
	r3 += r5
	r5 *= r5
	r4 += r5
	w5 = *(u32 *)(r2 + 66)
	r3 += r5
	r5 *= r5
	r4 += r5
	w5 = *(u32 *)(r2 + 70)
	r3 += r5
	r5 *= r5
	r4 += r5
	w5 = *(u32 *)(r2 + 74)
	r3 += r5
	r5 *= r5
	r4 += r5
	w5 = *(u32 *)(r2 + 78)
	r3 += r5
	r5 *= r5
	r4 += r5
	w5 = *(u32 *)(r2 + 82)
	r3 += r5
	r5 *= r5
	r4 += r5
	w5 = *(u32 *)(r2 + 86)
	r3 += r5
	r5 *= r5
	r4 += r5
	r3 >>= 3			# mean
	r4 >>= 3
	r5 = r3
	r5 *= r3
	r4 -= r5			# var
	r4 <<= 3			# var << 3, for the final comparison
	r5 = r3
	r5 += 1638			# x >= mean + e
	r6 = r3
	r6 += -1638			# mean >= x + e  <=>  x <= mean - e (signed: mean may be < e)
	w7 = 0				# tot
	w8 = *(u32 *)(r2 + 90)
	if r8 >= r5 goto .Lo8
	if r8 s> r6 goto .Ln8
.Lo8:
	w7 += 1
.Ln8:
	w8 = *(u32 *)(r2 + 94)
	if r8 >= r5 goto .Lo9
	if r8 s> r6 goto .Ln9
.Lo9:
	w7 += 1
.Ln9:
	w8 = *(u32 *)(r2 + 98)
	if r8 >= r5 goto .Lo10
	if r8 s> r6 goto .Ln10
.Lo10:
	w7 += 1
.Ln10:
	w8 = *(u32 *)(r2 + 102)
	if r8 >= r5 goto .Lo11
	if r8 s> r6 goto .Ln11
.Lo11:
	w7 += 1
.Ln11:
	w8 = *(u32 *)(r2 + 106)
	if r8 >= r5 goto .Lo12
	if r8 s> r6 goto .Ln12
.Lo12:
	w7 += 1
.Ln12:
	w8 = *(u32 *)(r2 + 110)
	if r8 >= r5 goto .Lo13
	if r8 s> r6 goto .Ln13
.Lo13:
	w7 += 1
.Ln13:
	w8 = *(u32 *)(r2 + 114)
	if r8 >= r5 goto .Lo14
	if r8 s> r6 goto .Ln14
.Lo14:
	w7 += 1
.Ln14:
	w8 = *(u32 *)(r2 + 118)
	if r8 >= r5 goto .Lo15
	if r8 s> r6 goto .Ln15
.Lo15:
	w7 += 1
.Ln15:
	w7 *= 2684191
	if r7 > r4 goto .Lsplit
	*(u8 *)(r2 + 50) = 2
	exit
.Lsplit:
	*(u8 *)(r2 + 50) = 1
.Lpass:
	exit

	.section	license,"aw",@progbits
	.asciz	"GPL"
