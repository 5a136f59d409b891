# No tail calls on the NFP (and no prog arrays).
# expect: R-CALL-1 @3 unsupported function id: 12
# expect: R-MAP-2 a prog_array map cannot be offloaded
	.bpf_map	jumps, prog_array, 4, 4, 4
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	r2 = jumps ll
	w3 = 0
	call 12
	w0 = 2
	exit
