// SIGNAL CONTEXT (capture_and_locate) and ordinary context (the rest).
//
// Walks the faulting stack with libgcc's unwinder to do two things at once:
// record the raw return addresses of the fault, and find out whether the
// guard's owner frame is on the same native call chain.
//
// Why the second part: a guard may only be jumped to when the faulting code
// was called, through native frames alone, by the function that armed it.
// Two situations break that even though the faulting stack pointer lies below
// the guard on the thread's native stack:
//   - the guarded code called back into Go and that Go code called C that
//     faulted: Go frames sit in between, and jumping over them kills the
//     process ("exitsyscall: syscall frame is no longer valid");
//   - a Go panic unwound out of such a callback, abandoning the guard: the
//     guard is stale and its frame is gone.
// libgcc cannot unwind through Go frames (they have no .eh_frame entries), so
// in both cases the walk ends, or finds a different frame where the owner's
// frame should be, before it reaches the owner. The owner is recognized by
// its stack range (the guard record lies inside its frame) and its frame
// pointer (recorded when the guard was armed).
//
// Why it is safe in a signal handler: with glibc >= 2.35 and GCC >= 12,
// _Unwind_Backtrace finds unwind tables through _dl_find_object, which takes
// no lock and does not allocate; the walk state lives on this stack frame.
// A fault inside the walk (a corrupted stack) re-enters the handler, which
// sees in_capture and jumps back here; the walk is then reported as broken.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <signal.h>
#include <unwind.h>

#include "internal.h"

#if defined(__x86_64__)
// sigctx_unwind_x86_64.S: _Unwind_Backtrace starting at the context in uc.
extern "C" _Unwind_Reason_Code cgg_backtrace_from_context(const void* uc, _Unwind_Trace_Fn fn,
                                                          void* arg);
#endif

namespace cgoguard {
namespace {

#if defined(__x86_64__)
constexpr int kFramePointerRegister = 6;  // DWARF number of %rbp
#elif defined(__aarch64__)
constexpr int kFramePointerRegister = 29;  // DWARF number of x29
#endif

// Frames between _Unwind_Backtrace and the faulting frame: the context
// trampoline on x86-64; elsewhere this function, the handler and the kernel's
// signal trampoline (more under sanitizers).
constexpr int kMaxHandlerFrames = 32;

struct Walk {
  // Inputs.
  uintptr_t start_pc;     // first frame of interest (when not started)
  bool record_start;      // record the start frame's pc (else it is recorded already)
  bool walk_to_end;       // keep walking after the question is answered
  uintptr_t guard_addr;   // address of the guard record, inside its owner's frame
  uintptr_t owner_fp;     // frame pointer of the owner
  uintptr_t owner_start;  // start of the owner function's code (0: unknown, not compared)
  cgg_fault* rec;         // where to record return addresses, or nullptr
  long max_frames;        // walk limit
  // State.
  bool started;
  bool skip_record;  // the next frame was recorded by the caller
  int skipped;
  bool have_prev;
  uintptr_t prev_fp;
  uintptr_t prev_start;
  long steps;
  // Results.
  int reach;  // 0 undecided, 1 owner found, 2 another frame found instead
  bool hit_limit;
  uintptr_t last_ip;
  uintptr_t last_sp;
};

_Unwind_Reason_Code on_frame(struct _Unwind_Context* ctx, void* arg) {
  Walk* w = static_cast<Walk*>(arg);
  uintptr_t ip = _Unwind_GetIP(ctx);
  if (!w->started) {
    if (ip != w->start_pc) {
      return ++w->skipped > kMaxHandlerFrames ? _URC_END_OF_STACK : _URC_NO_REASON;
    }
    w->started = true;
    w->skip_record = !w->record_start;
  }
  // In the callback for a frame, the context's CFA is the stack pointer that
  // frame had when it made its call (its callee's CFA). The owner's frame is
  // the one whose stack range [sp, caller's sp) holds the guard record: the
  // frame just before the first one whose sp lies above the record. It must
  // also have the owner's frame pointer and run the owner's function: a
  // different function running where an abandoned owner ran is not it.
  uintptr_t sp = _Unwind_GetCFA(ctx);
  if (w->reach == 0 && w->have_prev && sp > w->guard_addr) {
    bool same_function = w->owner_start == 0 || w->prev_start == w->owner_start;
    w->reach = w->prev_fp == w->owner_fp && same_function ? 1 : 2;
  }
  w->prev_fp = _Unwind_GetGR(ctx, kFramePointerRegister);
  w->prev_start = _Unwind_GetRegionStart(ctx);
  w->have_prev = true;
  w->last_ip = ip;
  w->last_sp = sp;
  if (w->rec != nullptr) {
    if (w->skip_record) {
      w->skip_record = false;
    } else if (w->rec->nframes < CGG_MAX_FRAMES) {
      w->rec->frames[w->rec->nframes++] = ip;
    } else {
      w->rec->truncated = 1;
    }
  }
  // Stop once the owner question is answered: the frames above the guard's
  // owner are its callers (for Go, cgo's own wrappers), and every further
  // step costs about 150 ns on the fault path. The owner's caller is the last
  // frame recorded.
  if (w->reach != 0 && !w->walk_to_end) return _URC_END_OF_STACK;
  if (++w->steps > w->max_frames) {
    w->hit_limit = true;
    return _URC_END_OF_STACK;
  }
  return _URC_NO_REASON;
}

GuardReach conclude(const Walk& w, bool broken) {
  if (w.reach == 1) return GuardReach::kOnStack;
  if (w.reach == 2) return GuardReach::kNotOnStack;
  if (broken || w.hit_limit || !w.started) return GuardReach::kUnknown;
  // The walk ended before passing the guard. If it ended in a loaded module
  // (code without unwind tables, such as Go's, or the thread's first frame)
  // the owner is not on this chain; a garbage address says nothing.
  return in_loaded_module(w.last_ip) ? GuardReach::kNotOnStack : GuardReach::kUnknown;
}

}  // namespace

// True when `pc` lies in a loaded executable or shared object. Uses
// _dl_find_object: lock-free and async-signal-safe (glibc >= 2.35).
// Start of the function whose code holds `pc`, or 0 when it has no unwind
// information. _Unwind_Find_FDE is what the unwinder itself calls per frame.
uintptr_t function_start(uintptr_t pc) {
  dwarf_eh_bases bases = {};
  if (pc == 0 || _Unwind_Find_FDE(reinterpret_cast<void*>(pc), &bases) == nullptr) return 0;
  return reinterpret_cast<uintptr_t>(bases.func);
}

bool in_loaded_module(uintptr_t pc) {
  struct dl_find_object found;
  return _dl_find_object(reinterpret_cast<void*>(pc), &found) == 0;
}

void set_sync_signals_blocked(bool blocked) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGSEGV);
  sigaddset(&set, SIGBUS);
  sigaddset(&set, SIGILL);
  sigaddset(&set, SIGFPE);
  sigaddset(&set, SIGTRAP);
  // sigprocmask is async-signal-safe; in a threaded process it acts on the
  // calling thread only.
  sigprocmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &set, nullptr);
}

namespace {

_Unwind_Reason_Code count_frame(struct _Unwind_Context*, void* arg) {
  ++*static_cast<int*>(arg);
  return _URC_NO_REASON;
}

}  // namespace

GuardReach capture_and_locate(ThreadState* ts, const GuardEntry* entry, long max_frames,
                              void* ucontext, cgg_fault* rec) {
  uintptr_t pc = context_pc(ucontext);
  uintptr_t sp = context_sp(ucontext);
  rec->frames[0] = pc;
  rec->nframes = 1;
  rec->truncated = 0;

  Walk w = {};
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
#if defined(__x86_64__)
    cgg_backtrace_from_context(ucontext, on_frame, &w);
#else
    _Unwind_Backtrace(on_frame, &w);
#endif
  } else {
    broken = true;  // the handler jumped back here from a fault in the walk
  }
  ts->in_capture = 0;
  // The synchronous signals stay unblocked: a claimed fault returns through
  // sigreturn, which restores the interrupted mask anyway; the chain path
  // blocks them again before calling the previous handler.

  if (simulated) context_restore_pc_sp(ucontext, pc, sp);
  return conclude(w, broken);
}

bool guard_live_from_here(const GuardEntry* entry, uintptr_t* entry_sp) {
  Walk w = {};
  w.guard_addr = entry->frame;
  w.owner_fp = entry->owner_fp;
  w.owner_start = function_start(entry->owner_pc);
  w.max_frames = 1L << 22;
  w.started = true;
  w.walk_to_end = true;
  _Unwind_Backtrace(on_frame, &w);
  if (entry_sp != nullptr) *entry_sp = w.last_sp;
  return w.reach == 1;
}

void warm_unwinder() {
  // The first unwind initializes libgcc's object lists and the loader's
  // lookup data; make that happen here rather than in the first handler run.
  int frames = 0;
  _Unwind_Backtrace(count_frame, &frames);
  in_loaded_module(reinterpret_cast<uintptr_t>(&warm_unwinder));
}

}  // namespace cgoguard
