# Map flags (here BPF_F_NO_PREALLOC) are refused by the NFP driver.
# expect: R-MAP-1 map flags are not supported
	.bpf_map	flows, hash, 4, 8, 1024, 1
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	r1 = flows ll
	w0 = 2
	exit
