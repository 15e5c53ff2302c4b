#include "textflag.h"

#define MAX_FRAME_BYTES (256 << 10)

// func Callers(pcs []uintptr) (n int, ok bool)
//
// No frame of its own ($0), so BP on entry is the frame pointer of the
// function that called it. At each frame, 8(BP) is the return address into
// the caller and 0(BP) the caller's frame pointer. Stops with ok at a saved
// frame pointer of 0 (the goroutine's first frame) or when pcs is full;
// stops without ok when the next frame pointer is not above the current
// one by at most MAX_FRAME_BYTES (maxFrameBytes in fpstack.go). Assembly
// runs without preemption or stack growth: the stack cannot move while it
// is read.
TEXT ·Callers(SB), NOSPLIT, $0-33
	MOVQ	pcs_base+0(FP), DI
	MOVQ	pcs_len+8(FP), CX
	MOVQ	BP, SI
	XORQ	AX, AX
	TESTQ	SI, SI
	JZ	bad
loop:
	CMPQ	AX, CX
	JGE	good
	MOVQ	8(SI), DX
	TESTQ	DX, DX
	JZ	bad
	MOVQ	DX, (DI)(AX*8)
	INCQ	AX
	MOVQ	0(SI), DX
	TESTQ	DX, DX
	JZ	good
	CMPQ	DX, SI
	JLS	bad
	MOVQ	DX, R8
	SUBQ	SI, R8
	CMPQ	R8, $MAX_FRAME_BYTES
	JHI	bad
	MOVQ	DX, SI
	JMP	loop
good:
	MOVQ	AX, n+24(FP)
	MOVB	$1, ok+32(FP)
	RET
bad:
	MOVQ	AX, n+24(FP)
	MOVB	$0, ok+32(FP)
	RET
