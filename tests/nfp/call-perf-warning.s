# A correct perf_event_output still warns: on the NFP it always returns 0, events may be
# lost or reordered. Warnings alone pass.
# expect: R-CALL-4 @11 return codes and behavior of event_output helper differ for offload
	.bpf_map	events, perf_event_array, 4, 4, 64
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w1 = 0
	*(u32 *)(r10 - 4) = w1
	r6 = r1
	r2 = events ll
	r3 = 4294967295 ll
	r4 = r10
	r4 += -4
	w5 = 4
	r1 = r6
	call 25
	w0 = 2
	exit
