// Stack overflow is containable: on the main thread, on a small native thread
// that had no alternate signal stack, and several times in a row.
#include <signal.h>
#include <string.h>

#include "test_support.h"

namespace {

using cgg_test::HasFrame;
using cgg_test::Tid;

// What a contained overflow must look like.
void ExpectOverflow(int rc, const cgg_fault& f, pid_t tid) {
  ASSERT_EQ(rc, SIGSEGV) << f.what;
  // The kernel reports the unmapped guard gap (main thread) or the PROT_NONE
  // guard page of a pthread stack.
  EXPECT_TRUE(f.code == SEGV_MAPERR || f.code == SEGV_ACCERR) << f.code;
  EXPECT_LT(f.addr, f.sp + 4096);
  EXPECT_GT(f.addr + 4096, f.sp);
  EXPECT_EQ(f.thread_id, static_cast<uint64_t>(tid));
  EXPECT_EQ(f.nframes, CGG_MAX_FRAMES);
  EXPECT_EQ(f.truncated, 1);
  EXPECT_TRUE(HasFrame(f, "recurse_forever"));
  cgg_symbol top;
  ASSERT_EQ(cgg_symbolize(f.pc, 0, &top), 0);
  EXPECT_STREQ(top.function, "recurse_forever");
}

TEST(StackOverflow, OnMainThreadIsContained) {
  if (!cgg_test::MainStackIsBounded()) {
    GTEST_SKIP() << "main thread stack is unlimited (ulimit -s)";
  }
  cgg_fault f;
  int rc = cgg_call(cgg_fx_stack_overflow, nullptr, &f);
  ExpectOverflow(rc, f, Tid());
  EXPECT_EQ(cgg_guard_depth(), 0);
  // The thread and its stack are fine afterwards.
  int counter = 0;
  EXPECT_EQ(cgg_call(cgg_fx_increment, &counter, nullptr), 0);
  EXPECT_EQ(counter, 1);
  int depth = 200;
  EXPECT_EQ(cgg_call(cgg_fx_deep_null_write, &depth, nullptr), SIGSEGV);
}

TEST(StackOverflow, TwiceInARowOnMainThread) {
  if (!cgg_test::MainStackIsBounded()) {
    GTEST_SKIP() << "main thread stack is unlimited (ulimit -s)";
  }
  cgg_fault first, second;
  int rc1 = cgg_call(cgg_fx_stack_overflow, nullptr, &first);
  int rc2 = cgg_call(cgg_fx_stack_overflow, nullptr, &second);
  ExpectOverflow(rc1, first, Tid());
  ExpectOverflow(rc2, second, Tid());
  EXPECT_GT(second.id, first.id);
  // Same code path, same faulting instruction.
  EXPECT_EQ(first.pc, second.pc);
}

struct SmallThreadRun {
  pid_t tid = 0;
  stack_t alt_before;
  stack_t alt_after;
  int rc[2] = {-1, -1};
  cgg_fault fault[2];
  int counter = 0;
  int clean_rc = -1;
};

void OverflowTwiceOnThisThread(void* arg) {
  auto* run = static_cast<SmallThreadRun*>(arg);
  run->tid = Tid();
  sigaltstack(nullptr, &run->alt_before);
  run->rc[0] = cgg_call(cgg_fx_stack_overflow, nullptr, &run->fault[0]);
  run->rc[1] = cgg_call(cgg_fx_stack_overflow, nullptr, &run->fault[1]);
  run->clean_rc = cgg_call(cgg_fx_increment, &run->counter, nullptr);
  sigaltstack(nullptr, &run->alt_after);
}

TEST(StackOverflow, On256KiBNativeThreadWithoutAltStack) {
  SmallThreadRun run;
  ASSERT_EQ(cgg_fx_run_on_native_thread(OverflowTwiceOnThisThread, &run, 256 * 1024), 0);
  // Precondition: a thread created by native code has no alternate stack
  // (under ASan this needs use_sigaltstack=0).
  EXPECT_TRUE(run.alt_before.ss_flags & SS_DISABLE);
  ExpectOverflow(run.rc[0], run.fault[0], run.tid);
  ExpectOverflow(run.rc[1], run.fault[1], run.tid);
  EXPECT_NE(run.tid, Tid());
  EXPECT_EQ(run.clean_rc, 0);
  EXPECT_EQ(run.counter, 1);
  // cgoguard gave the thread one, big enough for its handler.
  EXPECT_FALSE(run.alt_after.ss_flags & SS_DISABLE);
  EXPECT_FALSE(run.alt_after.ss_flags & SS_ONSTACK);
  EXPECT_GE(run.alt_after.ss_size, 16u * 1024);
}

// An alternate stack the thread already has and that is big enough is kept
// as it is (the Go runtime's, in a Go program: replacing it is fatal).
void KeepsExistingAltStack(void* arg) {
  auto* ok = static_cast<int*>(arg);
  static char stack[64 * 1024];
  stack_t mine = {};
  mine.ss_sp = stack;
  mine.ss_size = sizeof stack;
  if (sigaltstack(&mine, nullptr) != 0) return;
  cgg_fault f;
  int rc = cgg_call(cgg_fx_stack_overflow, nullptr, &f);
  stack_t now;
  sigaltstack(nullptr, &now);
  *ok = rc == SIGSEGV && now.ss_sp == stack && now.ss_size == sizeof stack;
  stack_t off = {};
  off.ss_flags = SS_DISABLE;
  sigaltstack(&off, nullptr);
}

TEST(StackOverflow, ExistingAltStackIsKeptAndUsed) {
  int ok = 0;
  ASSERT_EQ(cgg_fx_run_on_native_thread(KeepsExistingAltStack, &ok, 256 * 1024), 0);
  EXPECT_EQ(ok, 1);
}

}  // namespace
