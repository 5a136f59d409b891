# A TC classifier: R0 is a known constant on every path (TC_ACT_SHOT or TC_ACT_UNSPEC),
# even where paths join before the exit.
# expect: clean
	.section	tc,"ax",@progbits
	.globl	cls
cls:
	w2 = *(u32 *)(r1 + 0)
	r0 = -1
	if w2 > 1500 goto out
	r0 = 2
out:
	exit
