# A section name that says nothing about the type: checked as XDP, with a warning.
# expect: R-TYPE-1 the program type cannot be told from section 'mysection'
	.section	mysection,"ax",@progbits
	.globl	prog
prog:
	w0 = 2
	exit
