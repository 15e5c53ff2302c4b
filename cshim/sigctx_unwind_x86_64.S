/*
 * SIGNAL CONTEXT. cgg_backtrace_from_context(const ucontext_t* uc,
 *                                            _Unwind_Trace_Fn fn, void* arg)
 *
 * Runs _Unwind_Backtrace(fn, arg) from a frame whose unwind information says
 * "my caller is the context saved in *uc". The walk then goes straight from
 * this frame to the interrupted instruction, instead of through the handler's
 * own frames and the kernel's signal trampoline: each frame the unwinder
 * steps costs about 150 ns, and this path runs on every contained fault.
 *
 * The CFI below is what the kernel's __restore_rt trampoline says about its
 * signal frame, expressed relative to %rbx (which holds uc): the CFA is the
 * interrupted %rsp, the registers are read from uc->uc_mcontext.gregs, and
 * the frame is a signal frame (the interrupted pc is exact, not a return
 * address). Touches only registers and this stack; async-signal-safe.
 *
 * Only the registers an unwind rule can depend on are described: %rip,
 * %rsp (the CFA), the callee-saved ones (%rbx, %rbp, %r12-%r15: callers'
 * frames are found through them) and %r10 (the register GCC's stack
 * realignment uses as the CFA in a prologue). The other caller-saved
 * registers never take part in finding a frame, and each described register
 * is a DWARF expression the unwinder evaluates at this step: leaving out
 * eight of them saves about 70 ns per fault.
 *
 * ucontext_t layout (x86-64 Linux): uc_mcontext.gregs at offset 40, 8 bytes
 * per register, indexed by REG_R8 = 0 ... REG_RIP = 16.
 */
#if defined(__x86_64__) && defined(__linux__)

  .text
  .globl cgg_backtrace_from_context
  .hidden cgg_backtrace_from_context
  .type cgg_backtrace_from_context, @function
cgg_backtrace_from_context:
  .cfi_startproc
  pushq %rbx
  .cfi_adjust_cfa_offset 8
  .cfi_rel_offset %rbx, 0
  movq %rdi, %rbx
  /* From here on the caller is described by *uc (held in %rbx). */
  .cfi_signal_frame
  /* DW_CFA_def_cfa_expression: CFA = *(rbx + 160)   (gregs[REG_RSP]) */
  .cfi_escape 0x0f, 0x04, 0x73, 0xa0, 0x01, 0x06
  /* DW_CFA_expression reg, { DW_OP_breg3 offset }: reg saved at rbx + offset */
  .cfi_escape 0x10, 0x03, 0x03, 0x73, 0x80, 0x01  /* rbx  gregs[11] */
  .cfi_escape 0x10, 0x06, 0x03, 0x73, 0xf8, 0x00  /* rbp  gregs[10] */
  .cfi_escape 0x10, 0x0a, 0x02, 0x73, 0x38        /* r10  gregs[2]  */
  .cfi_escape 0x10, 0x0c, 0x03, 0x73, 0xc8, 0x00  /* r12  gregs[4]  */
  .cfi_escape 0x10, 0x0d, 0x03, 0x73, 0xd0, 0x00  /* r13  gregs[5]  */
  .cfi_escape 0x10, 0x0e, 0x03, 0x73, 0xd8, 0x00  /* r14  gregs[6]  */
  .cfi_escape 0x10, 0x0f, 0x03, 0x73, 0xe0, 0x00  /* r15  gregs[7]  */
  .cfi_escape 0x10, 0x10, 0x03, 0x73, 0xa8, 0x01  /* rip  gregs[16] (return-address column) */
  movq %rsi, %rdi
  movq %rdx, %rsi
  call _Unwind_Backtrace@PLT
  popq %rbx
  ret
  .cfi_endproc
  .size cgg_backtrace_from_context, .-cgg_backtrace_from_context

#endif

  .section .note.GNU-stack,"",@progbits
