# Per-CPU maps cannot be offloaded.
# expect: R-MAP-2 a percpu_array map cannot be offloaded
	.bpf_map	stats, percpu_array, 4, 8, 4
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	r1 = stats ll
	w0 = 2
	exit
