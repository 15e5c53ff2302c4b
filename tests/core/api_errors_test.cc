// Argument errors and limits of the C API: each returns the documented error
// and has no side effect.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include "test_support.h"

namespace {

int g_runs = 0;
void CountRun(void*) {
  g_runs++;
}

TEST(ApiErrors, CallWithNullFunction) {
  cgg_fault f;
  memset(&f, 0x5A, sizeof f);
  EXPECT_EQ(cgg_call(nullptr, nullptr, &f), -EINVAL);
  EXPECT_EQ(reinterpret_cast<unsigned char*>(&f)[0], 0x5A);  // record untouched
  EXPECT_EQ(cgg_guard_depth(), 0);
}

TEST(ApiErrors, InitWithUnknownFlag) {
  EXPECT_EQ(cgg_init(0x80), -EINVAL);
  EXPECT_EQ(cgg_init(CGG_CONTAIN_ABORT | 0x100), -EINVAL);
}

// In a fresh process: a rejected cgg_init installs nothing.
TEST(ApiErrorsDeathTest, RejectedInitInstallsNothing) {
  EXPECT_EXIT(
      {
        int rc = cgg_init(0x80);
        struct sigaction action;
        sigaction(SIGSEGV, nullptr, &action);
        fprintf(stderr, "rc=%d default=%d\n", rc, action.sa_handler == SIG_DFL);
        _exit(0);
      },
      testing::ExitedWithCode(0),
      cgg_test::Output({"rc=" + std::to_string(-EINVAL) + " default=1\n"}));
}

TEST(ApiErrorsDeathTest, ReinstallBeforeInit) {
  EXPECT_EXIT(
      {
        fprintf(stderr, "reinstall=%d check=%u\n", cgg_reinstall(0), cgg_check_handlers());
        _exit(0);
      },
      testing::ExitedWithCode(0),
      cgg_test::Output({"reinstall=" + std::to_string(-EPERM) + " check=0\n"}));
}

TEST(ApiErrors, ReinstallWithUnknownFlag) {
  ASSERT_EQ(cgg_init(0), 0);
  EXPECT_EQ(cgg_reinstall(0x2), -EINVAL);
  EXPECT_EQ(cgg_reinstall(0), 0);
  EXPECT_EQ(cgg_check_handlers(), 0u);
}

TEST(ApiErrors, SymbolizeNullOut) {
  EXPECT_EQ(cgg_symbolize(reinterpret_cast<uintptr_t>(&cgg_fx_null_write), 0, nullptr), -EINVAL);
}

TEST(ApiErrors, SymbolizeAddressInNoModule) {
  cgg_symbol s;
  EXPECT_EQ(cgg_symbolize(0x1000, 0, &s), -ENOENT);
  EXPECT_EQ(s.pc, 0x1000u);
  EXPECT_STREQ(s.function, "");
  EXPECT_STREQ(s.module, "");
}

TEST(ApiErrors, SymbolizeFaultBadArguments) {
  cgg_fault f;
  ASSERT_EQ(cgg_call(cgg_fx_null_write, nullptr, &f), SIGSEGV);
  cgg_symbol out[4];
  EXPECT_EQ(cgg_symbolize_fault(nullptr, out, 4), -EINVAL);
  EXPECT_EQ(cgg_symbolize_fault(&f, nullptr, 4), -EINVAL);
  EXPECT_EQ(cgg_symbolize_fault(&f, out, -1), -EINVAL);
  EXPECT_EQ(cgg_symbolize_fault(&f, out, 0), 0);
  // max bounds the output.
  EXPECT_EQ(cgg_symbolize_fault(&f, out, 1), 1);
  EXPECT_STREQ(out[0].function, "cgg_fx_null_write");
}

void Report(const cgg_fault*, void*) {}

TEST(ApiErrors, ReportAddNullAndRemoveUnknown) {
  EXPECT_EQ(cgg_report_add(nullptr, nullptr), -EINVAL);
  EXPECT_EQ(cgg_report_remove(0), -ENOENT);
  EXPECT_EQ(cgg_report_remove(987654), -ENOENT);
  int id = cgg_report_add(Report, nullptr);
  ASSERT_GT(id, 0);
  EXPECT_EQ(cgg_report_remove(id), 0);
  EXPECT_EQ(cgg_report_remove(id), -ENOENT);  // not twice
}

TEST(ApiErrors, ReportAddBeyondTheLimit) {
  int ids[CGG_MAX_REPORTERS];
  for (int i = 0; i < CGG_MAX_REPORTERS; i++) {
    ids[i] = cgg_report_add(Report, nullptr);
    ASSERT_GT(ids[i], 0);
  }
  EXPECT_EQ(cgg_report_add(Report, nullptr), -ENOSPC);
  for (int id : ids) EXPECT_EQ(cgg_report_remove(id), 0);
  int again = cgg_report_add(Report, nullptr);
  EXPECT_GT(again, 0);
  EXPECT_EQ(cgg_report_remove(again), 0);
}

// Guards nest up to CGG_MAX_GUARD_DEPTH; one more is refused without running.
struct Descent {
  int deepest = 0;
  int refused_rc = 0;
};
Descent g_descent;

void Descend(void*) {
  int depth = cgg_guard_depth();
  if (depth > g_descent.deepest) g_descent.deepest = depth;
  if (depth < CGG_MAX_GUARD_DEPTH) {
    cgg_call(Descend, nullptr, nullptr);
  } else {
    g_runs = 0;
    g_descent.refused_rc = cgg_call(CountRun, nullptr, nullptr);
  }
}

TEST(ApiErrors, GuardDepthLimit) {
  ASSERT_EQ(cgg_call(Descend, nullptr, nullptr), 0);
  EXPECT_EQ(g_descent.deepest, CGG_MAX_GUARD_DEPTH);
  EXPECT_EQ(g_descent.refused_rc, -EOVERFLOW);
  EXPECT_EQ(g_runs, 0);
  EXPECT_EQ(cgg_guard_depth(), 0);
  // And all is well after.
  EXPECT_EQ(cgg_call(cgg_fx_null_write, nullptr, nullptr), SIGSEGV);
}

TEST(ApiErrors, GuardEnterNullFrame) {
  EXPECT_EQ(cgg_guard_enter(nullptr, nullptr, nullptr), -EINVAL);
  EXPECT_EQ(cgg_guard_depth(), 0);
}

// Documented as a no-op; a dereference would crash the test.
TEST(ApiErrors, StatsNullIsANoOp) {
  cgg_get_stats(nullptr);
}

TEST(ApiErrors, VersionMatchesTheHeader) {
  std::string expected = std::to_string(CGG_VERSION_MAJOR) + "." +
                         std::to_string(CGG_VERSION_MINOR) + "." +
                         std::to_string(CGG_VERSION_PATCH);
  EXPECT_EQ(std::string(cgg_version()), expected);
}

}  // namespace
