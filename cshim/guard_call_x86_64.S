/*
 * ORDINARY CONTEXT. int cgg_call(void (*fn)(void*), void* arg, cgg_fault* out)
 * on x86-64: the guarded call's fast path, written out by hand.
 *
 * Why assembly: the C++ version paid about 6 ns over a direct call. Most of
 * it was __builtin_setjmp, which makes the compiler save and restore every
 * callee-saved register and keep its locals in memory, plus a trampoline
 * call for the throw site and the try/catch plumbing. Here the registers are
 * pushed once in the prologue and, but for the one this function uses,
 * never reloaded on the normal return (fn preserved them, as the ABI says);
 * the guard record is filled with the three words __builtin_setjmp would
 * store, so the landing pad's __builtin_longjmp (guard.cc) resumes this
 * frame unchanged; and this very function catches escaping C++ exceptions
 * through its own personality routine (cgg_guard_personality,
 * throw_site.cc), with no trampoline frame. Measured: +1.6 ns over a direct
 * call (BM_GuardedOverDirect), against +6.2 ns for the C++ version.
 *
 * The frame (offsets from %rbp, guard_call_layout.h):
 *      +8   return address
 *       0   caller's %rbp
 *   -8..-40 %rbx %r12 %r13 %r14 %r15
 *    -104   cgg_guard_frame: jb[0] = %rbp, jb[1] = .Lresume, jb[2] = %rsp,
 *           out, cookie, signo, index
 *    -624   ThrowCapture (the throw site of an escaping exception) = %rsp
 *
 * Everything the signal handler needs stays as the C++ version left it: the
 * thread's guard list entry (frame, owner frame pointer, an address in the
 * owner's code, cookie) and the record in this frame. The owner walk
 * (shared_walk.cc) recognizes this frame like any other: a frame-pointer
 * frame with CFI, whose function start it looks up from .Lresume.
 *
 * The three ways out:
 *   fn returns       pop the guard (the thread's depth back to the record's
 *                    index), return 0.
 *   fn faults        the handler fills the record and redirects the context
 *                    to cgg_landing_pad, which jumps to .Lresume with this
 *                    frame's %rbp and %rsp; the callee-saved registers fn
 *                    may have clobbered are reloaded from the prologue's
 *                    pushes; cgg_guard_landed returns the signal number.
 *   fn throws        the personality routine records the throw site in the
 *                    search phase, claims the exception, and in the cleanup
 *                    phase installs .Lcaught (exception pointer in %rax),
 *                    which hands it to cgg_guard_caught (guard.cc) to
 *                    record and free; CGG_CXX_EXCEPTION is returned. A forced
 *                    unwind (thread cancellation) is not claimed: the
 *                    personality routine pops the guard and lets it go on.
 * A first call on the thread, a NULL fn or a NULL out goes to cgg_call_setup
 * (guard.cc), which prepares the thread or fills in defaults and comes back.
 */
#if defined(__x86_64__) && defined(__linux__)

#include "guard_call_layout.h"

#define FRAME_BELOW_PUSHES (-40 - CGG_ENTRY_CAPTURE_AT)

  .pushsection .data.rel.ro,"aw"
  .p2align 3
.Lpersonality_ref:
  .quad cgg_guard_personality
  /* The addresses the personality routine compares against and jumps to
   * (CggCallAddresses in guard.cc), as data: labels of their own in the
   * code would make symbolizers name this function's return addresses
   * after them. */
  .globl cgg_call_addresses
  .hidden cgg_call_addresses
  .type cgg_call_addresses, @object
cgg_call_addresses:
  .quad .Lentry
  .quad .Lfn_return
  .quad .Lcaught
  .size cgg_call_addresses, .-cgg_call_addresses
  .popsection

  .text
  .p2align 4
  .globl cgg_call
#if defined(CGG_HIDDEN_API)
  .hidden cgg_call
#endif
  .type cgg_call, @function
cgg_call:
.Lentry:
  .cfi_startproc
  .cfi_personality 0x9b, .Lpersonality_ref
  /* Cheap checks first, before any frame exists: fn and out not NULL, the
   * thread prepared. %rax = &cgoguard::tls_thread (mangled below), read as
   * initial-exec TLS: the thread pointer plus a constant the linker or the
   * loader fills in; never __tls_get_addr. */
  testq %rdi, %rdi
  jz .Lsetup
  testq %rdx, %rdx
  jz .Lsetup
  movq %fs:0, %rax
  addq _ZN8cgoguard10tls_threadE@gottpoff(%rip), %rax
  cmpl $0, CGG_TS_READY(%rax)
  je .Lsetup

  pushq %rbp
  .cfi_def_cfa_offset 16
  .cfi_offset %rbp, -16
  movq %rsp, %rbp
  .cfi_def_cfa_register %rbp
  /* Saved for the fault path only: fn may clobber them before it faults. */
  pushq %rbx
  .cfi_offset %rbx, -24
  pushq %r12
  .cfi_offset %r12, -32
  pushq %r13
  .cfi_offset %r13, -40
  pushq %r14
  .cfi_offset %r14, -48
  pushq %r15
  .cfi_offset %r15, -56
  subq $FRAME_BELOW_PUSHES, %rsp

  /* Drop the guards whose records lie at or below ours: they belong to
   * frames that are gone (a Go panic unwound a callback through them without
   * returning); a live enclosing guard is always higher up the stack.
   * %ecx = depth, %r8 = extra, %r9 = our record. */
  movl CGG_TS_DEPTH(%rax), %ecx
  movq CGG_TS_EXTRA(%rax), %r8
  leaq CGG_ENTRY_GUARD_AT(%rbp), %r9
.Ldrop:
  testl %ecx, %ecx
  jz .Ldropped
  leal -1(%rcx), %r10d
  shlq $CGG_ENTRY_SHIFT, %r10
  cmpq %r9, CGG_ENTRY_FRAME(%r8,%r10)
  ja .Ldropped
  decl %ecx
  jmp .Ldrop
.Ldropped:
  cmpl $CGG_MAX_GUARD_DEPTH_ASM, %ecx
  jae .Loverflow

  /* The list entry: record, owner frame pointer (ours), an address in the
   * owner's code (ours), a fresh cookie. %r10 = entry, %r11 = cookie. */
  movl %ecx, %r10d
  shlq $CGG_ENTRY_SHIFT, %r10
  addq %r8, %r10
  movq CGG_EXTRA_NEXT_COOKIE(%r8), %r11
  addq $1, %r11
  movq %r11, CGG_EXTRA_NEXT_COOKIE(%r8)
  movq %r9, CGG_ENTRY_FRAME(%r10)
  movq %rbp, CGG_ENTRY_OWNER_FP(%r10)
  leaq .Lresume(%rip), %r8
  movq %r8, CGG_ENTRY_OWNER_PC(%r10)
  movq %r11, CGG_ENTRY_COOKIE(%r10)
  /* The record: what __builtin_setjmp would store, then out, cookie,
   * signo = 0 and index (one store for the last two). */
  movq %rbp, CGG_ENTRY_GUARD_AT+CGG_GUARD_JB_FP(%rbp)
  movq %r8, CGG_ENTRY_GUARD_AT+CGG_GUARD_JB_RESUME(%rbp)
  movq %rsp, CGG_ENTRY_GUARD_AT+CGG_GUARD_JB_SP(%rbp)
  movq %rdx, CGG_ENTRY_GUARD_AT+CGG_GUARD_OUT(%rbp)
  movq %r11, CGG_ENTRY_GUARD_AT+CGG_GUARD_COOKIE(%rbp)
  movq %rcx, %r8
  shlq $32, %r8
  movq %r8, CGG_ENTRY_GUARD_AT+CGG_GUARD_SIGNO(%rbp)
  /* Armed: the handler may resume this frame from here on. */
  leal 1(%rcx), %ecx
  movl %ecx, CGG_TS_DEPTH(%rax)
  /* The thread state's address rides across the call in %rbx, which fn
   * preserves: computing it again from the thread pointer afterwards cost
   * ~0.3 ns (the benchmark's guarded call went from 4.33 to 4.06 ns). */
  movq %rax, %rbx
  movq %rdi, %r11
  movq %rsi, %rdi
  call *%r11  /* fn(arg) */
.Lfn_return:
  /* Pops this guard and any inner one a non-local exit left behind; the
   * guards below the index are outer ones, whose records lie higher up. */
  movl CGG_ENTRY_GUARD_AT+CGG_GUARD_INDEX(%rbp), %ecx
  movl %ecx, CGG_TS_DEPTH(%rbx)
  movq -8(%rbp), %rbx
  xorl %eax, %eax
  .cfi_remember_state
  /* fn preserved the other callee-saved registers: they hold the caller's
   * values again, no reload needed. */
  .cfi_restore %rbx
  .cfi_restore %r12
  .cfi_restore %r13
  .cfi_restore %r14
  .cfi_restore %r15
  leave
  .cfi_def_cfa %rsp, 8
  .cfi_restore %rbp
  ret
  .cfi_restore_state

  /* Reached from cgg_landing_pad with this frame's %rbp and %rsp after a
   * contained fault; the handler has already unlinked the guard. */
.Lresume:
  leaq CGG_ENTRY_GUARD_AT(%rbp), %rdi
  call cgg_guard_landed@PLT
  jmp .Lrestore_and_return

  /* Reached from the unwinder (cgg_guard_personality) with the escaping
   * exception's header in %rax. */
.Lcaught:
  movq %rax, %rdi
  leaq CGG_ENTRY_GUARD_AT(%rbp), %rsi
  leaq CGG_ENTRY_CAPTURE_AT(%rbp), %rdx
  call cgg_guard_caught@PLT
  jmp .Lrestore_and_return

.Loverflow:
  /* -EOVERFLOW, with the dropped guards dropped. */
  movl %ecx, CGG_TS_DEPTH(%rax)
  movl $-75, %eax

.Lrestore_and_return:
  movq -8(%rbp), %rbx
  movq -16(%rbp), %r12
  movq -24(%rbp), %r13
  movq -32(%rbp), %r14
  movq -40(%rbp), %r15
  .cfi_restore %rbx
  .cfi_restore %r12
  .cfi_restore %r13
  .cfi_restore %r14
  .cfi_restore %r15
  leave
  .cfi_def_cfa %rsp, 8
  .cfi_restore %rbp
  ret

  /* No frame yet: the C++ side handles it and calls cgg_call again. */
.Lsetup:
  jmp cgg_call_setup@PLT
  .cfi_endproc
  .size cgg_call, .-cgg_call

#endif

  .section .note.GNU-stack,"",@progbits
