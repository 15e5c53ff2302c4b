// Counters: contained faults per signal, C++ exceptions, chained signals, the
// tainted flag and fault numbering.
#include <signal.h>
#include <unistd.h>

#include <string>

#include "test_support.h"

namespace {

using cgg_test::Stats;

struct Kind {
  const char* name;
  void (*fn)(void*);
  int signo;
};

// Names the parameter in test output and ctest listings.
void PrintTo(const Kind& k, std::ostream* os) {
  *os << k.name;
}

class ContainedCount : public testing::TestWithParam<Kind> {};

TEST_P(ContainedCount, IncrementsOnlyItsSignal) {
  const Kind& k = GetParam();
#if !defined(__x86_64__)
  if (k.signo == SIGFPE) {
    GTEST_SKIP() << "no trap on integer division by zero here";
  }
#endif
  ASSERT_EQ(cgg_init(CGG_CONTAIN_ABORT), 0);
  if (k.signo == SIGBUS) {
    ASSERT_NE(cgg_fx_bus_address(), 0u);
  }
  cgg_stats before = Stats();
  ASSERT_EQ(cgg_call(k.fn, nullptr, nullptr), k.signo);
  cgg_stats after = Stats();
  for (int s = 0; s < CGG_NSIG; s++) {
    EXPECT_EQ(after.contained[s] - before.contained[s], s == k.signo ? 1u : 0u) << "signal " << s;
    EXPECT_EQ(after.chained[s], before.chained[s]) << "signal " << s;
  }
  EXPECT_EQ(after.contained_total - before.contained_total, 1u);
  EXPECT_EQ(after.cxx_exceptions, before.cxx_exceptions);
  EXPECT_EQ(after.tainted, 1);
  EXPECT_EQ(cgg_tainted(), 1);
  EXPECT_EQ(after.displaced, 0u);
}

INSTANTIATE_TEST_SUITE_P(Signals, ContainedCount,
                         testing::Values(Kind{"Segv", cgg_fx_null_write, SIGSEGV},
                                         Kind{"Bus", cgg_fx_bus_past_eof, SIGBUS},
                                         Kind{"Fpe", cgg_fx_divide_by_zero, SIGFPE},
                                         Kind{"Ill", cgg_fx_illegal_instruction, SIGILL},
                                         Kind{"Trap", cgg_fx_trap, SIGTRAP},
                                         Kind{"Abort", cgg_fx_abort, SIGABRT}),
                         [](const testing::TestParamInfo<Kind>& info) {
                           return std::string(info.param.name);
                         });

TEST(Stats, CxxExceptionsCountedApart) {
  cgg_stats before = Stats();
  ASSERT_EQ(cgg_call(cgg_fx_cxx_throw, nullptr, nullptr), CGG_CXX_EXCEPTION);
  ASSERT_EQ(cgg_call(cgg_fx_cxx_throw_int, nullptr, nullptr), CGG_CXX_EXCEPTION);
  cgg_stats after = Stats();
  EXPECT_EQ(after.cxx_exceptions - before.cxx_exceptions, 2u);
  EXPECT_EQ(after.contained_total - before.contained_total, 2u);
  for (int s = 0; s < CGG_NSIG; s++) EXPECT_EQ(after.contained[s], before.contained[s]);
}

TEST(Stats, CleanCallsCountNothing) {
  cgg_stats before = Stats();
  int counter = 0;
  for (int i = 0; i < 100; i++) ASSERT_EQ(cgg_call(cgg_fx_increment, &counter, nullptr), 0);
  cgg_stats after = Stats();
  EXPECT_EQ(counter, 100);
  EXPECT_EQ(after.contained_total, before.contained_total);
  EXPECT_EQ(after.chained_total, before.chained_total);
}

// In a fresh process: not tainted until a signal is contained; a contained
// exception does not taint (unwinding ran the destructors).
TEST(StatsDeathTest, TaintedAfterFirstContainedSignal) {
  EXPECT_EXIT(
      {
        int counter = 0;
        int t0 = cgg_tainted();
        cgg_call(cgg_fx_increment, &counter, nullptr);
        int t1 = cgg_tainted();
        cgg_call(cgg_fx_cxx_throw, nullptr, nullptr);
        int t2 = cgg_tainted();
        cgg_call(cgg_fx_null_write, nullptr, nullptr);
        int t3 = cgg_tainted();
        fprintf(stderr, "tainted: %d %d %d %d stats=%d\n", t0, t1, t2, t3, Stats().tainted);
        _exit(0);
      },
      testing::ExitedWithCode(0), cgg_test::Output({"tainted: 0 0 0 1 stats=1\n"}));
}

// Fault numbers start at 1 and go up by one per contained fault (signals and
// exceptions alike).
TEST(StatsDeathTest, FaultIdsStartAtOneAndIncrease) {
  EXPECT_EXIT(
      {
        cgg_fault a;
        cgg_fault b;
        cgg_fault c;
        cgg_call(cgg_fx_null_write, nullptr, &a);
        cgg_call(cgg_fx_cxx_throw, nullptr, &b);
        cgg_call(cgg_fx_null_read, nullptr, &c);
        fprintf(stderr, "ids: %d %d %d\n", static_cast<int>(a.id), static_cast<int>(b.id),
                static_cast<int>(c.id));
        _exit(0);
      },
      testing::ExitedWithCode(0), cgg_test::Output({"ids: 1 2 3\n"}));
}

// A signal cgoguard declines is counted as chained, not contained.
TEST(StatsDeathTest, DeclinedSignalCountedAsChained) {
  EXPECT_EXIT(
      {
        cgg_test::InstallRecordingHandler(SIGSEGV);
        if (cgg_init(0) != 0) _exit(3);
        cgg_stats before = Stats();
        raise(SIGSEGV);                                 // unguarded
        cgg_call(cgg_fx_raise_segv, nullptr, nullptr);  // guarded, but sent, not a fault
        cgg_stats after = Stats();
        fprintf(stderr, "chained=%d total=%d contained=%d seen=%d\n",
                static_cast<int>(after.chained[SIGSEGV] - before.chained[SIGSEGV]),
                static_cast<int>(after.chained_total - before.chained_total),
                static_cast<int>(after.contained_total - before.contained_total),
                static_cast<int>(cgg_test::g_seen.calls));
        _exit(0);
      },
      testing::ExitedWithCode(0), cgg_test::Output({"chained=2 total=2 contained=0 seen=2\n"}));
}

}  // namespace
