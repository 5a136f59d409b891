# perf_event_output must use BPF_F_CURRENT_CPU as its flags.
# expect: R-CALL-3 @10 event_output: must use BPF_F_CURRENT_CPU
# expect: R-CALL-4 @10 return codes and behavior of event_output helper differ for offload
	.bpf_map	events, perf_event_array, 4, 4, 64
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w1 = 0
	*(u32 *)(r10 - 4) = w1
	r6 = r1
	r2 = events ll
	r3 = 0
	r4 = r10
	r4 += -4
	w5 = 4
	r1 = r6
	call 25
	w0 = 2
	exit
