# Only XDP and SCHED_CLS programs can be offloaded.
# expect: R-TYPE-1 section 'kprobe/do_sys_open' makes this a kprobe/do_sys_open
	.section	kprobe/do_sys_open,"ax",@progbits
	.globl	probe
probe:
	r0 = 0
	exit
