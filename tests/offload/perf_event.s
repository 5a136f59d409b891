# Offload test program: reports each frame (the value 1) through bpf_perf_event_output (helper 25,
# which the NFP supports) into a perf event array. The kernel keeps perf event arrays on the
# host for offloaded programs (it cannot offload them), so `xdpml load --mode hw` must leave
# this map unbound while it offloads the program.
	.bpf_map	events, perf_event_array, 4, 4, 2

	.section	xdp,"ax",@progbits
	.globl	xdp_offload_events
	.type	xdp_offload_events,@function
xdp_offload_events:
	w2 = 1				# event: one frame seen
	*(u32 *)(r10 - 4) = w2
	r2 = events ll
	r3 = 4294967295 ll		# BPF_F_CURRENT_CPU
	r4 = r10
	r4 += -4
	w5 = 4
	call 25				# bpf_perf_event_output(ctx, &events, flags, &one, 4)
	w0 = 2				# XDP_PASS
	exit
.Lfunc_end0:
	.size	xdp_offload_events, .Lfunc_end0-xdp_offload_events

	.section	license,"aw",@progbits
	.globl	_license
_license:
	.asciz	"GPL"
