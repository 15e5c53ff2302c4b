// Abandoned guards. A guarded function that leaves by longjmp() over
// cgg_call abandons the guard exactly as a Go panic unwinding through C
// frames does: the guard stays in the thread's list though its frame is gone.
// cgoguard must report it, repair it, drop it on the next cgg_call, and never
// jump into it.
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "test_support.h"

namespace {

jmp_buf g_escape;
// A stack address inside the abandoned guarded call (below the guard).
volatile uintptr_t g_abandoned_sp;

void EscapeFromGuard(void*) {
  g_abandoned_sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  longjmp(g_escape, 1);
}

// Runs a guarded call that escapes by longjmp, one frame below the caller.
__attribute__((noinline)) bool AbandonGuard() {
  if (setjmp(g_escape) == 0) {
    cgg_call(EscapeFromGuard, nullptr, nullptr);
    return false;  // not reached: the guarded function never returns
  }
  return true;
}

TEST(StaleGuard, AbandonedGuardIsCountedAndRepaired) {
  ASSERT_TRUE(AbandonGuard());
  EXPECT_EQ(cgg_guard_depth(), 1);
  EXPECT_EQ(cgg_repair_thread(), 1);
  EXPECT_EQ(cgg_guard_depth(), 0);
  EXPECT_EQ(cgg_repair_thread(), 0);
}

// A new cgg_call higher up the stack than the abandoned guard drops it.
TEST(StaleGuard, NewCallDropsAbandonedGuard) {
  ASSERT_TRUE(AbandonGuard());
  ASSERT_EQ(cgg_guard_depth(), 1);
  cgg_fault f;
  EXPECT_EQ(cgg_call(cgg_fx_null_write, nullptr, &f), SIGSEGV);
  EXPECT_EQ(f.addr, CGG_FX_NULL_WRITE_ADDR);
  EXPECT_EQ(cgg_guard_depth(), 0);

  ASSERT_TRUE(AbandonGuard());
  int counter = 0;
  EXPECT_EQ(cgg_call(cgg_fx_increment, &counter, nullptr), 0);
  EXPECT_EQ(counter, 1);
  EXPECT_EQ(cgg_guard_depth(), 0);
}

// Repair from inside a live guarded call keeps that live guard.
struct InsideLive {
  int depth_after_abandon = -1;
  int dropped = -1;
  int depth_after_repair = -1;
};

void AbandonAndRepairInside(void* arg) {
  auto* r = static_cast<InsideLive*>(arg);
  if (!AbandonGuard()) return;
  r->depth_after_abandon = cgg_guard_depth();
  r->dropped = cgg_repair_thread();
  r->depth_after_repair = cgg_guard_depth();
  cgg_fx_readonly_write(nullptr);  // must be caught by the live guard
}

TEST(StaleGuard, RepairKeepsLiveGuards) {
  InsideLive r;
  cgg_fault f;
  ASSERT_EQ(cgg_call(AbandonAndRepairInside, &r, &f), SIGSEGV);
  EXPECT_EQ(r.depth_after_abandon, 2);
  EXPECT_EQ(r.dropped, 1);
  EXPECT_EQ(r.depth_after_repair, 1);
  EXPECT_EQ(f.addr, cgg_fx_readonly_address());
  EXPECT_EQ(cgg_guard_depth(), 0);
}

// A new guard deeper than the abandoned one catches its own fault; the
// abandoned one above it stays until repaired.
__attribute__((noinline)) int GuardedFaultDeeper(int levels) {
  volatile char pad[512];
  pad[0] = static_cast<char>(levels);
  if (levels > 0) return GuardedFaultDeeper(levels - 1) + pad[0] - pad[0];
  cgg_fault f;
  int rc = cgg_call(cgg_fx_null_write, nullptr, &f);
  return rc == SIGSEGV && f.addr == CGG_FX_NULL_WRITE_ADDR ? rc : -1;
}

TEST(StaleGuard, DeeperNewGuardCatchesItsOwnFault) {
  ASSERT_TRUE(AbandonGuard());
  EXPECT_EQ(GuardedFaultDeeper(4), SIGSEGV);
  EXPECT_EQ(cgg_guard_depth(), 1);
  EXPECT_EQ(cgg_repair_thread(), 1);
  EXPECT_EQ(cgg_guard_depth(), 0);
}

// An unguarded fault deeper on the stack than an abandoned guard. The guard
// lies above the faulting stack pointer, so only the handler's walk up the
// faulting stack can tell that its owner frame is gone. Each level has a
// frame of a different size from AbandonGuard's and cgg_call's, so no frame
// of this chain sits exactly where the dead owner was.
__attribute__((noinline)) void UnguardedFaultDeeper(int levels) {
  volatile char pad[384];
  pad[0] = static_cast<char>(levels);
  if (levels > 0) {
    UnguardedFaultDeeper(levels - 1);
  } else {
    // Make sure this really is below the abandoned guarded call.
    if (reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) >= g_abandoned_sp) _exit(3);
    cgg_fx_null_write(nullptr);
  }
  __asm__ volatile("" : : "r"(pad) : "memory");  // keeps the frame: no tail call
}

TEST(StaleGuardDeathTest, UnguardedFaultDeeperIsNotCaughtByDeadGuard) {
  EXPECT_EXIT(
      {
        if (!AbandonGuard() || cgg_guard_depth() != 1) _exit(4);
        UnguardedFaultDeeper(4);
        _exit(0);
      },
      testing::KilledBySignal(SIGSEGV), cgg_test::Output({}, {"cgoguard: fatal"}));
}

// The same, with a previous handler: the fault reaches it as the kernel
// delivered it, which tells "declined" apart from "jumped into the dead
// guard and crashed there".
TEST(StaleGuardDeathTest, UnguardedFaultDeeperGoesToPreviousHandler) {
  EXPECT_EXIT(
      {
        cgg_test::InstallPreviousHandler(SIGSEGV, cgg_test::FunctionRange(cgg_fx_null_write));
        if (cgg_init(0) != 0) _exit(5);
        if (!AbandonGuard() || cgg_guard_depth() != 1) _exit(4);
        UnguardedFaultDeeper(4);
        _exit(0);
      },
      testing::ExitedWithCode(cgg_test::kPreviousHandlerExit),
      cgg_test::Output({"previous handler: signo=11 code=1 addr=0x10 pc_in_range=1 call=1\n"}));
}

// The hardest case for the handler: after the abandonment, a different
// function runs exactly where the dead owner (cgg_call) ran — same caller,
// same stack position, and, built with a frame pointer, the same frame
// pointer value — and faults further down. Walking the stack cannot tell it
// from the owner; the guard record it covers no longer holds the guard, and
// the handler must see that instead of jumping through it.
jmp_buf g_twin_escape;
volatile uintptr_t g_owner_fp;

__attribute__((optimize("no-omit-frame-pointer"), noinline)) void EscapeRecordingOwner(void*) {
  // cgg_call keeps a frame pointer; each frame's saved frame pointer is its
  // caller's. On x86-64 cgg_call calls us directly; elsewhere the throw-site
  // trampoline, which keeps one too, sits in between.
  auto* caller_fp = *static_cast<uintptr_t**>(__builtin_frame_address(0));
#if defined(__x86_64__)
  g_owner_fp = reinterpret_cast<uintptr_t>(caller_fp);
#else
  g_owner_fp = *caller_fp;
#endif
  longjmp(g_twin_escape, 1);
}

#if defined(__aarch64__)
// arm64 keeps a function's frame record (and points its frame pointer) at
// the bottom of its frame, so only a frame exactly as large as cgg_call's
// would have cgg_call's frame pointer. CallWithFramePointer(fp, fn) calls
// fn(nullptr) with x29 = fp instead; its unwind information finds its caller
// through sp, so unwinders see a well-formed chain through it.
extern "C" void CallWithFramePointer(uintptr_t fp, void (*fn)(void*));
asm(R"(
  .text
  .p2align 2
  .type CallWithFramePointer, %function
CallWithFramePointer:
  .cfi_startproc
  stp x29, x30, [sp, #-16]!
  .cfi_def_cfa_offset 16
  .cfi_offset 29, -16
  .cfi_offset 30, -8
  mov x16, x1
  mov x29, x0
  mov x0, xzr
  blr x16
  ldp x29, x30, [sp], #16
  .cfi_restore 29
  .cfi_restore 30
  .cfi_def_cfa_offset 0
  ret
  .cfi_endproc
  .size CallWithFramePointer, .-CallWithFramePointer
)");
#endif

__attribute__((optimize("no-omit-frame-pointer"), noinline)) void Impostor() {
  // A frame larger than cgg_call's, so that it covers the dead guard record,
  // and filled as a busy function would fill it.
  volatile char locals[2048];
  memset(const_cast<char*>(locals), 0x41, sizeof locals);
#if defined(__aarch64__)
  CallWithFramePointer(g_owner_fp, cgg_fx_null_write);
#else
  if (reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) != g_owner_fp) _exit(3);
  cgg_fx_null_write(nullptr);
#endif
  __asm__ volatile("" : : "r"(locals) : "memory");
}

// Calls cgg_call (abandoning its guard) or Impostor from the same place.
__attribute__((noinline)) void Twin(bool abandon) {
  if (abandon) {
    if (setjmp(g_twin_escape) == 0) cgg_call(EscapeRecordingOwner, nullptr, nullptr);
  } else {
    Impostor();
  }
  __asm__ volatile("" ::: "memory");
}

TEST(StaleGuardDeathTest, FrameInTheDeadOwnersPlaceIsNotTrusted) {
  EXPECT_EXIT(
      {
        cgg_test::InstallPreviousHandler(SIGSEGV, cgg_test::FunctionRange(cgg_fx_null_write));
        if (cgg_init(0) != 0) _exit(5);
        Twin(true);
        if (cgg_guard_depth() != 1) _exit(4);
        Twin(false);
        _exit(0);
      },
      testing::ExitedWithCode(cgg_test::kPreviousHandlerExit),
      cgg_test::Output({"previous handler: signo=11 code=1 addr=0x10 pc_in_range=1 call=1\n"}));
}

}  // namespace
