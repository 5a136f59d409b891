# TC_ACT_OK (0) is rejected by the NFP: "unsupported exit state".
# expect: R-EXIT-1 @1 unsupported exit state: 1, imm: 0
	.section	tc,"ax",@progbits
	.globl	cls
cls:
	r0 = 0
	exit
