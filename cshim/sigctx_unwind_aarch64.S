/*
 * SIGNAL CONTEXT. cgg_backtrace_from_context(const ucontext_t* uc,
 *                                            _Unwind_Trace_Fn fn, void* arg)
 *
 * The arm64 twin of sigctx_unwind_x86_64.S: runs _Unwind_Backtrace(fn, arg)
 * from a frame whose unwind information says "my caller is the context saved
 * in *uc", so the walk goes straight from this frame to the interrupted
 * instruction instead of through the handler's own frames and the kernel's
 * signal trampoline (each frame the unwinder steps costs time on every
 * contained fault).
 *
 * The CFI below says what libgcc's arm64 signal-frame fallback
 * (linux-unwind.h) says about the kernel's rt_sigframe, expressed relative to
 * x19 (which holds uc): the CFA is the interrupted sp, x0-x30 are read from
 * uc->uc_mcontext.regs, the interrupted pc lives in DWARF column 96 (the
 * alternate return-address column libgcc uses for signal frames, since x30
 * holds the interrupted code's own link register), and the frame is a signal
 * frame (the pc is exact, not a return address). Touches only registers and
 * this stack; async-signal-safe.
 *
 * ucontext_t layout (arm64 Linux, glibc): uc_mcontext.regs[0..30] at offset
 * 184, 8 bytes each; uc_mcontext.sp at 432; uc_mcontext.pc at 440
 * (sigctx_capture.cc checks them with static_assert).
 */
#if defined(__aarch64__) && defined(__linux__)

  .text
  .p2align 2
  .globl cgg_backtrace_from_context
  .hidden cgg_backtrace_from_context
  .type cgg_backtrace_from_context, %function
cgg_backtrace_from_context:
  .cfi_startproc
  stp x29, x30, [sp, #-32]!
  .cfi_def_cfa_offset 32
  .cfi_offset 29, -32
  .cfi_offset 30, -24
  mov x29, sp
  str x19, [sp, #16]
  .cfi_offset 19, -16
  mov x19, x0
  /* From here on the caller is described by *uc (held in x19). */
  .cfi_signal_frame
  .cfi_return_column 96
  /* DW_CFA_def_cfa_expression: CFA = *(x19 + 432)   (uc_mcontext.sp) */
  .cfi_escape 0x0f, 0x04, 0x83, 0xb0, 0x03, 0x06
  /* DW_CFA_expression reg, { DW_OP_breg19 offset }: reg saved at x19 + offset */
  .cfi_escape 0x10, 0x00, 0x03, 0x83, 0xb8, 0x01  /* x0  regs[0] */
  .cfi_escape 0x10, 0x01, 0x03, 0x83, 0xc0, 0x01  /* x1  regs[1] */
  .cfi_escape 0x10, 0x02, 0x03, 0x83, 0xc8, 0x01  /* x2  regs[2] */
  .cfi_escape 0x10, 0x03, 0x03, 0x83, 0xd0, 0x01  /* x3  regs[3] */
  .cfi_escape 0x10, 0x04, 0x03, 0x83, 0xd8, 0x01  /* x4  regs[4] */
  .cfi_escape 0x10, 0x05, 0x03, 0x83, 0xe0, 0x01  /* x5  regs[5] */
  .cfi_escape 0x10, 0x06, 0x03, 0x83, 0xe8, 0x01  /* x6  regs[6] */
  .cfi_escape 0x10, 0x07, 0x03, 0x83, 0xf0, 0x01  /* x7  regs[7] */
  .cfi_escape 0x10, 0x08, 0x03, 0x83, 0xf8, 0x01  /* x8  regs[8] */
  .cfi_escape 0x10, 0x09, 0x03, 0x83, 0x80, 0x02  /* x9  regs[9] */
  .cfi_escape 0x10, 0x0a, 0x03, 0x83, 0x88, 0x02  /* x10  regs[10] */
  .cfi_escape 0x10, 0x0b, 0x03, 0x83, 0x90, 0x02  /* x11  regs[11] */
  .cfi_escape 0x10, 0x0c, 0x03, 0x83, 0x98, 0x02  /* x12  regs[12] */
  .cfi_escape 0x10, 0x0d, 0x03, 0x83, 0xa0, 0x02  /* x13  regs[13] */
  .cfi_escape 0x10, 0x0e, 0x03, 0x83, 0xa8, 0x02  /* x14  regs[14] */
  .cfi_escape 0x10, 0x0f, 0x03, 0x83, 0xb0, 0x02  /* x15  regs[15] */
  .cfi_escape 0x10, 0x10, 0x03, 0x83, 0xb8, 0x02  /* x16  regs[16] */
  .cfi_escape 0x10, 0x11, 0x03, 0x83, 0xc0, 0x02  /* x17  regs[17] */
  .cfi_escape 0x10, 0x12, 0x03, 0x83, 0xc8, 0x02  /* x18  regs[18] */
  .cfi_escape 0x10, 0x13, 0x03, 0x83, 0xd0, 0x02  /* x19  regs[19] */
  .cfi_escape 0x10, 0x14, 0x03, 0x83, 0xd8, 0x02  /* x20  regs[20] */
  .cfi_escape 0x10, 0x15, 0x03, 0x83, 0xe0, 0x02  /* x21  regs[21] */
  .cfi_escape 0x10, 0x16, 0x03, 0x83, 0xe8, 0x02  /* x22  regs[22] */
  .cfi_escape 0x10, 0x17, 0x03, 0x83, 0xf0, 0x02  /* x23  regs[23] */
  .cfi_escape 0x10, 0x18, 0x03, 0x83, 0xf8, 0x02  /* x24  regs[24] */
  .cfi_escape 0x10, 0x19, 0x03, 0x83, 0x80, 0x03  /* x25  regs[25] */
  .cfi_escape 0x10, 0x1a, 0x03, 0x83, 0x88, 0x03  /* x26  regs[26] */
  .cfi_escape 0x10, 0x1b, 0x03, 0x83, 0x90, 0x03  /* x27  regs[27] */
  .cfi_escape 0x10, 0x1c, 0x03, 0x83, 0x98, 0x03  /* x28  regs[28] */
  .cfi_escape 0x10, 0x1d, 0x03, 0x83, 0xa0, 0x03  /* x29  regs[29] */
  .cfi_escape 0x10, 0x1e, 0x03, 0x83, 0xa8, 0x03  /* x30  regs[30] */
  .cfi_escape 0x10, 0x60, 0x03, 0x83, 0xb8, 0x03  /* pc  (column 96, the return-address column) */
  mov x0, x1
  mov x1, x2
  bl _Unwind_Backtrace
  ldr x19, [sp, #16]
  ldp x29, x30, [sp], #32
  ret
  .cfi_endproc
  .size cgg_backtrace_from_context, .-cgg_backtrace_from_context

#endif

  .section .note.GNU-stack,"",%progbits
