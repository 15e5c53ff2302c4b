// Internal declarations shared by the files of cshim/. Not installed.
//
// File naming tells the context code runs in:
//   sigctx_*.cc  runs inside the signal handler: async-signal-safe only — no
//                allocation, no locks, no stdio, no symbolization.
//   everything else runs in ordinary context (set-up, the guarded-call fast
//                path, reports, symbolization).
#ifndef CGOGUARD_CSHIM_INTERNAL_H_
#define CGOGUARD_CSHIM_INTERNAL_H_

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <atomic>

#include "cgoguard/cgoguard.h"

#define CGG_INTERNAL __attribute__((visibility("hidden")))
#define CGG_TLS __attribute__((tls_model("initial-exec")))

namespace cgoguard {

// ---- Per-thread state ------------------------------------------------------

// Everything the handler needs about the current thread. Lives in
// initial-exec TLS so that reading it in the handler is a plain
// thread-pointer-relative load: no __tls_get_addr, which may allocate. Kept
// small because initial-exec TLS of a dlopen'ed library comes out of a small
// static reserve; the bulky per-thread data sits in ThreadExtra.
struct ThreadExtra;

struct ThreadState {
  int depth;                // number of armed guards (entries in extra->guards)
  int ready;                // thread set-up done
  ThreadExtra* extra;       // set up by the first guarded call on the thread
  uintptr_t stack_lo;       // lowest address of the thread's native stack
  uintptr_t stack_hi;       // highest address (exclusive)
  volatile int in_handler;  // 1 while our handler runs on this thread
  volatile int in_capture;  // 1 while the handler unwinds the faulting stack
  volatile int chaining;    // 1 while we call the previous handler
};

// One armed guard, as the thread's list records it. Everything the handler
// needs to decide whether the guard is live lives here, in memory the thread
// owns, so that deciding never reads the guard record itself, which sits in a
// stack frame that may be gone.
struct GuardEntry {
  uintptr_t frame;     // address of the cgg_guard_frame (inside its owner's frame)
  uintptr_t owner_fp;  // frame pointer of the owner when it armed the guard
  uintptr_t owner_pc;  // an address inside the owner function's code
  uint64_t cookie;     // copied into the record; tells a live record from reused memory
};

struct ThreadExtra {
  GuardEntry guards[CGG_MAX_GUARD_DEPTH];  // innermost last
  uint64_t next_cookie;
  uintptr_t owner_pc_cached;     // last owner_pc whose function start was looked up
  uintptr_t owner_start_cached;  // ...and that start (a one-entry cache for the handler)
  // Set by the handler after a contained stack overflow: the range of this
  // thread's stack the overflow touched, to give back once resumed.
  uintptr_t overflow_lo;
  uintptr_t overflow_hi;
  cgg_fault scratch;      // record used when the caller passed out == NULL
  const cgg_fault* last;  // most recent contained fault of this thread
  void* capture_jb[5];    // __builtin_setjmp buffer to abandon a faulting unwind
  void* altstack;         // our mmap'd alternate stack (guard page included)
  size_t altstack_size;   // bytes mapped, guard page included
  uint64_t tid;           // gettid()
};

// __thread, not thread_local: a trivially constructed object needs no TLS
// wrapper function, so every access is a single instruction.
CGG_INTERNAL extern __thread ThreadState tls_thread CGG_TLS;

// Sets up the calling thread for guarded calls (alternate stack, stack bounds,
// ThreadExtra). Ordinary context; idempotent. Returns 0 or an errno value.
CGG_INTERNAL int thread_prepare(ThreadState* ts);

// Gives the thread an alternate signal stack big enough for the handler if it
// has none or too small a one. Never replaces or frees one that is big enough
// (the Go runtime's, for instance). Returns 0 or an errno value.
CGG_INTERNAL int altstack_ensure(ThreadExtra* extra);
// Disables and unmaps the alternate stack that altstack_ensure installed, if
// it is still the thread's current one. Called at thread exit.
CGG_INTERNAL void altstack_release(ThreadExtra* extra);
// Stack the handler needs, in bytes (its own frames plus the unwinder's).
CGG_INTERNAL size_t altstack_needed();

// ---- Installation (install.cc) ----------------------------------------------

// Signals cgoguard handles at all (some only with a flag).
constexpr int kHandledSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT};

// Whether cgg_init has installed the handler for this signal and the flags ask
// cgoguard to contain it. Safe in a signal handler (atomic loads).
CGG_INTERNAL bool signal_contained(int signo);
CGG_INTERNAL bool initialized();

// The action to chain a declined signal to. `loop` is true when we are being
// re-entered from the very handler we chained to (it chains back to us): then
// the original pre-cgoguard action is returned to break the loop. Safe in a
// signal handler: the returned object is immutable once published.
CGG_INTERNAL const struct sigaction* chain_target(int signo, bool loop);

// The handler itself (sigctx_handler.cc).
CGG_INTERNAL void signal_handler(int signo, siginfo_t* info, void* ucontext);

// ---- Signal context helpers --------------------------------------------------

// Passes a declined signal to the previous action (sigctx_chain.cc).
CGG_INTERNAL void chain_to_previous(int signo, siginfo_t* info, void* ucontext);

// Writes `msg` to stderr with write(2) and ends the process by `signo`'s
// default action (or _exit if that returns). Async-signal-safe.
[[noreturn]] CGG_INTERNAL void die_with_message(int signo, const char* msg);

// Result of walking the faulting stack (sigctx_capture.cc).
enum class GuardReach {
  kOnStack,     // the guard's owner frame is on the faulting native chain
  kNotOnStack,  // the chain ended (at code without unwind info that lies in
                // a loaded module: Go code) or passed the guard's frame
                // without finding its owner: a stale guard, or Go frames between
  kUnknown,     // the walk broke (garbage return address, fault while
                // unwinding, depth limit): cannot tell
};

// Records the faulting stack into rec->frames and tells whether the guard of
// `entry` is reachable from the faulting context. Runs inside the handler.
// `max_frames` bounds the walk (kUnknown when reached).
CGG_INTERNAL GuardReach capture_and_locate(ThreadState* ts, const GuardEntry* entry,
                                           long max_frames, void* ucontext, cgg_fault* rec);

// libgcc's lookup of the unwind-table entry covering an address: exported by
// libgcc_s, declared only in GCC's internal headers. bases.func is the start
// of the function. Lock-free with glibc >= 2.35 (_dl_find_object).
struct dwarf_eh_bases {
  void* tbase;
  void* dbase;
  void* func;
};
extern "C" const void* _Unwind_Find_FDE(void* pc, struct dwarf_eh_bases* bases);

// True when `pc` lies in a loaded executable or shared object, i.e. it can be
// code. Uses _dl_find_object: lock-free, async-signal-safe (glibc >= 2.35).
CGG_INTERNAL bool in_loaded_module(uintptr_t pc);

// Blocks or unblocks SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGTRAP for the
// calling thread (sigprocmask: async-signal-safe).
CGG_INTERNAL void set_sync_signals_blocked(bool blocked);

// Walks the stack of the calling function (ordinary context) and tells
// whether the guard of `entry` has its owner frame on the chain; *entry_sp
// receives the outermost stack pointer reached (the native entry of the chain).
CGG_INTERNAL bool guard_live_from_here(const GuardEntry* entry, uintptr_t* entry_sp);

// Writes a short description of (signo, code) into buf (sigctx_fault_text.cc).
CGG_INTERNAL void describe_fault(int signo, int code, char* buf, size_t size);

// Machine context access (sigctx_machine.cc).
CGG_INTERNAL uintptr_t context_pc(const void* ucontext);
CGG_INTERNAL uintptr_t context_sp(const void* ucontext);
// Points the interrupted context at the landing pad, which will resume the
// guarded call's owner at its setjmp receiver once the kernel has restored
// the signal mask through sigreturn. `guard` must be live.
CGG_INTERNAL void context_redirect_to_landing(void* ucontext, cgg_guard_frame* guard);
// For a jump to a non-code address, rewrites the context as if the bad call
// had returned to its caller, so the unwinder (which reads the context from
// the signal frame) can continue past it. Undo with context_restore_pc_sp.
CGG_INTERNAL bool context_simulate_return(void* ucontext);
CGG_INTERNAL void context_restore_pc_sp(void* ucontext, uintptr_t pc, uintptr_t sp);

// ---- Stats (stats.cc) -------------------------------------------------------

struct Counters {
  std::atomic<uint64_t> contained[CGG_NSIG];
  std::atomic<uint64_t> contained_total;
  std::atomic<uint64_t> cxx_exceptions;
  std::atomic<uint64_t> chained[CGG_NSIG];
  std::atomic<uint64_t> chained_total;
  std::atomic<uint64_t> next_fault_id;
  std::atomic<int> tainted;
};
CGG_INTERNAL extern Counters counters;

// Lock-free counter updates; safe in a signal handler.
CGG_INTERNAL void count_contained(int signo);
CGG_INTERNAL void count_chained(int signo);
CGG_INTERNAL uint64_t next_fault_id();

// ---- Reports (report.cc) ----------------------------------------------------

// Runs every registered report callback for `fault`. Ordinary context.
CGG_INTERNAL void dispatch_reports(const cgg_fault* fault);

// ---- Unwinder warm-up (sigctx_capture.cc) ------------------------------------

// Performs one unwind in ordinary context so that the first unwind inside the
// handler finds libgcc's state initialized.
CGG_INTERNAL void warm_unwinder();

}  // namespace cgoguard

#endif  // CGOGUARD_CSHIM_INTERNAL_H_
