# 8-bit atomics are not in the JIT table.
# expect: R-OP-4 @9 instruction 0xd3 not supported: 8- and 16-bit atomics
	.bpf_map	counters, array, 4, 8, 1
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w1 = 0
	*(u32 *)(r10 - 4) = w1
	r2 = r10
	r2 += -4
	r1 = counters ll
	call 1
	if r0 == 0 goto out
	w1 = 1
	.byte	0xd3, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
out:
	w0 = 2
	exit
