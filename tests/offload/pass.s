# Offload test program: XDP_PASS and nothing else. Used where the program does not matter:
# loaded with bpftool with and without a device binding to provoke the kernel's refusals.
	.section	xdp,"ax",@progbits
	.globl	xdp_offload_pass
	.type	xdp_offload_pass,@function
xdp_offload_pass:
	w0 = 2				# XDP_PASS
	exit
.Lfunc_end0:
	.size	xdp_offload_pass, .Lfunc_end0-xdp_offload_pass

	.section	license,"aw",@progbits
	.globl	_license
_license:
	.asciz	"GPL"
