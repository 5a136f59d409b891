# A bounded loop: allowed by the NFP, but flagged (ranges are unioned over iterations).
# expect: R-LOOP-1 @2 back edge to insn 1
	.section	xdp,"ax",@progbits
	.globl	prog
prog:
	w1 = 0
loop:
	w1 += 1
	if w1 < 4 goto loop
	w0 = 2
	exit
