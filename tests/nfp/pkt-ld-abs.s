# LD_ABS is for socket filters / TC; the kernel refuses it in XDP.
# expect: R-PKT-2 @1 LD_ABS/LD_IND are not allowed in XDP
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	r6 = r1
	r0 = *(u16 *)skb[12]
	w0 = 2
	exit
