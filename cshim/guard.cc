// Guard frames: arming a guard around a call (the fast path) and the landing
// pad that resumes a guard's owner after a contained fault. Ordinary context
// (the landing pad runs after the kernel's sigreturn, with the interrupted
// signal mask already restored).
//
// The fast path is a thread-local list push, three stores that say where to
// resume (frame pointer, stack pointer, resume address — no system call, the
// signal mask is not saved), the call, and a pop. The mask is restored only
// on the fault path, by sigreturn from the ucontext the kernel saved at the
// fault. On x86-64 cgg_call is written in assembly (guard_call_x86_64.S; this
// file has its slow paths); elsewhere it is the C++ version below, with
// __builtin_setjmp. CGG_GUARD always uses __builtin_setjmp.
#include <cxxabi.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <exception>
#include <typeinfo>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define CGG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define CGG_ASAN 1
#endif
#endif

#include "guard_call_layout.h"
#include "internal.h"

using namespace cgoguard;

// The layout the assembly guard entry relies on (guard_call_layout.h).
static_assert(offsetof(ThreadState, depth) == CGG_TS_DEPTH, "layout");
static_assert(offsetof(ThreadState, ready) == CGG_TS_READY, "layout");
static_assert(offsetof(ThreadState, extra) == CGG_TS_EXTRA, "layout");
static_assert(sizeof(GuardEntry) == 1 << CGG_ENTRY_SHIFT, "layout");
static_assert(offsetof(GuardEntry, frame) == CGG_ENTRY_FRAME, "layout");
static_assert(offsetof(GuardEntry, owner_fp) == CGG_ENTRY_OWNER_FP, "layout");
static_assert(offsetof(GuardEntry, owner_pc) == CGG_ENTRY_OWNER_PC, "layout");
static_assert(offsetof(GuardEntry, cookie) == CGG_ENTRY_COOKIE, "layout");
static_assert(offsetof(ThreadExtra, guards) == 0, "layout");
static_assert(offsetof(ThreadExtra, next_cookie) == CGG_EXTRA_NEXT_COOKIE, "layout");
static_assert(CGG_MAX_GUARD_DEPTH == CGG_MAX_GUARD_DEPTH_ASM, "layout");
static_assert(sizeof(cgg_guard_frame) == CGG_GUARD_SIZE, "layout");
static_assert(offsetof(cgg_guard_frame, jb) == CGG_GUARD_JB_FP, "layout");
static_assert(offsetof(cgg_guard_frame, out) == CGG_GUARD_OUT, "layout");
static_assert(offsetof(cgg_guard_frame, cookie) == CGG_GUARD_COOKIE, "layout");
static_assert(offsetof(cgg_guard_frame, signo) == CGG_GUARD_SIGNO, "layout");
static_assert(offsetof(cgg_guard_frame, index) == CGG_GUARD_INDEX, "layout");
static_assert(sizeof(ThrowCapture) == CGG_THROW_CAPTURE_SIZE, "layout");
static_assert(CGG_ENTRY_CAPTURE_AT % 16 == 0, "the call needs a 16-byte aligned stack");

extern "C" {

// Reached by sigreturn from the handler, on the abandoned part of the owner's
// stack (see context_redirect_to_landing), with the guarded code's signal
// mask in force. Jumps into the owner's __builtin_setjmp receiver, which
// reloads its own registers from its frame.
__attribute__((visibility("hidden"), noinline, used)) [[noreturn]] void cgg_landing_pad(
    cgg_guard_frame* guard) {
#ifdef CGG_ASAN
  // The jump skips frames whose stack redzones are still poisoned.
  __asan_handle_no_return();
#endif
  __builtin_longjmp(guard->jb, 1);
}

}  // extern "C"

namespace {

// First guarded call on this thread: install handlers if nobody did, set up
// the thread (alternate stack, stack bounds, record storage). 0 or -errno.
__attribute__((noinline, cold)) int prepare_slow(ThreadState* ts) {
  if (!initialized()) {
    int err = cgg_init(0);
    if (err != 0) return err;
  }
  return -thread_prepare(ts);
}

// 0 once the thread is set up (one load on the fast path), else -errno.
inline int ensure_thread_ready(ThreadState* ts) {
  return __builtin_expect(ts->ready, 1) ? 0 : prepare_slow(ts);
}

// After a contained stack overflow, gives the pages the overflow touched back
// to the kernel: nothing lives below the resumed owner any more, and each
// overflow would otherwise keep the whole stack resident (8 MiB a thread).
// The part just below the owner (the frames running now) is kept.
void release_overflowed_stack(ThreadState* ts) {
  ThreadExtra* extra = ts->extra;
  if (extra == nullptr || extra->overflow_hi == 0) return;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t keep = 256 * 1024;
  uintptr_t lo = (extra->overflow_lo + page - 1) & ~(page - 1);
  uintptr_t hi = extra->overflow_hi > keep ? (extra->overflow_hi - keep) & ~(page - 1) : 0;
  extra->overflow_lo = extra->overflow_hi = 0;
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
}

// Drops the guards whose records lie at or below `addr`. Arming a guard at
// `addr`, they belong to frames that are gone (a Go panic unwound through them
// without returning): a live enclosing guard is always higher up the stack.
// Leaving the guard at `addr`, they are that guard and any inner guard a
// non-local exit left behind.
inline void drop_guards_at_or_below(ThreadState* ts, const void* addr) {
  const uintptr_t limit = reinterpret_cast<uintptr_t>(addr);
  while (ts->depth > 0 && ts->extra->guards[ts->depth - 1].frame <= limit) ts->depth--;
}

// Arms `guard` on this thread: records it in the thread's list and copies the
// list entry's cookie into the record. Returns 0 or -EOVERFLOW.
inline int push_guard(ThreadState* ts, cgg_guard_frame* guard, cgg_fault* out, uintptr_t owner_fp,
                      uintptr_t owner_pc) {
  drop_guards_at_or_below(ts, guard);
  if (__builtin_expect(ts->depth >= CGG_MAX_GUARD_DEPTH, 0)) return -EOVERFLOW;
  ThreadExtra* extra = ts->extra;
  GuardEntry* entry = &extra->guards[ts->depth];
  entry->frame = reinterpret_cast<uintptr_t>(guard);
  entry->owner_fp = owner_fp;
  entry->owner_pc = owner_pc;
  entry->cookie = ++extra->next_cookie;
  guard->out = out != nullptr ? out : &extra->scratch;
  guard->cookie = entry->cookie;
  guard->signo = 0;
  guard->index = ts->depth;
  return 0;
}

void record_exception(cgg_fault* rec, const char* type, const char* what) {
  memset(rec, 0, offsetof(cgg_fault, what));
  rec->signo = CGG_CXX_EXCEPTION;
  rec->id = next_fault_id();
  ThreadState* ts = &tls_thread;
  rec->thread_id = ts->extra != nullptr ? ts->extra->tid : 0;
  size_t len = 0;
  if (type != nullptr) {
    len = strlen(type);
    if (len > sizeof rec->what - 3) len = sizeof rec->what - 3;
    memcpy(rec->what, type, len);
    rec->what[len++] = ':';
    rec->what[len++] = ' ';
  }
  size_t room = sizeof rec->what - 1 - len;
  size_t wlen = strlen(what);
  if (wlen > room) wlen = room;
  memcpy(rec->what + len, what, wlen);
  rec->what[len + wlen] = '\0';
}

// Name of the exception being handled, demangled ("std::runtime_error").
void current_exception_type(char* buf, size_t size) {
  buf[0] = '\0';
  const std::type_info* type = abi::__cxa_current_exception_type();
  if (type == nullptr) return;
  int status = 0;
  char* name = abi::__cxa_demangle(type->name(), nullptr, nullptr, &status);
  const char* text = status == 0 && name != nullptr ? name : type->name();
  strncpy(buf, text, size - 1);
  buf[size - 1] = '\0';
  free(name);
}

// Fills `rec` for the exception being handled (called from a catch block),
// with the frames of its throw site.
__attribute__((noinline, cold)) void record_current_exception(cgg_fault* rec,
                                                              const ThrowCapture& site) {
  char type[128];
  current_exception_type(type, sizeof type);
  try {
    throw;
  } catch (const std::exception& e) {
    record_exception(rec, type, e.what());
  } catch (...) {
    record_exception(rec, type[0] ? type : nullptr, "exception not derived from std::exception");
  }
  rec->nframes = site.nframes;
  rec->truncated = site.truncated;
  memcpy(rec->frames, site.frames, sizeof(uintptr_t) * static_cast<size_t>(site.nframes));
}

// A C++ exception escaped the guarded function; called from the catch
// block that holds it. Records it and its throw site into guard->out, pops
// this guard and any inner one a non-local exit left behind (the guards
// below index are outer ones, whose records lie higher up), counts and
// reports it. Returns CGG_CXX_EXCEPTION.
__attribute__((noinline, cold)) int contain_current_exception(ThreadState* ts,
                                                              cgg_guard_frame* guard,
                                                              const ThrowCapture& site) {
  record_current_exception(guard->out, site);
  ts->depth = guard->index;
  count_contained(CGG_CXX_EXCEPTION);
  ts->extra->last = guard->out;
  dispatch_reports(guard->out);
  return CGG_CXX_EXCEPTION;
}

}  // namespace

extern "C" {

#if defined(__x86_64__)

int cgg_call_setup(void (*fn)(void*), void* arg, cgg_fault* out) {
  if (fn == nullptr) return -EINVAL;
  ThreadState* ts = &tls_thread;
  if (int err = ensure_thread_ready(ts)) return err;
  // The fast path wants both pointers set; it comes back here otherwise.
  return cgg_call(fn, arg, out != nullptr ? out : &ts->extra->scratch);
}

int cgg_guard_caught(void* exception, cgg_guard_frame* guard, const ThrowCapture* site) {
  // What the compiler emits for catch (...): begin the catch, and end it on
  // the way out whatever happens (what() may throw).
  abi::__cxa_begin_catch(exception);
  struct EndCatch {
    ~EndCatch() { abi::__cxa_end_catch(); }
  } end_catch;
  return contain_current_exception(&tls_thread, guard, *site);
}

#else  // !__x86_64__: cgg_call in C++, with __builtin_setjmp

int cgg_call(void (*fn)(void*), void* arg, cgg_fault* out) {
  if (fn == nullptr) return -EINVAL;
  ThreadState* ts = &tls_thread;
  if (int err = ensure_thread_ready(ts)) return err;
  cgg_guard_frame guard;
  // The owner is this function: the handler recognizes its frame by the frame
  // pointer and by the function an address of its code (a label) lies in.
  int err = push_guard(ts, &guard, out, reinterpret_cast<uintptr_t>(__builtin_frame_address(0)),
                       reinterpret_cast<uintptr_t>(&&owner_code));
owner_code:
  if (err != 0) return err;
  if (__builtin_setjmp(guard.jb) == 0) {
    ts->depth = guard.index + 1;  // armed: jb is filled
    // The try/catch sits in this very function and the only frame between
    // it and fn is the trampoline that records the throw site of an
    // exception escaping fn (throw_site.cc): each frame the handler's
    // unwinder steps through costs ~150 ns on the fault path.
    ThrowCapture site;
    site.nframes = 0;  // stays 0 if an exception bypasses the search phase
    site.truncated = 0;
    try {
      cgg_call_capturing_throws(fn, arg, &site);
    } catch (abi::__forced_unwind&) {
      drop_guards_at_or_below(ts, &guard);
      throw;  // thread cancellation must keep unwinding
    } catch (...) {
      return contain_current_exception(ts, &guard, site);
    }
    // Pops this guard and any inner one a non-local exit left behind; the
    // guards below index are outer ones, whose records lie higher up.
    ts->depth = guard.index;
    return 0;
  }
  return cgg_guard_landed(&guard);
}

#endif  // __x86_64__

int cgg_guard_enter(cgg_guard_frame* guard, cgg_fault* out, void* owner_fp) {
  if (guard == nullptr) return -EINVAL;
  ThreadState* ts = &tls_thread;
  if (int err = ensure_thread_ready(ts)) return err;
  // Our return address lies in the function that expanded CGG_GUARD: the owner.
  int err = push_guard(ts, guard, out, reinterpret_cast<uintptr_t>(owner_fp),
                       reinterpret_cast<uintptr_t>(__builtin_return_address(0)));
  if (err != 0) return err;
  // The guarded statement runs only after __builtin_setjmp has filled jb; no
  // fault of ours can happen in between.
  ts->depth = guard->index + 1;
  return 0;
}

void cgg_guard_leave(cgg_guard_frame* guard) {
  drop_guards_at_or_below(&tls_thread, guard);
}

int cgg_guard_landed(cgg_guard_frame* guard) {
  // The handler already unlinked the guard and filled guard->out.
  release_overflowed_stack(&tls_thread);
  dispatch_reports(guard->out);
  return guard->signo;
}

const cgg_fault* cgg_last_fault(void) {
  ThreadState* ts = &tls_thread;
  return ts->extra != nullptr ? ts->extra->last : nullptr;
}

int cgg_guard_depth(void) {
  return tls_thread.depth;
}

}  // extern "C"
