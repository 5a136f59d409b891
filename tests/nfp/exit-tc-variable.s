# A TC exit code that is not a known constant.
# expect: R-EXIT-1 @2 unsupported exit state: scalar, var_off
	.section	tc,"ax",@progbits
	.globl	cls
cls:
	w0 = *(u32 *)(r1 + 0)
	w0 &= 1
	exit
