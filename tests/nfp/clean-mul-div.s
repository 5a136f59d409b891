# MUL and DIV the NFP can do: operands the kernel verifier can bound below 2^32 (alu32
# results, masks, compares with constants) and division by constants.
# expect: clean
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w2 = *(u32 *)(r1 + 0)
	w3 = *(u32 *)(r1 + 4)
	w0 = 2
	r4 = r2
	r4 += 8
	if r4 > r3 goto out
	w5 = *(u32 *)(r2 + 0)
	w6 = *(u16 *)(r2 + 4)
	w5 *= 7
	w6 *= w6
	r5 /= 10
	w5 = w5
	w7 = 3
	w5 /= w7
	r8 = *(u64 *)(r2 + 0)
	r8 &= 65535
	r8 *= 1000
	r9 = r5
	if r9 > 100000 goto out
	r9 *= r9
out:
	exit
