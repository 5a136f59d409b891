# Bounds-checked packet parsing: read the EtherType and an IPv4 byte, swap a byte in place,
# and return XDP_TX or XDP_PASS from joined paths (R0 in {2, 3}).
# expect: clean
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 0)
	w3 = *(u32 *)(r1 + 4)
	w0 = 2
	r4 = r2
	r4 += 34
	if r4 > r3 goto out
	w5 = *(u16 *)(r2 + 12)
	if w5 != 8 goto out
	w6 = *(u8 *)(r2 + 23)
	if w6 != 17 goto out
	w7 = *(u8 *)(r2 + 22)
	w7 += 255
	w7 &= 255
	*(u8 *)(r2 + 22) = w7
	w0 = 3
out:
	exit
