// cgg_init: what it installs, that calling it again (from one thread or many)
// changes nothing, and that it never chains to itself.
#include <dlfcn.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace {

constexpr int kFaultSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};

struct sigaction Current(int signo) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  sigaction(signo, nullptr, &action);
  return action;
}

// Whether `action` is an SA_SIGINFO handler defined in libcgoguard.
bool IsCgoguardHandler(const struct sigaction& action) {
  if (!(action.sa_flags & SA_SIGINFO)) return false;
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(action.sa_sigaction), &info) == 0) return false;
  return info.dli_fname != nullptr && strstr(info.dli_fname, "libcgoguard") != nullptr;
}

TEST(Install, HandlerHasSigInfoOnStackAndFullMask) {
  ASSERT_EQ(cgg_init(0), 0);
  for (int signo : kFaultSignals) {
    SCOPED_TRACE(signo);
    struct sigaction action = Current(signo);
    EXPECT_TRUE(IsCgoguardHandler(action));
    // The Go runtime treats a handler without SA_ONSTACK as fatal, and a stack
    // overflow can only be handled on the alternate stack.
    EXPECT_TRUE(action.sa_flags & SA_ONSTACK);
    EXPECT_TRUE(action.sa_flags & SA_RESTART);
    for (int other = 1; other < 32; other++) {
      if (other == SIGKILL || other == SIGSTOP) continue;
      EXPECT_TRUE(sigismember(&action.sa_mask, other)) << "signal " << other << " not masked";
    }
  }
  EXPECT_EQ(cgg_check_handlers(), 0u);
}

TEST(Install, InitSeveralTimesChangesNothing) {
  ASSERT_EQ(cgg_init(0), 0);
  std::vector<struct sigaction> first;
  for (int signo : kFaultSignals) first.push_back(Current(signo));
  for (int i = 0; i < 5; i++) ASSERT_EQ(cgg_init(0), 0);
  for (size_t i = 0; i < first.size(); i++) {
    struct sigaction now = Current(kFaultSignals[i]);
    EXPECT_EQ(reinterpret_cast<void*>(now.sa_sigaction),
              reinterpret_cast<void*>(first[i].sa_sigaction));
    EXPECT_EQ(now.sa_flags, first[i].sa_flags);
  }
  EXPECT_EQ(cgg_check_handlers(), 0u);
  cgg_fault fault;
  EXPECT_EQ(cgg_call(cgg_fx_null_write, nullptr, &fault), SIGSEGV);
  EXPECT_EQ(fault.addr, CGG_FX_NULL_WRITE_ADDR);
}

// SIGABRT is taken only when CGG_CONTAIN_ABORT asks for it; a fresh process
// shows the before and after.
TEST(InstallDeathTest, AbortHandlerOnlyWithContainAbort) {
  EXPECT_EXIT(
      {
        if (cgg_init(0) != 0) _exit(3);
        bool before = Current(SIGABRT).sa_handler == SIG_DFL;
        if (cgg_init(CGG_CONTAIN_ABORT) != 0) _exit(4);
        bool after = IsCgoguardHandler(Current(SIGABRT));
        fprintf(stderr, "abort default before=%d ours after=%d\n", before, after);
        _exit(0);
      },
      testing::ExitedWithCode(0), cgg_test::Output({"abort default before=1 ours after=1\n"}));
}

// cgg_contained_signals says what a guarded call contains, as the flags of
// every cgg_init so far decided: nothing before, the fault signals after,
// SIGABRT only once asked for, SIGTRAP unless the first init refused it.
TEST(InstallDeathTest, ContainedSignalsFollowTheInitFlags) {
  EXPECT_EXIT(
      {
        uint32_t before = cgg_contained_signals();
        if (cgg_init(0) != 0) _exit(3);
        uint32_t plain = cgg_contained_signals();
        if (cgg_init(CGG_CONTAIN_ABORT) != 0) _exit(4);
        uint32_t with_abort = cgg_contained_signals();
        fprintf(stderr, "before=%#x plain=%#x with_abort=%#x\n", before, plain, with_abort);
        _exit(0);
      },
      testing::ExitedWithCode(0),
      [] {
        uint32_t plain = 1u << SIGSEGV | 1u << SIGBUS | 1u << SIGFPE | 1u << SIGILL | 1u << SIGTRAP;
        char line[96];
        snprintf(line, sizeof line, "before=0 plain=%#x with_abort=%#x\n", plain,
                 plain | 1u << SIGABRT);
        return cgg_test::Output({line});
      }());
}

TEST(InstallDeathTest, ContainedSignalsLackSigtrapWithNoTrap) {
  EXPECT_EXIT(
      {
        if (cgg_init(CGG_NO_TRAP) != 0) _exit(3);
        uint32_t mask = cgg_contained_signals();
        fprintf(stderr, "trap=%d segv=%d\n", (mask >> SIGTRAP) & 1, (mask >> SIGSEGV) & 1);
        _exit(0);
      },
      testing::ExitedWithCode(0), cgg_test::Output({"trap=0 segv=1\n"}));
}

TEST(InstallDeathTest, NoTrapLeavesSigtrapAlone) {
  EXPECT_EXIT(
      {
        if (cgg_init(CGG_NO_TRAP) != 0) _exit(3);
        fprintf(stderr, "trap default=%d segv ours=%d\n", Current(SIGTRAP).sa_handler == SIG_DFL,
                IsCgoguardHandler(Current(SIGSEGV)));
        _exit(0);
      },
      testing::ExitedWithCode(0), cgg_test::Output({"trap default=1 segv ours=1\n"}));
}

// cgg_init from many threads at once: one installation, no self-chaining.
TEST(InstallDeathTest, ConcurrentInitInstallsOnce) {
  EXPECT_EXIT(
      {
        cgg_test::InstallPreviousHandler(SIGSEGV, cgg_test::FunctionRange(cgg_fx_null_write));
        std::vector<std::thread> threads;
        for (int i = 0; i < 8; i++) threads.emplace_back([] { cgg_init(0); });
        for (std::thread& t : threads) t.join();
        if (!IsCgoguardHandler(Current(SIGSEGV)) || cgg_check_handlers() != 0) _exit(3);
        if (cgg_call(cgg_fx_null_write, nullptr, nullptr) != SIGSEGV) _exit(4);
        cgg_fx_null_write(nullptr);
        _exit(0);
      },
      testing::ExitedWithCode(cgg_test::kPreviousHandlerExit),
      cgg_test::Output({}, {},
                       {"previous handler: signo=11 code=1 addr=0x10 pc_in_range=1 call=1\n"}));
}

// A pre-existing handler, cgg_init twice (and once more with a new flag):
// an unguarded fault reaches the pre-existing handler exactly once, with no
// loop through cgoguard's own handler.
TEST(InstallDeathTest, InitTwiceChainsToPreviousHandlerOnce) {
  EXPECT_EXIT(
      {
        cgg_test::InstallPreviousHandler(SIGSEGV, cgg_test::FunctionRange(cgg_fx_null_write));
        if (cgg_init(0) != 0 || cgg_init(0) != 0 || cgg_init(CGG_CONTAIN_ABORT) != 0) _exit(3);
        cgg_fx_null_write(nullptr);
        _exit(0);
      },
      testing::ExitedWithCode(cgg_test::kPreviousHandlerExit),
      cgg_test::Output({}, {"call=2", "cgoguard: fatal"},
                       {"previous handler: signo=11 code=1 addr=0x10 pc_in_range=1 call=1\n"}));
}

}  // namespace
