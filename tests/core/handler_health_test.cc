// Another library installing its handler over cgoguard's is detected
// (cgg_check_handlers) and repaired (cgg_reinstall). libsigsegv plays that
// neighbour; it is also the evidence for the design's decision not to build
// on it: when its handler declines a fault, the handler before it never runs.
#include <signal.h>
#include <sigsegv.h>
#include <string.h>
#include <unistd.h>

#include "test_support.h"

namespace {

// A libsigsegv handler that declines every fault (returns 0), as one must
// for faults that are not its own.
int g_declined = 0;
int DeclineFault(void*, int) {
  g_declined++;
  const char msg[] = "libsigsegv handler: declined\n";
  ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)ignored;
  return 0;
}

// Handles the fault by exiting (as a program using libsigsegv for its own
// purposes might).
int ExitFromLibsigsegv(void* addr, int) {
  const char msg[] = "libsigsegv handler: took it\n";
  ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)ignored;
  _exit(reinterpret_cast<uintptr_t>(addr) == CGG_FX_NULL_WRITE_ADDR ? 43 : 44);
}

TEST(HandlerHealth, LibsigsegvDisplacementIsDetectedAndRepaired) {
  ASSERT_EQ(cgg_init(0), 0);
  ASSERT_EQ(cgg_check_handlers(), 0u);
  ASSERT_EQ(sigsegv_install_handler(DeclineFault), 0);
  // On Linux libsigsegv 2.14 takes SIGSEGV only (SIGBUS stays ours).
  EXPECT_EQ(cgg_check_handlers(), 1u << SIGSEGV);
  cgg_stats stats;
  cgg_get_stats(&stats);
  EXPECT_EQ(stats.displaced, 1u << SIGSEGV);

  ASSERT_EQ(cgg_reinstall(0), 0);
  EXPECT_EQ(cgg_check_handlers(), 0u);
  cgg_fault f;
  EXPECT_EQ(cgg_call(cgg_fx_null_write, nullptr, &f), SIGSEGV);
  EXPECT_EQ(f.addr, CGG_FX_NULL_WRITE_ADDR);
  EXPECT_EQ(g_declined, 0);  // libsigsegv's handler was not involved

  // libsigsegv's clean-up resets SIGSEGV to SIG_DFL: displaced again.
  sigsegv_deinstall_handler();
  EXPECT_EQ(cgg_check_handlers(), 1u << SIGSEGV);
  ASSERT_EQ(cgg_reinstall(0), 0);
  EXPECT_EQ(cgg_check_handlers(), 0u);
  EXPECT_EQ(cgg_call(cgg_fx_null_write, nullptr, &f), SIGSEGV);
}

// While displaced, cgoguard contains nothing: a guarded fault goes to
// libsigsegv, whose declining ends the process. cgg_check_handlers exists to
// notice this state.
TEST(HandlerHealthDeathTest, WhileDisplacedGuardedFaultIsNotContained) {
  EXPECT_EXIT(
      {
        if (cgg_init(0) != 0) _exit(3);
        sigsegv_install_handler(DeclineFault);
        cgg_call(cgg_fx_null_write, nullptr, nullptr);
        _exit(0);
      },
      testing::KilledBySignal(SIGSEGV), cgg_test::Output({"libsigsegv handler: declined\n"}));
}

// After the default cgg_reinstall, declined faults go to the handler from
// before cgg_init, not to the displacing one.
TEST(HandlerHealthDeathTest, ReinstallChainsToOriginalHandler) {
  EXPECT_EXIT(
      {
        cgg_test::InstallPreviousHandler(SIGSEGV, cgg_test::FunctionRange(cgg_fx_null_write));
        if (cgg_init(0) != 0) _exit(3);
        sigsegv_install_handler(ExitFromLibsigsegv);
        if (cgg_reinstall(0) != 0 || cgg_check_handlers() != 0) _exit(4);
        if (cgg_call(cgg_fx_null_write, nullptr, nullptr) != SIGSEGV) _exit(5);
        cgg_fx_null_write(nullptr);
        _exit(0);
      },
      testing::ExitedWithCode(cgg_test::kPreviousHandlerExit),
      cgg_test::Output({"previous handler: signo=11 code=1 addr=0x10 pc_in_range=1 call=1\n"},
                       {"libsigsegv handler"}));
}

// With CGG_REINSTALL_CHAIN_DISPLACER they go to the displacing handler.
TEST(HandlerHealthDeathTest, ReinstallCanChainToDisplacer) {
  EXPECT_EXIT(
      {
        cgg_test::InstallPreviousHandler(SIGSEGV, cgg_test::FunctionRange(cgg_fx_null_write));
        if (cgg_init(0) != 0) _exit(3);
        sigsegv_install_handler(ExitFromLibsigsegv);
        if (cgg_reinstall(CGG_REINSTALL_CHAIN_DISPLACER) != 0 || cgg_check_handlers() != 0)
          _exit(4);
        if (cgg_call(cgg_fx_null_write, nullptr, nullptr) != SIGSEGV) _exit(5);
        cgg_fx_null_write(nullptr);
        _exit(0);
      },
      testing::ExitedWithCode(43),
      cgg_test::Output({"libsigsegv handler: took it\n"}, {"previous handler"}));
}

// DESIGN.md: "libsigsegv cannot sit in front of the Go runtime". With a
// previous SA_SIGINFO handler (standing for Go's) and libsigsegv installed
// over it, a fault that libsigsegv's handler declines kills the process by
// SIGSEGV; the previous handler never runs. (cgoguard chains instead: see
// unguarded_death_test.cc, PreviousHandlerDeathTest.)
TEST(HandlerHealthDeathTest, LibsigsegvNeverChainsToThePreviousHandler) {
  EXPECT_EXIT(
      {
        cgg_test::InstallPreviousHandler(SIGSEGV, cgg_test::FunctionRange(cgg_fx_null_write));
        if (sigsegv_install_handler(DeclineFault) != 0) _exit(3);
        cgg_fx_null_write(nullptr);
        _exit(0);
      },
      testing::KilledBySignal(SIGSEGV),
      cgg_test::Output({"libsigsegv handler: declined\n"}, {"previous handler"}));
}

}  // namespace
