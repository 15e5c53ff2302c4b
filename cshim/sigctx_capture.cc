// SIGNAL CONTEXT. Walks the faulting stack with libgcc's unwinder to do two
// things at once: record the raw return addresses of the fault, and find out
// whether the guard's owner frame is on the same native call chain (the walk
// step and why the owner matters: shared_walk.cc).
//
// Why it is safe in a signal handler: with glibc >= 2.35 and GCC >= 12,
// _Unwind_Backtrace finds unwind tables through _dl_find_object, which takes
// no lock and does not allocate; the walk state lives on this stack frame.
// A fault inside the walk (a corrupted stack) re-enters the handler, which
// sees in_capture and jumps back here; the walk is then reported as broken.
#include <signal.h>
#include <stddef.h>
#include <ucontext.h>
#include <unwind.h>

#include "internal.h"
#include "signal_table.h"

// sigctx_unwind_x86_64.S, sigctx_unwind_aarch64.S: _Unwind_Backtrace
// starting at the context in uc.
extern "C" _Unwind_Reason_Code cgg_backtrace_from_context(const void* uc, _Unwind_Trace_Fn fn,
                                                          void* arg);

#if defined(__aarch64__)
// The offsets sigctx_unwind_aarch64.S reads the interrupted registers at.
static_assert(offsetof(ucontext_t, uc_mcontext.regs) == 184, "ucontext_t layout");
static_assert(offsetof(ucontext_t, uc_mcontext.sp) == 432, "ucontext_t layout");
static_assert(offsetof(ucontext_t, uc_mcontext.pc) == 440, "ucontext_t layout");
#endif

namespace cgoguard {
namespace {

GuardReach conclude(const OwnerWalk& w, bool broken) {
  if (w.reach == 1) return GuardReach::kOnStack;
  if (w.reach == 2) return GuardReach::kNotOnStack;
  if (broken || w.hit_limit || !w.started) return GuardReach::kUnknown;
  // The walk ended before passing the guard. If it ended in a loaded module
  // (code without unwind tables, such as Go's, or the thread's first frame)
  // the owner is not on this chain; a garbage address says nothing.
  return in_loaded_module(w.last_ip) ? GuardReach::kNotOnStack : GuardReach::kUnknown;
}

}  // namespace

void set_sync_signals_blocked(bool blocked) {
  sigset_t set;
  sigemptyset(&set);
  for (const SignalInfo& s : kSignals) {
    if (s.synchronous) sigaddset(&set, s.signo);
  }
  // sigprocmask is async-signal-safe; in a threaded process it acts on the
  // calling thread only.
  sigprocmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &set, nullptr);
}

GuardReach capture_and_locate(ThreadState* ts, const GuardEntry* entry, long max_frames,
                              void* ucontext, cgg_fault* rec, bool* declined) {
  uintptr_t pc = context_pc(ucontext);
  uintptr_t sp = context_sp(ucontext);
  rec->frames[0] = pc;
  rec->nframes = 1;
  rec->truncated = 0;

  OwnerWalk w = {};
  w.guard_addr = entry->frame;
  w.owner_fp = entry->owner_fp;
  // One lookup per distinct owner and thread: the cache is this thread's.
  ThreadExtra* extra = ts->extra;
  if (extra->owner_pc_cached != entry->owner_pc) {
    extra->owner_start_cached = function_start(entry->owner_pc);
    extra->owner_pc_cached = entry->owner_pc;
  }
  w.owner_start = extra->owner_start_cached;
  w.rec = rec;
  w.max_frames = max_frames;
  w.start_pc = pc;
  w.record_start = false;
  w.check_declined = true;
  // A jump to an address outside every module (a bad function pointer) has no
  // unwind information; continue from the caller, whose return address the
  // call left behind.
  bool simulated = !in_loaded_module(pc) && context_simulate_return(ucontext);
  if (simulated) {
    w.start_pc = context_pc(ucontext);
    w.record_start = true;
  }

  bool broken = false;
  ts->in_capture = 1;
  // A fault while unwinding must reach our handler (a blocked synchronous
  // signal would kill the process outright), so unblock those for the walk.
  if (__builtin_setjmp(ts->extra->capture_jb) == 0) {
    set_sync_signals_blocked(false);
    cgg_backtrace_from_context(ucontext, owner_walk_step, &w);
  } else {
    broken = true;  // the handler jumped back here from a fault in the walk
  }
  ts->in_capture = 0;
  // The synchronous signals stay unblocked: a claimed fault returns through
  // sigreturn, which restores the interrupted mask anyway; the chain path
  // blocks them again before calling the previous handler.

  if (simulated) context_restore_pc_sp(ucontext, pc, sp);
  *declined = w.declined;
  return conclude(w, broken);
}

}  // namespace cgoguard
