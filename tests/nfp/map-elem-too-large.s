# key 16 + value 64 bytes per entry exceed the FW's 64-byte element limit.
# expect: R-MAP-1 map elements too large
	.bpf_map	big, hash, 16, 64, 1024
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	r1 = big ll
	w0 = 2
	exit
