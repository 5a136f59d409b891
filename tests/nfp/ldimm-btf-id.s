# A ksym (BTF id) load.
# expect: R-LDIMM-1 @0 LD_IMM64 of a BTF id
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	r1 = btf_id(42) ll
	w0 = 2
	exit
