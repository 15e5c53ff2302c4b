// The guard's fast path does not save the signal mask; after a contained
// fault the mask must nonetheless be what it was (the handler's full mask must
// not leak out), or the next fault on the thread would kill the process.
#include <pthread.h>
#include <signal.h>

#include <thread>

#include "test_support.h"

namespace {

constexpr int kFaultSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};

sigset_t CurrentMask() {
  sigset_t set;
  sigemptyset(&set);
  pthread_sigmask(SIG_BLOCK, nullptr, &set);
  return set;
}

TEST(SignalMask, FaultSignalsUnblockedAfterContainedFault) {
  cgg_fault f;
  ASSERT_EQ(cgg_call(cgg_fx_null_write, nullptr, &f), SIGSEGV);
  sigset_t mask = CurrentMask();
  for (int signo : kFaultSignals) EXPECT_FALSE(sigismember(&mask, signo)) << "signal " << signo;
  // And so a second fault right away is contained too.
  cgg_fault again;
  ASSERT_EQ(cgg_call(cgg_fx_null_write, nullptr, &again), SIGSEGV);
  EXPECT_EQ(again.addr, CGG_FX_NULL_WRITE_ADDR);
  EXPECT_GT(again.id, f.id);
}

TEST(SignalMask, CallersMaskIsRestoredExactly) {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigset_t saved;
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &block, &saved), 0);
  sigset_t before = CurrentMask();

  ASSERT_EQ(cgg_call(cgg_fx_readonly_write, nullptr, nullptr), SIGSEGV);
  sigset_t after = CurrentMask();
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);

  for (int signo = 1; signo < NSIG; signo++) {
    EXPECT_EQ(sigismember(&after, signo), sigismember(&before, signo)) << "signal " << signo;
  }
  EXPECT_TRUE(sigismember(&after, SIGUSR1));
}

// Every signal kind, back to back, several rounds, on one thread: each fault
// finds the mask in order.
TEST(SignalMask, AllSignalKindsBackToBack) {
  if (!cgg_test::MainStackIsBounded()) {
    GTEST_SKIP() << "main thread stack is unlimited (ulimit -s)";
  }
  ASSERT_NE(cgg_fx_bus_address(), 0u);
  struct Kind {
    void (*fn)(void*);
    int signo;
  };
  const Kind kinds[] = {
    {cgg_fx_null_read, SIGSEGV},
    {cgg_fx_bus_past_eof, SIGBUS},
#if defined(__x86_64__)
    {cgg_fx_divide_by_zero, SIGFPE},
#endif
    {cgg_fx_illegal_instruction, SIGILL},
    {cgg_fx_trap, SIGTRAP},
    {cgg_fx_stack_overflow, SIGSEGV}
  };
  for (int round = 0; round < 3; round++) {
    for (const Kind& k : kinds) {
      cgg_fault f;
      ASSERT_EQ(cgg_call(k.fn, nullptr, &f), k.signo) << "round " << round;
      sigset_t mask = CurrentMask();
      for (int signo : kFaultSignals) ASSERT_FALSE(sigismember(&mask, signo));
    }
  }
}

TEST(SignalMask, UnblockedAfterFaultOnOtherThread) {
  bool unblocked = false;
  int rc2 = -1;
  std::thread([&] {
    if (cgg_call(cgg_fx_null_write, nullptr, nullptr) != SIGSEGV) return;
    sigset_t mask = CurrentMask();
    unblocked = !sigismember(&mask, SIGSEGV) && !sigismember(&mask, SIGBUS);
    rc2 = cgg_call(cgg_fx_null_write, nullptr, nullptr);
  }).join();
  EXPECT_TRUE(unblocked);
  EXPECT_EQ(rc2, SIGSEGV);
}

}  // namespace
