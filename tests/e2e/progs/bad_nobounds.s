# XDP program the verifier must reject: it reads the packet (ethertype at
# data + 12) without first checking the access against data_end.
	.text
	.section	xdp,"ax",@progbits
	.globl	xdp_no_bounds_check
	.p2align	3
	.type	xdp_no_bounds_check,@function
xdp_no_bounds_check:
	r2 = *(u32 *)(r1 + 0)		# data
	r0 = *(u16 *)(r2 + 12)		# out-of-bounds read: no data_end check
	w0 = 2
	exit
.Lfunc_end0:
	.size	xdp_no_bounds_check, .Lfunc_end0-xdp_no_bounds_check

	.section	license,"aw",@progbits
	.asciz	"GPL"
