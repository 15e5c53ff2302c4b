/* Byte offsets that the assembly guard entry (guard_call_x86_64.S) uses to
 * reach the thread state, the guard list and its own frame. Plain #defines
 * so that the assembler can read them; guard.cc checks each against the C++
 * definitions with static_assert, so a change of layout fails the build
 * instead of corrupting memory. Not installed. */
#ifndef CGOGUARD_CSHIM_GUARD_CALL_LAYOUT_H_
#define CGOGUARD_CSHIM_GUARD_CALL_LAYOUT_H_

/* ThreadState (internal.h). */
#define CGG_TS_DEPTH 0
#define CGG_TS_READY 4
#define CGG_TS_EXTRA 8

/* ThreadExtra (internal.h): guards[] first, one GuardEntry of
 * 1 << CGG_ENTRY_SHIFT bytes each, then the cookie counter. */
#define CGG_ENTRY_SHIFT 5
#define CGG_ENTRY_FRAME 0
#define CGG_ENTRY_OWNER_FP 8
#define CGG_ENTRY_OWNER_PC 16
#define CGG_ENTRY_COOKIE 24
#define CGG_EXTRA_NEXT_COOKIE 2048 /* CGG_MAX_GUARD_DEPTH << CGG_ENTRY_SHIFT */
#define CGG_MAX_GUARD_DEPTH_ASM 64 /* CGG_MAX_GUARD_DEPTH (cgoguard.h) */

/* cgg_guard_frame (cgoguard.h). jb[] holds what __builtin_setjmp would
 * store, so that the landing pad's __builtin_longjmp resumes the entry:
 * frame pointer, resume address, stack pointer. */
#define CGG_GUARD_JB_FP 0
#define CGG_GUARD_JB_RESUME 8
#define CGG_GUARD_JB_SP 16
#define CGG_GUARD_OUT 40
#define CGG_GUARD_COOKIE 48
#define CGG_GUARD_SIGNO 56 /* signo and index, one 8-byte store */
#define CGG_GUARD_INDEX 60
#define CGG_GUARD_SIZE 64

/* The entry's frame, relative to its frame pointer: five callee-saved
 * registers below the saved frame pointer, then the guard record, then the
 * ThrowCapture its personality routine fills (8 + 8 * CGG_MAX_FRAMES
 * bytes). The stack pointer at the call is the capture's address, 16-byte
 * aligned (the frame pointer is: it sits one push below a call's return
 * address). */
#define CGG_ENTRY_GUARD_AT (-40 - CGG_GUARD_SIZE)
#define CGG_THROW_CAPTURE_SIZE 520
#define CGG_ENTRY_CAPTURE_AT (CGG_ENTRY_GUARD_AT - CGG_THROW_CAPTURE_SIZE)

#endif /* CGOGUARD_CSHIM_GUARD_CALL_LAYOUT_H_ */
