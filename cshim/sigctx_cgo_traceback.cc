// SIGNAL CONTEXT. cgg_cgo_traceback, the traceback function Go's
// runtime.SetCgoTraceback calls to put native frames into Go tracebacks and
// CPU profiles (its symbolizer is in cgo_symbolizer.cc).
//
// The traceback function runs inside the Go runtime's SIGPROF handler while a
// thread executes C code. libgcc cannot unwind from there to the interrupted
// code: the Go signal trampoline in between has no unwind tables. So from a
// signal context we report the interrupted pc (which is what a profile
// attributes the sample to) and follow the frame-pointer chain while it stays
// on this thread's stack and yields code addresses. Every read lies on the
// stack range recorded for the thread, between the interrupted stack pointer
// and the stack's top, and _dl_find_object is lock-free: nothing here
// allocates, locks or faults.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <unwind.h>

#include "internal.h"

namespace cgoguard {
namespace {

struct CgoTracebackArg {
  uintptr_t context;
  uintptr_t sig_context;
  uintptr_t* buf;
  uintptr_t max;
};

struct Collect {
  uintptr_t* buf;
  uintptr_t max;
  uintptr_t n;
  int skip;
};

_Unwind_Reason_Code collect_frame(struct _Unwind_Context* ctx, void* arg) {
  auto* c = static_cast<Collect*>(arg);
  if (c->skip > 0) {
    c->skip--;
    return _URC_NO_REASON;
  }
  if (c->n >= c->max) return _URC_END_OF_STACK;
  uintptr_t ip = _Unwind_GetIP(ctx);
  if (ip == 0) return _URC_END_OF_STACK;
  // Go wants the pc of the call instruction, not the return address.
  c->buf[c->n++] = ip - 1;
  return _URC_NO_REASON;
}

}  // namespace
}  // namespace cgoguard

using namespace cgoguard;

extern "C" {

void cgg_cgo_traceback(void* p) {
  auto* arg = static_cast<CgoTracebackArg*>(p);
  uintptr_t n = 0;
  if (arg->max == 0) return;
  if (arg->sig_context != 0) {
    const void* uc = reinterpret_cast<const void*>(arg->sig_context);
    arg->buf[n++] = context_pc(uc);
    const ThreadState* ts = &tls_thread;
    uintptr_t sp = context_sp(uc);
    uintptr_t fp = context_frame_pointer(uc);
    // Follow {saved fp, return address} records while they lie on this
    // thread's own stack, above the interrupted stack pointer, and point at
    // code. Only when the interrupted stack pointer is on that stack too: the
    // thread's stack is mapped from its lowest address (a pthread's, its
    // guard page lies below) or grows on access up to it (the main thread's),
    // while a context on any other stack (a coroutine's, a signal stack) may
    // chain through unmapped holes between it and the thread's stack.
    uintptr_t lo = ts->stack_lo;
    uintptr_t hi = ts->stack_hi;
    bool on_thread_stack = hi != 0 && sp >= lo && sp < hi;
    while (on_thread_stack && n < arg->max && fp >= sp && fp + 2 * sizeof(uintptr_t) <= hi &&
           fp % sizeof(uintptr_t) == 0) {
      const uintptr_t* record = reinterpret_cast<const uintptr_t*>(fp);
      uintptr_t ra = record[1];
      if (ra == 0 || !in_loaded_module(ra)) break;
      arg->buf[n++] = ra - 1;
      if (record[0] <= fp) break;  // frame pointers only grow towards the stack base
      fp = record[0];
    }
  } else if (arg->context == 0) {
    // Called from C code (a callback into Go asked for a traceback): unwind
    // the native frames above us, skipping this function.
    Collect c = {arg->buf, arg->max, 0, 1};
    _Unwind_Backtrace(collect_frame, &c);
    n = c.n;
  }
  if (n < arg->max) arg->buf[n] = 0;
}

}  // extern "C"
