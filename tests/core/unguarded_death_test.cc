// Faults outside any guard: the process must die exactly as it would without
// cgoguard (same signal), and a handler installed before cgoguard must get
// the fault with the kernel's own siginfo and ucontext.
#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "test_support.h"

namespace {

struct Case {
  const char* name;
  void (*fn)(void*);
  int signo;
  bool x86_64_only;
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"NullRead", cgg_fx_null_read, SIGSEGV, false},
      {"NullWrite", cgg_fx_null_write, SIGSEGV, false},
      {"ReadonlyWrite", cgg_fx_readonly_write, SIGSEGV, false},
      {"BadFunctionPointer", cgg_fx_bad_function_pointer, SIGSEGV, false},
      {"BusPastEof", cgg_fx_bus_past_eof, SIGBUS, false},
      {"DivideByZero", cgg_fx_divide_by_zero, SIGFPE, true},
      {"IllegalInstruction", cgg_fx_illegal_instruction, SIGILL, false},
      {"Trap", cgg_fx_trap, SIGTRAP, false},
      {"Abort", cgg_fx_abort, SIGABRT, false},
      {"QsortCallback", cgg_fx_fault_in_qsort_callback, SIGSEGV, false},
  };
  return cases;
}

// Names the parameter in test output and ctest listings.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class UnguardedDeathTest : public testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
#if !defined(__x86_64__)
    if (GetParam().x86_64_only) {
      GTEST_SKIP() << "no trap on integer division by zero here";
    }
#endif
  }
};

// The baseline the other two tests compare with.
TEST_P(UnguardedDeathTest, WithoutCgoguardDiesBySignal) {
  const Case& c = GetParam();
  EXPECT_EXIT(
      {
        c.fn(nullptr);
        _exit(0);
      },
      testing::KilledBySignal(c.signo), "");
}

TEST_P(UnguardedDeathTest, AfterInitDiesBySameSignal) {
  const Case& c = GetParam();
  EXPECT_EXIT(
      {
        // CGG_CONTAIN_ABORT: SIGABRT goes through cgoguard's handler too.
        if (cgg_init(CGG_CONTAIN_ABORT) != 0) _exit(3);
        c.fn(nullptr);
        _exit(0);
      },
      testing::KilledBySignal(c.signo), cgg_test::Output({}, {"cgoguard: fatal"}));
}

// The thread has cgoguard state (an alternate stack, a spent guard, a last
// fault): none of it may make the handler claim an unguarded fault.
TEST_P(UnguardedDeathTest, AfterContainedFaultOnSameThreadDiesBySameSignal) {
  const Case& c = GetParam();
  EXPECT_EXIT(
      {
        if (cgg_init(CGG_CONTAIN_ABORT) != 0) _exit(3);
        if (cgg_call(cgg_fx_null_write, nullptr, nullptr) != SIGSEGV) _exit(4);
        c.fn(nullptr);
        _exit(0);
      },
      testing::KilledBySignal(c.signo), cgg_test::Output({}, {"cgoguard: fatal"}));
}

INSTANTIATE_TEST_SUITE_P(AllFixtures, UnguardedDeathTest, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

// Stack overflow outside a guard, on a thread cgoguard set up (so the handler
// really runs, on the alternate stack) and on one it did not.
TEST(UnguardedStackOverflowDeathTest, DiesBySigsegv) {
  if (!cgg_test::MainStackIsBounded()) {
    GTEST_SKIP() << "main thread stack is unlimited (ulimit -s)";
  }
  EXPECT_EXIT(
      {
        static int counter = 0;
        if (cgg_call(cgg_fx_increment, &counter, nullptr) != 0) _exit(3);
        cgg_fx_stack_overflow(nullptr);
        _exit(0);
      },
      testing::KilledBySignal(SIGSEGV), cgg_test::Output({}, {"cgoguard: fatal"}));
}

TEST(UnguardedStackOverflowDeathTest, OnThreadWithoutAltStackDiesBySigsegv) {
  EXPECT_EXIT(
      {
        if (cgg_init(0) != 0) _exit(3);
        cgg_fx_run_on_native_thread(cgg_fx_stack_overflow, nullptr, 256 * 1024);
        _exit(0);
      },
      testing::KilledBySignal(SIGSEGV), "");
}

// A handler installed before cgg_init (the Go runtime's, in a Go program)
// receives unguarded faults with the original siginfo and ucontext.
struct PreviousCase {
  const char* name;
  void (*fn)(void*);
  int signo;
  std::string expected;  // what the previous handler must print
  bool x86_64_only;
};

// si_code of the undefined instruction: ILL_ILLOPN for x86-64's ud2. arm64's
// udf gives ILL_ILLOPC on Linux and ILL_ILLOPN under qemu-user (which runs
// the arm64 tests in CI): there only the prefix "code=" is checked, below.
#if defined(__x86_64__)
const std::string kIllCode = std::to_string(ILL_ILLOPN) + " addr=0x";
#else
const std::string kIllCode;
#endif

const std::vector<PreviousCase>& PreviousCases() {
  static const std::vector<PreviousCase> cases = {
      {"NullWrite", cgg_fx_null_write, SIGSEGV,
       "previous handler: signo=11 code=1 addr=0x10 pc_in_range=1 call=1\n", false},
      {"BadFunctionPointer", cgg_fx_bad_function_pointer, SIGSEGV,
       "previous handler: signo=11 code=1 addr=0x1000 pc_in_range=0 call=1\n", false},
      {"DivideByZero", cgg_fx_divide_by_zero, SIGFPE, "previous handler: signo=8 code=1 addr=0x",
       true},
      {"IllegalInstruction", cgg_fx_illegal_instruction, SIGILL,
       "previous handler: signo=4 code=" + kIllCode, false},
  };
  return cases;
}

// Names the parameter in test output and ctest listings.
void PrintTo(const PreviousCase& c, std::ostream* os) {
  *os << c.name;
}

class PreviousHandlerDeathTest : public testing::TestWithParam<PreviousCase> {};

TEST_P(PreviousHandlerDeathTest, GetsUnguardedFaultWithOriginalSiginfo) {
  const PreviousCase& c = GetParam();
#if !defined(__x86_64__)
  if (c.x86_64_only) {
    GTEST_SKIP() << "arm64 does not trap on integer division by zero";
  }
#endif
  EXPECT_EXIT(
      {
        cgg_test::InstallPreviousHandler(c.signo, cgg_test::FunctionRange(c.fn));
        if (cgg_init(0) != 0) _exit(3);
        // A contained fault first: the handler is live and the thread set up.
        if (cgg_call(cgg_fx_null_write, nullptr, nullptr) != SIGSEGV) _exit(4);
        c.fn(nullptr);
        _exit(0);
      },
      testing::ExitedWithCode(cgg_test::kPreviousHandlerExit),
      cgg_test::Output(
          {c.expected,
           "pc_in_range=" + std::string(c.fn == cgg_fx_bad_function_pointer ? "0" : "1")}));
}

INSTANTIATE_TEST_SUITE_P(Faults, PreviousHandlerDeathTest, testing::ValuesIn(PreviousCases()),
                         [](const testing::TestParamInfo<PreviousCase>& info) {
                           return std::string(info.param.name);
                         });

// Several threads: a guard armed on one thread must not catch an unguarded
// fault on another.
TEST(UnguardedOtherThreadDeathTest, GuardOnAnotherThreadDoesNotCatch) {
  EXPECT_EXIT(
      {
        cgg_test::InstallPreviousHandler(SIGSEGV, cgg_test::FunctionRange(cgg_fx_null_write));
        if (cgg_init(0) != 0) _exit(3);
        // The guarded function runs the unguarded fault on a second thread and
        // waits for it inside the guard.
        cgg_call([](void*) { cgg_fx_run_on_native_thread(cgg_fx_null_write, nullptr, 0); }, nullptr,
                 nullptr);
        _exit(0);
      },
      testing::ExitedWithCode(cgg_test::kPreviousHandlerExit),
      cgg_test::Output({"previous handler: signo=11 code=1 addr=0x10 pc_in_range=1 call=1\n"}));
}

}  // namespace
