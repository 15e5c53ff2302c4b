// Internal declarations shared by the files of cshim/. Not installed.
//
// File naming tells the context code runs in:
//   sigctx_*     runs inside a signal handler (ours, or the Go runtime's
//                SIGPROF handler), and only there: async-signal-safe only —
//                no allocation, no locks, no stdio, no symbolization. All
//                code that runs in signal context is in these files or in
//                shared_*.
//   shared_*     runs in both contexts: called by the handler and by
//                ordinary code, so it is async-signal-safe too.
//   everything else runs in ordinary context only (set-up, the guarded-call
//                fast path, reports, symbolization) and may allocate and lock.
// The declarations below are grouped the same way.
#ifndef CGOGUARD_CSHIM_INTERNAL_H_
#define CGOGUARD_CSHIM_INTERNAL_H_

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <unwind.h>

#include <atomic>

#include "cgoguard/cgoguard.h"

#define CGG_INTERNAL __attribute__((visibility("hidden")))
#define CGG_TLS __attribute__((tls_model("initial-exec")))

namespace cgoguard {

// ---- Per-thread state (set up in ordinary context, read by the handler) ----

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
// Stack the handler uses from its entry to its deepest point: its frames, a
// fault record (about 1 KiB) and libgcc's unwinder. Measured: 5-6 KiB
// (x86-64, RelWithDebInfo); the rest is margin for sanitizer builds. The
// handler declines a fault when the stack it runs on has less room left.
constexpr size_t kHandlerStackBytes = 12 * 1024;
// Alternate stack a thread needs, in bytes: the kernel's signal frame (up to
// 4 KiB with AVX-512 state) plus kHandlerStackBytes.
CGG_INTERNAL size_t altstack_needed();

// ---- Shared context: state published by set-up, read by the handler ---------
// (shared_state.cc; every function is one lock-free atomic access, safe in a
// signal handler. The publish_* writers run under install.cc's mutex.)

// Whether cgg_init has installed the handler for this signal and the flags ask
// cgoguard to contain it.
CGG_INTERNAL bool signal_contained(int signo);
// Whether cgg_init has completed once.
CGG_INTERNAL bool initialized();

// The action to chain a declined signal to. `loop` is true when we are being
// re-entered from the very handler we chained to (it chains back to us): then
// the original pre-cgoguard action is returned to break the loop. The
// returned object is never written again once published.
CGG_INTERNAL const struct sigaction* chain_target(int signo, bool loop);

// Writers of the above (ordinary context). `action` must stay unchanged
// for the life of the process once published: a handler may be reading it.
CGG_INTERNAL void publish_original_action(int signo, const struct sigaction* action);
CGG_INTERNAL void publish_chain_target(int signo, const struct sigaction* action);
CGG_INTERNAL void publish_contained(uint32_t mask);
CGG_INTERNAL void publish_initialized();

struct Counters {
  std::atomic<uint64_t> contained[CGG_NSIG];
  std::atomic<uint64_t> contained_total;
  std::atomic<uint64_t> cxx_exceptions;
  std::atomic<uint64_t> chained[CGG_NSIG];
  std::atomic<uint64_t> chained_total;
  std::atomic<uint64_t> declined[CGG_NSIG];
  std::atomic<uint64_t> declined_total;
  std::atomic<uint64_t> next_fault_id;
  std::atomic<int> tainted;
};
CGG_INTERNAL extern Counters counters;

// Lock-free counter updates.
CGG_INTERNAL void count_declined(int signo);
CGG_INTERNAL void count_contained(int signo);
CGG_INTERNAL void count_chained(int signo);
CGG_INTERNAL uint64_t next_fault_id();

// The code where a fault is never contained (declined_regions.cc builds it;
// sigctx_declined.cc looks addresses up in it): sorted, disjoint [start, end)
// ranges. Immutable once published; never freed.
struct DeclinedRegions {
  struct Range {
    uintptr_t start;
    uintptr_t end;
  };
  size_t count;
  Range ranges[];
};
// The published table, or nullptr before cgg_init built one.
CGG_INTERNAL const DeclinedRegions* declined_regions();
// Writer (ordinary context, under declined_regions.cc's mutex).
CGG_INTERNAL void publish_declined_regions(const DeclinedRegions* table);

// ---- Shared context: the owner walk (shared_walk.cc) ------------------------

// DWARF number of the frame-pointer register, as _Unwind_GetGR takes it: the
// owner walk reads each frame's, the throw-site personality routine
// (throw_site.cc) its trampoline's.
#if defined(__x86_64__)
constexpr int kFramePointerRegister = 6;  // %rbp
#elif defined(__aarch64__)
constexpr int kFramePointerRegister = 29;  // x29
#endif

// State of a walk up a native call chain that records return addresses and
// looks for a guard's owner frame. Lives on the walker's stack.
struct OwnerWalk {
  // Inputs.
  uintptr_t start_pc;     // first frame of interest (when not started)
  bool record_start;      // record the start frame's pc (else it is recorded already)
  bool walk_to_end;       // keep walking after the question is answered
  uintptr_t guard_addr;   // address of the guard record, inside its owner's frame
  uintptr_t owner_fp;     // frame pointer of the owner
  uintptr_t owner_start;  // start of the owner function's code (0: unknown, not compared)
  cgg_fault* rec;         // where to record return addresses, or nullptr
  long max_frames;        // walk limit
  bool check_declined;    // look each frame below the owner up in the declined regions
  // State.
  bool started;
  bool skip_record;  // the next frame was recorded by the caller
  int skipped;
  bool have_prev;
  uintptr_t prev_fp;
  uintptr_t prev_start;
  long steps;
  long frames_seen;  // frames walked since the start frame, the start included
  // Results.
  bool declined;  // a frame below the owner lies in a declined region
  int reach;      // 0 undecided, 1 owner found, 2 another frame found instead
  bool hit_limit;
  uintptr_t last_ip;
  uintptr_t last_sp;
};

// The _Unwind_Backtrace callback of the walk; `arg` is an OwnerWalk.
CGG_INTERNAL _Unwind_Reason_Code owner_walk_step(struct _Unwind_Context* ctx, void* arg);

// Start of the function whose code holds `pc`, or 0 when it has no unwind
// information (libgcc's _Unwind_Find_FDE, what the unwinder itself calls per
// frame; lock-free with glibc >= 2.35).
CGG_INTERNAL uintptr_t function_start(uintptr_t pc);

// True when `pc` lies in a loaded executable or shared object, i.e. it can be
// code. Uses _dl_find_object: lock-free (glibc >= 2.35).
CGG_INTERNAL bool in_loaded_module(uintptr_t pc);

// ---- Throw sites of escaping C++ exceptions (throw_site.cc) -------------------

// The native frames of an exception's throw site: return addresses from the
// function that threw (frames[0]) up to the guarded function, innermost first.
struct ThrowCapture {
  int nframes;
  int truncated;
  uintptr_t frames[CGG_MAX_FRAMES];
};

// Calls fn(arg); if an exception escapes fn, its throw site is recorded into
// *capture during the unwinder's search phase (before any frame is unwound),
// then the exception continues to the caller. *capture is left alone when
// nothing escapes.
extern "C" CGG_INTERNAL void cgg_call_capturing_throws(void (*fn)(void*), void* arg,
                                                       ThrowCapture* capture);

// Walks the calling thread's stack from the throw machinery up to the
// innermost cgg_call_capturing_throws frame into *capture. Ordinary context.
CGG_INTERNAL void record_throw_site(ThrowCapture* capture);

#if defined(__x86_64__)
// ---- The assembly guard entry (guard_call_x86_64.S is cgg_call itself) -----

// Addresses inside cgg_call that its personality routine needs: the start of
// the function, the return address of its call to fn (only an exception
// thrown out of fn is the guard's to catch) and the code that receives a
// caught exception.
struct GuardCallAddresses {
  uintptr_t start;
  uintptr_t fn_return;
  uintptr_t caught;
};
extern "C" CGG_INTERNAL const GuardCallAddresses cgg_call_addresses;

// cgg_call's personality routine (throw_site.cc): records the throw site of
// an exception escaping fn in the search phase and claims it; in the cleanup
// phase sends the unwinder to the receiving code. Lets a forced unwind
// (thread cancellation) pass, with the guard popped.
extern "C" CGG_INTERNAL _Unwind_Reason_Code
cgg_guard_personality(int version, _Unwind_Action actions, _Unwind_Exception_Class exception_class,
                      struct _Unwind_Exception* exception, struct _Unwind_Context* ctx);

// Called by cgg_call's receiving code with the caught exception's header:
// does what a catch (...) block around fn would (begin the catch, record type,
// what() and the throw site into guard->out, end the catch), pops the guard,
// counts and reports the fault. Returns CGG_CXX_EXCEPTION (guard.cc).
extern "C" CGG_INTERNAL int cgg_guard_caught(void* exception, cgg_guard_frame* guard,
                                             const ThrowCapture* site);

// cgg_call's way out of its fast path before it builds a frame (guard.cc):
// rejects a NULL fn, prepares the thread on its first guarded call, gives a
// NULL out the thread's scratch record, then calls cgg_call again.
extern "C" CGG_INTERNAL int cgg_call_setup(void (*fn)(void*), void* arg, cgg_fault* out);
#endif

// Builds the table of declined regions from the loaded modules' symbols and
// publishes it (declined_regions.cc). Called by cgg_init before it installs
// the handlers, and again when a name is added. Returns 0 or -ENOMEM.
CGG_INTERNAL int build_declined_regions();

// Learns which functions a throw passes through before it reaches the
// trampoline (the C++ runtime's, the unwinder's, any wrapper of them) by
// throwing a few exceptions through it. Called once by cgg_init, before the
// handlers are published; not thread-safe on its own.
CGG_INTERNAL void calibrate_throw_sites();

// ---- Signal context (sigctx_*) -----------------------------------------------

// The handler itself (sigctx_handler.cc).
CGG_INTERNAL void signal_handler(int signo, siginfo_t* info, void* ucontext);

// Passes a declined signal to the previous action (sigctx_chain.cc).
CGG_INTERNAL void chain_to_previous(int signo, siginfo_t* info, void* ucontext);

// Writes `msg` to stderr with write(2) and ends the process by `signo`'s
// default action (or _exit if that returns) (sigctx_chain.cc).
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
// `entry` is reachable from the faulting context (sigctx_capture.cc).
// `max_frames` bounds the walk (kUnknown when reached). *declined is set
// when a frame between the fault and the guard's owner lies in a declined
// region (in_declined_region).
CGG_INTERNAL GuardReach capture_and_locate(ThreadState* ts, const GuardEntry* entry,
                                           long max_frames, void* ucontext, cgg_fault* rec,
                                           bool* declined);

// Whether `addr` lies in the code of a process-wide lock holder, where a
// fault is declined: a binary search of the published table
// (sigctx_declined.cc).
CGG_INTERNAL bool in_declined_region(uintptr_t addr);

// Blocks or unblocks the synchronous signals of the signal table for the
// calling thread (sigprocmask) (sigctx_capture.cc).
CGG_INTERNAL void set_sync_signals_blocked(bool blocked);

// Writes a short description of (signo, code) into buf (sigctx_fault_text.cc).
CGG_INTERNAL void describe_fault(int signo, int code, char* buf, size_t size);

// Machine context access (sigctx_machine.cc).
CGG_INTERNAL uintptr_t context_pc(const void* ucontext);
CGG_INTERNAL uintptr_t context_sp(const void* ucontext);
CGG_INTERNAL uintptr_t context_frame_pointer(const void* ucontext);
// Points the interrupted context at the landing pad, which will resume the
// guarded call's owner at its setjmp receiver once the kernel has restored
// the signal mask through sigreturn. `guard` must be live.
CGG_INTERNAL void context_redirect_to_landing(void* ucontext, cgg_guard_frame* guard);
// For a jump to a non-code address, rewrites the context as if the bad call
// had returned to its caller, so the unwinder (which reads the context from
// the signal frame) can continue past it. Undo with context_restore_pc_sp.
CGG_INTERNAL bool context_simulate_return(void* ucontext);
CGG_INTERNAL void context_restore_pc_sp(void* ucontext, uintptr_t pc, uintptr_t sp);

// ---- Ordinary context ----------------------------------------------------------

// Runs every registered report callback for `fault` (report.cc).
CGG_INTERNAL void dispatch_reports(const cgg_fault* fault);

}  // namespace cgoguard

#endif  // CGOGUARD_CSHIM_INTERNAL_H_
