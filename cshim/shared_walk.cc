// SHARED CONTEXT. One step of the walk that looks for a guard's owner frame
// on a native call chain, and the two address lookups it needs. The handler
// walks the faulting stack with it (sigctx_capture.cc); cgg_repair_thread
// walks its own stack with it in ordinary context (guard_repair.cc).
//
// Why the owner matters: a guard may only be jumped to when the faulting code
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
// its stack range (the guard record lies inside its frame), its frame pointer
// (recorded when the guard was armed) and its function.
//
// Why it is safe in a signal handler: the step only reads the unwinder's
// context and writes the walk state and the caller's record; with glibc >=
// 2.35 and GCC >= 12, libgcc finds unwind tables (_Unwind_Find_FDE,
// _Unwind_GetRegionStart) through _dl_find_object, which takes no lock and
// does not allocate.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <unwind.h>

#include "internal.h"

namespace cgoguard {
namespace {

// Frames between _Unwind_Backtrace and the faulting frame: the context
// trampoline (sigctx_unwind_*.S), one; a walk that starts in the handler
// itself would see the capture function, the handler and the kernel's
// signal trampoline too (more under sanitizers).
constexpr int kMaxHandlerFrames = 32;

// libgcc's lookup of the unwind-table entry covering an address: exported by
// libgcc_s, declared only in GCC's internal headers. bases.func is the start
// of the function.
struct dwarf_eh_bases {
  void* tbase;
  void* dbase;
  void* func;
};
extern "C" const void* _Unwind_Find_FDE(void* pc, struct dwarf_eh_bases* bases);

// Appends a return address to the walk's record, or marks it truncated.
void record_frame(OwnerWalk* w, uintptr_t ip) {
  if (w->rec->nframes < CGG_MAX_FRAMES) {
    w->rec->frames[w->rec->nframes++] = ip;
  } else {
    w->rec->truncated = 1;
  }
}

}  // namespace

_Unwind_Reason_Code owner_walk_step(struct _Unwind_Context* ctx, void* arg) {
  OwnerWalk* w = static_cast<OwnerWalk*>(arg);
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
  // Every frame below the guard's owner (the owner itself included, which is
  // cgg_call or the function that armed the guard: never declined code) is
  // looked up once: is it the code of a process-wide lock holder? A frame
  // found after the owner (its caller, in the range test above) is not. The
  // start frame holds the faulting pc itself; every other one a return
  // address, which may lie just past the end of a call to a function that
  // does not return: look up the call instruction instead (ip - 1). The
  // lookup is async-signal-safe (sigctx_declined.cc); only the handler asks
  // for it.
  if (w->check_declined && w->reach == 0 && !w->declined) {
    bool exact = w->frames_seen == 0 && !w->record_start;
    if (in_declined_region(exact ? ip : ip - 1)) w->declined = true;
  }
  w->frames_seen++;
  if (w->rec != nullptr) {
    if (w->skip_record) {
      w->skip_record = false;
    } else if (w->prev_start == reinterpret_cast<uintptr_t>(&cgg_call_capturing_throws)) {
      // cgg_call's throw-site trampoline (throw_site.cc; not on x86-64,
      // where cgg_call calls the guarded function itself): guard plumbing
      // between cgg_call and the guarded function, not recorded.
    } else {
      record_frame(w, ip);
    }
  }
  // This frame is the owner when it runs the owner's function with the
  // owner's frame pointer (the owner keeps one: it took its address to arm
  // the guard), below the guard record. Two live frames of one function that
  // keeps a frame pointer never share it, so this is the frame the next
  // step's range test would find, one unwinder step (~150 ns) sooner. Its
  // caller's return address, the last frame recorded, is then read from the
  // owner's frame record ({saved frame pointer, return address} at the frame
  // pointer, on x86-64 and arm64 alike): a load from this thread's stack
  // between the faulting sp and the guard's frame, which is mapped. Without
  // a known owner function, the range test decides.
  if (w->reach == 0 && !w->walk_to_end && w->owner_start != 0 && w->prev_start == w->owner_start &&
      w->prev_fp == w->owner_fp && sp <= w->guard_addr) {
    w->reach = 1;
    if (w->rec != nullptr) record_frame(w, reinterpret_cast<const uintptr_t*>(w->owner_fp)[1]);
    return _URC_END_OF_STACK;
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

uintptr_t function_start(uintptr_t pc) {
  dwarf_eh_bases bases = {};
  if (pc == 0 || _Unwind_Find_FDE(reinterpret_cast<void*>(pc), &bases) == nullptr) return 0;
  return reinterpret_cast<uintptr_t>(bases.func);
}

bool in_loaded_module(uintptr_t pc) {
  struct dl_find_object found;
  return _dl_find_object(reinterpret_cast<void*>(pc), &found) == 0;
}

}  // namespace cgoguard
