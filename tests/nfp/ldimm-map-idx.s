# fd_array style map reference (BPF_PSEUDO_MAP_IDX) is not rewritten by the NFP driver.
# expect: R-LDIMM-1 @0 BPF_PSEUDO_MAP_IDX (5)
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	r1 = map_idx(0) ll
	w0 = 2
	exit
