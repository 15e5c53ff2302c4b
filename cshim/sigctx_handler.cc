// SIGNAL CONTEXT. The signal handler: decides whether a signal is a fault of
// guarded native code (then it records the fault and resumes the guard's
// owner through the landing pad) or not (then it goes to the previous
// action, unchanged).
//
// Every step below is async-signal-safe: thread state is read from
// initial-exec TLS (a thread-pointer-relative load); the fault record is
// written into memory that was reserved before the guarded call; counters are
// lock-free atomics; the unwinder is libgcc's lock-free path (see
// sigctx_capture.cc); whether a frame lies in code whose faults are declined
// is a binary search of a table built at cgg_init (sigctx_declined.cc); the
// only system calls are sigprocmask, getpid, gettid,
// tgkill, sigaction and write; a contained fault makes one sigprocmask call
// (to let a fault of its stack walk reach the handler) besides the kernel's
// sigreturn. Nothing allocates, locks or uses
// stdio.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

namespace cgoguard {
namespace {

// How far below the recorded lowest address of the thread's stack a faulting
// stack pointer may lie and still count as "on the native stack": a stack
// overflow faults in the guard area just below it.
constexpr uintptr_t kStackOverflowSlack = 1024 * 1024;

// A fault whose stack pointer is this close to the bottom of the thread's
// stack is a stack overflow.
constexpr uintptr_t kOverflowZone = 64 * 1024;

// Frames the handler walks to find the guard's owner. An ordinary fault is a
// few frames deep; a stack overflow is tens of thousands (~150 ns each: an
// 8 MiB stack took 5 ms). Past the bound the walk is inconclusive and the
// guard record's cookie decides, as for a smashed stack.
constexpr long kMaxWalkFrames = 1L << 22;
constexpr long kMaxOverflowWalkFrames = 512;

// Whether the stack this handler runs on has kHandlerStackBytes left below
// its frame. The kernel put the handler on the thread's alternate stack, and
// an application may have replaced that with a smaller one after the
// thread's set-up checked it; running on regardless would write past its end
// (into a guard page, or into whatever memory lies below a malloc'd one).
// The thread's alternate-stack settings at delivery are in the ucontext: the
// kernel saves them in uc_stack of every signal frame (so that sigreturn can
// restore them), which is what sigaltstack() would report here, without the
// system call (~0.2 us on every fault). Only reads the context and compares
// addresses. Not instrumented by AddressSanitizer, like the handler's entry:
// the check must run before the handler's frames grow (instrumentation pads
// them with redzones).
__attribute__((noinline, no_sanitize("address"))) bool enough_stack_here(const void* ucontext) {
  const stack_t& current = static_cast<const ucontext_t*>(ucontext)->uc_stack;
  if (current.ss_flags & SS_DISABLE) return true;
  // Whether we run on it is read from the addresses, not from SS_ONSTACK:
  // the kernel saves the flags as set by sigaltstack, not whether the
  // interrupted code ran on the stack. Off it, the handler runs on the
  // thread's own stack, which has room (a fault that left none, a stack
  // overflow, always lands on the alternate stack).
  uintptr_t here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  uintptr_t lowest = reinterpret_cast<uintptr_t>(current.ss_sp);
  if (here < lowest || here - lowest > current.ss_size) return true;
  return here - lowest >= kHandlerStackBytes;
}

// Kernel-generated faults carry si_code > 0; kill(), raise(), tgkill() and
// sigqueue() give si_code <= 0. SIGABRT from abort() is a tgkill() by this
// very process, which we accept only for SIGABRT (and only when asked to
// contain it: signal_contained() checks that).
bool raised_by_fault(int signo, const siginfo_t* info) {
  if (info->si_code > 0) return signo != SIGABRT;
  return signo == SIGABRT && info->si_code == SI_TKILL && info->si_pid == getpid();
}

// Returns the innermost guard entry of this thread that may own a fault at
// `sp`, or nullptr. Guards whose records lie at or below the faulting stack
// pointer belong to frames that no longer exist (a Go panic unwound them);
// they are dropped here — a store to this thread's own depth counter.
const GuardEntry* candidate_guard(ThreadState* ts, uintptr_t sp) {
  if (ts->extra == nullptr) return nullptr;
  while (ts->depth > 0 && ts->extra->guards[ts->depth - 1].frame <= sp) ts->depth--;
  if (ts->depth == 0) return nullptr;
  // Guarded native code runs on the thread's own stack; Go code reached
  // through a callback runs on a goroutine stack, which lies elsewhere.
  if (ts->stack_lo != 0 && sp + kStackOverflowSlack < ts->stack_lo) return nullptr;
  return &ts->extra->guards[ts->depth - 1];
}

// Reads the cookie of a guard record that may sit in a dead frame: whether it
// does is the very question. The memory is mapped (see try_claim), but a newer
// frame's ASan redzone may cover it, so the read is exempt from ASan.
__attribute__((noinline, no_sanitize("address"))) uint64_t record_cookie(
    const cgg_guard_frame* guard) {
  return guard->cookie;
}

// Tries to claim the fault. On success the context is redirected to the
// landing pad and true is returned. Kept out of line so that its local fault
// record (about 1 KiB) is off the stack again when we chain: the Go runtime's
// handler runs after us on the same 32 KiB signal stack.
__attribute__((noinline)) bool try_claim(ThreadState* ts, int signo, siginfo_t* info,
                                         void* ucontext) {
  if (!signal_contained(signo) || !raised_by_fault(signo, info)) return false;
  uintptr_t sp = context_sp(ucontext);
  const GuardEntry* entry = candidate_guard(ts, sp);
  if (entry == nullptr) return false;

  // Capture into a local record first: if the fault turns out not to be
  // ours, the caller's record is left untouched.
  cgg_fault local;
  bool overflow = ts->stack_lo != 0 && sp < ts->stack_lo + kOverflowZone;
  bool declined = false;
  GuardReach reach = capture_and_locate(
      ts, entry, overflow ? kMaxOverflowWalkFrames : kMaxWalkFrames, ucontext, &local, &declined);
  if (reach == GuardReach::kNotOnStack) {
    set_sync_signals_blocked(true);  // as the previous handler expects
    return false;
  }
  auto* guard = reinterpret_cast<cgg_guard_frame*>(entry->frame);
  // The record lies between the faulting sp and the stack's top, so it is
  // mapped; its cookie tells whether it still holds this guard. Needed for
  // kUnknown (the walk broke on a smashed stack; the stack-range check above
  // already placed the fault on this thread's native stack below the guard)
  // and for kOnStack too: the walk knows the owner only by stack range and
  // frame pointer, and a different function that runs where an abandoned
  // owner ran (same caller, same depth) with a frame pointer has both. Its
  // locals have overwritten the dead record, whose jb would send the landing
  // pad into garbage.
  if (record_cookie(guard) != entry->cookie) {
    set_sync_signals_blocked(true);
    return false;
  }
  // The guard could take the fault, but a frame between the fault and the
  // guard runs the code of a process-wide lock holder (the allocator with
  // its arena lock, the loader with its lock, stdio with a FILE lock):
  // jumping out would leave that lock taken and the process hung at the next
  // malloc or dlopen of any thread. Decline: the previous action gets the
  // fault exactly as delivered (for Go, its crash report; by default, the
  // process ends). Counting is a lock-free atomic add.
  if (declined) {
    count_declined(signo);
    set_sync_signals_blocked(true);
    return false;
  }

  cgg_fault* rec = guard->out;
  rec->signo = signo;
  rec->code = info->si_code;
  // si_addr is only meaningful for hardware faults (for SIGABRT the same
  // union holds the sender's pid).
  rec->addr = signo == SIGABRT ? 0 : reinterpret_cast<uintptr_t>(info->si_addr);
  rec->pc = context_pc(ucontext);
  rec->sp = sp;
  rec->nframes = local.nframes;
  rec->truncated = local.truncated;
  memcpy(rec->frames, local.frames, sizeof(uintptr_t) * static_cast<size_t>(local.nframes));
  rec->id = next_fault_id();
  rec->thread_id = ts->extra->tid;
  describe_fault(signo, info->si_code, rec->what, sizeof rec->what);

  guard->signo = signo;
  ts->depth = static_cast<int>(entry - ts->extra->guards);  // the guard is spent
  ts->extra->last = rec;
  if (overflow) {
    ts->extra->overflow_lo = ts->stack_lo;
    ts->extra->overflow_hi = reinterpret_cast<uintptr_t>(guard->jb[2]);
  }
  count_contained(signo);
  context_redirect_to_landing(ucontext, guard);
  return true;
}

}  // namespace

// Kept small and not instrumented up to the stack check (see
// enough_stack_here); try_claim, out of line, has the big frame.
__attribute__((no_sanitize("address"))) void signal_handler(int signo, siginfo_t* info,
                                                            void* ucontext) {
  ThreadState* ts = &tls_thread;
  if (ts->in_handler && info->si_code <= 0) {
    // Sent by kill, tgkill or sigqueue while this thread's handler is busy
    // with a fault: the walk unblocks the synchronous signals, so a pending
    // one is delivered right there. It is not a fault of the walk, and it is
    // not ours to contain or to drop: pass it on now, exactly as delivered
    // (a default action ends the process by it). If the previous handler
    // returns, the interrupted walk carries on where it was.
    chain_to_previous(signo, info, ucontext);
    return;
  }
  if (ts->in_capture) {
    // The unwinder faulted on a corrupted stack: abandon the walk. Both this
    // frame and the walk's are on the same signal stack; the jump only moves
    // up it.
    __builtin_longjmp(ts->extra->capture_jb, 1);
  }
  if (ts->in_handler) {
    die_with_message(signo, "cgoguard: fatal: fault inside the signal handler\n");
  }
  if (!enough_stack_here(ucontext)) {
    // Too little stack to capture the fault: decline it, as if cgoguard
    // were not there (the previous action, usually, ends the process).
    chain_to_previous(signo, info, ucontext);
    return;
  }
  int saved_errno = errno;  // errno is thread-local; the interrupted code owns it
  ts->in_handler = 1;
  bool claimed = try_claim(ts, signo, info, ucontext);
  ts->in_handler = 0;
  errno = saved_errno;
  // Returning goes through sigreturn: the kernel restores the interrupted
  // signal mask and resumes at the landing pad (claimed) or at the faulting
  // instruction, after the previous action had its say (declined).
  if (!claimed) chain_to_previous(signo, info, ucontext);
}

}  // namespace cgoguard
