// ORDINARY CONTEXT (the unwinder's search phase). Records where a C++
// exception that escapes a guarded call was thrown.
//
// By the time cgg_call's catch block runs, the throwing frames are gone:
// phase 2 of the unwinder has already torn them down. Phase 1 (the search for
// a handler) has not: it runs before anything is unwound, calling the
// personality routine of each frame from the throw outward until one says
// "I handle this". So the frame that calls the guarded function has unwind
// information naming our own personality routine. When the search reaches
// it, every frame between it and the throw is still on the stack; the
// routine walks them into a ThrowCapture. On x86-64 that frame is cgg_call
// itself (guard_call_x86_64.S), whose routine (cgg_guard_personality, at the
// end of this file) then claims the exception as a catch (...) would.
// Elsewhere cgg_call runs the guarded function through a tiny trampoline
// (cgg_call_capturing_throws, below) whose routine records the site and lets
// the search go on to cgg_call's catch (...), right above. The trampoline
// also serves calibrate_throw_sites on every architecture.
//
// What this costs: nothing for an exception that never reaches a guard (the
// search stops at the first handler below, our routine never runs — which is
// also why an exception caught inside native code leaves no trace), and
// nothing for a throw on a thread without a guard. A guarded call pays one
// extra call instruction and two stores (nothing on x86-64). An escaping
// exception pays one walk of the throwing frames.
//
// Why not wrap __cxa_throw: interposing it needs symbol interposition (a
// shared library ahead of libstdc++) or the linker's --wrap, and it fails in
// a statically linked program where both define it. Unwind tables are
// consulted the same way in a shared library, a cgo-built Go program and a
// fully static binary.
#include <stdint.h>
#include <unwind.h>

#include <exception>

#include "guard_call_layout.h"
#include "internal.h"

// ---- The trampoline ----------------------------------------------------------
//
// void cgg_call_capturing_throws(void (*fn)(void*), void* arg, ThrowCapture* capture)
// calls fn(arg) with `capture` stored in its frame at a fixed offset from its
// frame pointer, where the personality routine finds it. A frame pointer frame
// with standard CFI: the signal handler's walk and Go's cgo traceback step
// through it like any other frame. Written as top-level asm in this file (not
// a .S) so that every build that compiles the shim's .cc files gets it.
//
// The personality is referenced indirectly (DW_EH_PE_indirect | pcrel |
// sdata4 = 0x9b, as compilers emit it) through a pointer-sized slot holding
// its address, which the dynamic linker relocates (or the static linker
// fills in).
#if defined(__x86_64__)
// capture lives at [rbp - 8].
constexpr intptr_t kCaptureOffset = -8;
asm(R"(
  .pushsection .data.rel.ro,"aw"
  .p2align 3
cgg_throw_personality_ref:
  .quad cgg_throw_personality
  .popsection

  .pushsection .text
  .p2align 4
  .globl cgg_call_capturing_throws
  .hidden cgg_call_capturing_throws
  .type cgg_call_capturing_throws, @function
cgg_call_capturing_throws:
  .cfi_startproc
  .cfi_personality 0x9b, cgg_throw_personality_ref
  pushq %rbp
  .cfi_def_cfa_offset 16
  .cfi_offset %rbp, -16
  movq %rsp, %rbp
  .cfi_def_cfa_register %rbp
  pushq %rdx
  subq $8, %rsp
  movq %rdi, %rax
  movq %rsi, %rdi
  call *%rax
  leave
  .cfi_def_cfa %rsp, 8
  ret
  .cfi_endproc
  .size cgg_call_capturing_throws, .-cgg_call_capturing_throws
  .popsection
)");
#elif defined(__aarch64__)
// capture lives at [x29 + 16].
constexpr intptr_t kCaptureOffset = 16;
asm(R"(
  .pushsection .data.rel.ro,"aw"
  .p2align 3
cgg_throw_personality_ref:
  .xword cgg_throw_personality
  .popsection

  .pushsection .text
  .p2align 2
  .globl cgg_call_capturing_throws
  .hidden cgg_call_capturing_throws
  .type cgg_call_capturing_throws, %function
cgg_call_capturing_throws:
  .cfi_startproc
  .cfi_personality 0x9b, cgg_throw_personality_ref
  hint 34
  stp x29, x30, [sp, #-32]!
  .cfi_def_cfa_offset 32
  .cfi_offset x29, -32
  .cfi_offset x30, -24
  mov x29, sp
  str x2, [sp, #16]
  mov x16, x0
  mov x0, x1
  blr x16
  ldp x29, x30, [sp], #32
  .cfi_restore x29
  .cfi_restore x30
  .cfi_def_cfa_offset 0
  ret
  .cfi_endproc
  .size cgg_call_capturing_throws, .-cgg_call_capturing_throws
  .popsection
)");
#else
#error "cgoguard supports x86_64 and aarch64 Linux"
#endif

// The trampoline's personality routine (defined at the end of this file).
extern "C" CGG_INTERNAL _Unwind_Reason_Code
cgg_throw_personality(int version, _Unwind_Action actions, _Unwind_Exception_Class exception_class,
                      struct _Unwind_Exception* exception, struct _Unwind_Context* ctx);

namespace cgoguard {
namespace {

// Start addresses of the functions a throw passes through on its way to our
// personality routine: the C++ runtime's (__cxa_throw, __cxa_rethrow,
// std::rethrow_exception), the unwinder's, whatever wraps them (a sanitizer
// intercepts __cxa_throw and _Unwind_RaiseException, so taking their
// addresses names the wrapper, not the code that runs), and this file's own.
// The recorded stack starts after the outermost of them, at the code that
// threw. Found by experiment (calibrate_throw_sites), written once before
// cgg_init publishes its handlers and read-only afterwards.
struct Machinery {
  static constexpr int kMax = 32;
  int count;
  uintptr_t starts[kMax];
  uintptr_t trampoline;

  bool contains(uintptr_t start) const {
    for (int i = 0; i < count; i++) {
      if (starts[i] == start) return true;
    }
    return false;
  }
  void add(uintptr_t start) {
    if (start != 0 && !contains(start) && count < kMax) starts[count++] = start;
  }
};

Machinery machinery = {0, {}, reinterpret_cast<uintptr_t>(&cgg_call_capturing_throws)};

struct SiteWalk {
  ThrowCapture* capture;
  bool past_machinery;
};

_Unwind_Reason_Code site_walk_step(struct _Unwind_Context* ctx, void* arg) {
  auto* w = static_cast<SiteWalk*>(arg);
  uintptr_t start = _Unwind_GetRegionStart(ctx);
  // The trampoline (or, on x86-64, cgg_call itself) ends the guarded frames.
  if (start == machinery.trampoline) return _URC_END_OF_STACK;
#if defined(__x86_64__)
  if (start == cgg_call_addresses.start) return _URC_END_OF_STACK;
#endif
  ThrowCapture* c = w->capture;
  if (machinery.contains(start)) {
    // Everything recorded so far raised the exception; start over above it.
    c->nframes = 0;
    c->truncated = 0;
    w->past_machinery = true;
    return _URC_NO_REASON;
  }
  if (c->nframes < CGG_MAX_FRAMES) {
    c->frames[c->nframes++] = _Unwind_GetIP(ctx);
    return _URC_NO_REASON;
  }
  c->truncated = 1;
  // Once past the throw machinery nothing before the trampoline can reset
  // the record: stop.
  return w->past_machinery ? _URC_END_OF_STACK : _URC_NO_REASON;
}

// The three ways an exception starts its flight: a throw expression, a
// rethrow from a catch block, std::rethrow_exception.
struct ProbeError {};

__attribute__((noinline)) void probe_throw(void*) {
  throw ProbeError();
}

__attribute__((noinline)) void probe_rethrow(void*) {
  try {
    probe_throw(nullptr);
  } catch (...) {
    throw;
  }
}

__attribute__((noinline)) void probe_rethrow_exception(void*) {
  static const std::exception_ptr error = std::make_exception_ptr(ProbeError());
  std::rethrow_exception(error);
}

// Throws through the trampoline from `probe` while the machinery list is
// still incomplete, and adds the functions of every frame recorded between
// our personality routine and `probe` itself.
void calibrate_with(void (*probe)(void*)) {
  ThrowCapture capture = {};
  try {
    cgg_call_capturing_throws(probe, nullptr, &capture);
  } catch (const ProbeError&) {
  }
  const uintptr_t probe_start = reinterpret_cast<uintptr_t>(probe);
  for (int i = 0; i < capture.nframes; i++) {
    // A return address: after a call to a function that does not return
    // (__cxa_throw), it may lie past the end of its caller; the call
    // instruction lies before it, as the unwinder itself reasons.
    uintptr_t start = function_start(capture.frames[i] - 1);
    if (start == probe_start) break;
    machinery.add(start);
  }
}

}  // namespace

__attribute__((noinline)) void record_throw_site(ThrowCapture* capture) {
  SiteWalk w = {capture, false};
  capture->nframes = 0;
  capture->truncated = 0;
  _Unwind_Backtrace(site_walk_step, &w);
}

void calibrate_throw_sites() {
  if (machinery.count != 0) return;
#if defined(__x86_64__)
  // Calibration throws through the trampoline, whose personality routine is
  // not cgg_call's: name the latter's frame as machinery too.
  machinery.add(reinterpret_cast<uintptr_t>(&cgg_guard_personality));
#endif
  calibrate_with(probe_throw);
  calibrate_with(probe_rethrow);
  calibrate_with(probe_rethrow_exception);
}

}  // namespace cgoguard

// The trampoline's personality routine. In the search phase it records the
// throw site into the trampoline's ThrowCapture; it never claims the
// exception (cgg_call's catch, one frame up, does) and has nothing to clean
// up in the cleanup phase. A forced unwind (thread cancellation) has no
// search phase and is not recorded.
extern "C" _Unwind_Reason_Code cgg_throw_personality(int version, _Unwind_Action actions,
                                                     _Unwind_Exception_Class,
                                                     struct _Unwind_Exception*,
                                                     struct _Unwind_Context* ctx) {
  if (version != 1) return _URC_FATAL_PHASE1_ERROR;
  if ((actions & _UA_SEARCH_PHASE) != 0) {
    // The context describes the trampoline's frame: its frame pointer is the
    // one it set up, and the capture pointer sits next to it.
    uintptr_t fp = _Unwind_GetGR(ctx, cgoguard::kFramePointerRegister);
    cgoguard::record_throw_site(
        *reinterpret_cast<cgoguard::ThrowCapture* const*>(fp + kCaptureOffset));
  }
  return _URC_CONTINUE_UNWIND;
}

#if defined(__x86_64__)
// cgg_call's personality routine (cgg_call is guard_call_x86_64.S). It
// stands in for the catch (...) around fn that the C++ version has, plus the
// trampoline's throw-site recording, with no frame of its own between
// cgg_call and fn:
//   search phase   an exception thrown out of fn (the frame's pc is the
//                  return address of the call to fn) has its throw site
//                  recorded into the ThrowCapture in cgg_call's frame while
//                  the throwing frames still exist, and is claimed.
//   cleanup phase  in the claiming frame, the unwinder is sent to cgg_call's
//                  receiving code with the exception in the first data
//                  register, as a compiler's landing pad would get it. Any
//                  other unwind through the frame (a forced unwind: thread
//                  cancellation, which must keep going; or an exception from
//                  cgg_call's own slow paths) pops the guard and passes on.
// The frame is located by its frame pointer, which cgg_call set up and the
// unwinder restored for this context.
extern "C" _Unwind_Reason_Code cgg_guard_personality(int version, _Unwind_Action actions,
                                                     _Unwind_Exception_Class,
                                                     struct _Unwind_Exception* exception,
                                                     struct _Unwind_Context* ctx) {
  if (version != 1) return _URC_FATAL_PHASE1_ERROR;
  const uintptr_t fp = _Unwind_GetGR(ctx, cgoguard::kFramePointerRegister);
  auto* guard = reinterpret_cast<cgg_guard_frame*>(fp + CGG_ENTRY_GUARD_AT);
  const bool from_fn = _Unwind_GetIP(ctx) == cgoguard::cgg_call_addresses.fn_return;
  if ((actions & _UA_SEARCH_PHASE) != 0) {
    if (!from_fn) return _URC_CONTINUE_UNWIND;
    cgoguard::record_throw_site(
        reinterpret_cast<cgoguard::ThrowCapture*>(fp + CGG_ENTRY_CAPTURE_AT));
    return _URC_HANDLER_FOUND;
  }
  if ((actions & _UA_HANDLER_FRAME) != 0 && from_fn) {
    _Unwind_SetGR(ctx, __builtin_eh_return_data_regno(0), reinterpret_cast<uintptr_t>(exception));
    _Unwind_SetGR(ctx, __builtin_eh_return_data_regno(1), 0);
    _Unwind_SetIP(ctx, cgoguard::cgg_call_addresses.caught);
    return _URC_INSTALL_CONTEXT;
  }
  cgg_guard_leave(guard);
  return _URC_CONTINUE_UNWIND;
}
#endif
