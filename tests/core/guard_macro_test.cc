// CGG_GUARD, the in-place guard for C: same containment as cgg_call, driven
// from functions compiled as C (guard_macro_c.c).
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include <thread>

#include "guard_macro_c.h"
#include "test_support.h"

namespace {

using cgg_test::HasFrame;
using cgg_test::Tid;

TEST(GuardMacro, FaultIsContained) {
  cgg_stats before = cgg_test::Stats();
  cgg_fault f;
  memset(&f, 0xAB, sizeof f);
  ASSERT_EQ(cgg_test_guard_null_write(&f), SIGSEGV);
  EXPECT_EQ(f.signo, SIGSEGV);
  EXPECT_EQ(f.code, SEGV_MAPERR);
  EXPECT_EQ(f.addr, CGG_FX_NULL_WRITE_ADDR);
  EXPECT_NE(f.pc, 0u);
  EXPECT_EQ(f.thread_id, static_cast<uint64_t>(Tid()));
  ASSERT_GE(f.nframes, 2);
  EXPECT_TRUE(HasFrame(f, "cgg_fx_null_write"));
  // The guard's owner is the C function itself (no trampoline frame).
  EXPECT_TRUE(HasFrame(f, "cgg_test_guard_null_write"));
  EXPECT_EQ(cgg_last_fault(), &f);
  EXPECT_EQ(cgg_guard_depth(), 0);
  EXPECT_EQ(cgg_test::Stats().contained[SIGSEGV] - before.contained[SIGSEGV], 1u);
  // The mask is restored, so the next fault is contained as well.
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  EXPECT_FALSE(sigismember(&mask, SIGSEGV));
  EXPECT_EQ(cgg_test_guard_null_write(&f), SIGSEGV);
}

TEST(GuardMacro, StatementThatCompletesReturnsZero) {
  int counter = 5;
  cgg_fault f;
  memset(&f, 0x5A, sizeof f);
  EXPECT_EQ(cgg_test_guard_increment(&counter, &f), 0);
  EXPECT_EQ(counter, 6);
  EXPECT_EQ(reinterpret_cast<unsigned char*>(&f)[0], 0x5A);
  EXPECT_EQ(cgg_guard_depth(), 0);
}

TEST(GuardMacro, GuardIsArmedInsideTheStatement) {
  int depth = -1;
  EXPECT_EQ(cgg_test_guard_depth_inside(&depth), 0);
  EXPECT_EQ(depth, 1);
  EXPECT_EQ(cgg_guard_depth(), 0);
}

TEST(GuardMacro, NullOutLeavesRecordInLastFault) {
  ASSERT_EQ(cgg_test_guard_readonly_write_no_out(), SIGSEGV);
  const cgg_fault* last = cgg_last_fault();
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->addr, cgg_fx_readonly_address());
  EXPECT_EQ(last->code, SEGV_ACCERR);
}

TEST(GuardMacro, NestedMacrosAndInsideCgoCall) {
  ASSERT_NE(cgg_fx_bus_address(), 0u);
  int inner_rc = -1;
  cgg_fault inner, outer;
  ASSERT_EQ(cgg_test_guard_nested(&inner_rc, &inner, &outer), SIGBUS);
  EXPECT_EQ(inner_rc, SIGSEGV);
  EXPECT_EQ(inner.addr, CGG_FX_NULL_WRITE_ADDR);
  EXPECT_EQ(outer.addr, cgg_fx_bus_address());
  EXPECT_EQ(cgg_guard_depth(), 0);

  // A macro guard inside a cgg_call guard: the macro (innermost) catches.
  struct Args {
    int rc = -1;
    cgg_fault f;
  } args;
  ASSERT_EQ(cgg_call(
                [](void* p) {
                  auto* a = static_cast<Args*>(p);
                  a->rc = cgg_test_guard_null_write(&a->f);
                },
                &args, nullptr),
            0);
  EXPECT_EQ(args.rc, SIGSEGV);
}

int g_reports = 0;
void CountReport(const cgg_fault* f, void*) {
  if (f->addr == CGG_FX_NULL_WRITE_ADDR) g_reports++;
}

TEST(GuardMacro, FaultIsReported) {
  int id = cgg_report_add(CountReport, nullptr);
  ASSERT_GT(id, 0);
  g_reports = 0;
  cgg_fault f;
  EXPECT_EQ(cgg_test_guard_null_write(&f), SIGSEGV);
  EXPECT_EQ(cgg_report_remove(id), 0);
  EXPECT_EQ(g_reports, 1);
}

TEST(GuardMacro, WorksOnAnotherThread) {
  int rc = -1;
  pid_t tid = 0;
  cgg_fault f;
  std::thread([&] {
    tid = Tid();
    rc = cgg_test_guard_null_write(&f);
  }).join();
  EXPECT_EQ(rc, SIGSEGV);
  EXPECT_EQ(f.thread_id, static_cast<uint64_t>(tid));
}

}  // namespace
