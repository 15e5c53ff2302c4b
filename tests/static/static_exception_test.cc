// The shim linked into a fully static executable (no dynamic loader, no
// shared libstdc++ or libgcc_s): guarded faults are contained and escaping
// C++ exceptions still carry their throw site, because the throw site is
// found through unwind tables, not by interposing on a shared library.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgg_fixtures.h"
#include "cgoguard/cgoguard.h"

namespace {

// Whether `pc` (a return address) lies in the code of `fn`. The fixtures are
// a few dozen bytes each: a return address within 256 bytes of the start.
bool ReturnsInto(uintptr_t pc, void (*fn)(void)) {
  uintptr_t start = reinterpret_cast<uintptr_t>(fn);
  return pc > start && pc < start + 256;
}

TEST(StaticBinary, ExceptionCarriesItsThrowSite) {
  cgg_fault f;
  int which = 1;
  ASSERT_EQ(cgg_call(cgg_fx_cxx_throw_via, &which, &f), CGG_CXX_EXCEPTION);
  EXPECT_STREQ(f.what, "std::runtime_error: " CGG_FX_EXCEPTION_TEXT);
  ASSERT_EQ(f.nframes, 2);
  EXPECT_TRUE(ReturnsInto(f.frames[0], cgg_fx_cxx_thrower_b)) << std::hex << f.frames[0];
  EXPECT_TRUE(ReturnsInto(f.frames[1], reinterpret_cast<void (*)(void)>(cgg_fx_cxx_throw_via)))
      << std::hex << f.frames[1];
}

TEST(StaticBinary, ExceptionCaughtInsideLeavesNoTrace) {
  cgg_fault f = {};
  int caught = 0;
  ASSERT_EQ(cgg_call(cgg_fx_cxx_throw_caught_inside, &caught, &f), 0);
  EXPECT_EQ(caught, 1);
  EXPECT_EQ(f.nframes, 0);
}

TEST(StaticBinary, NullWriteIsContained) {
  cgg_fault f;
  ASSERT_EQ(cgg_call(cgg_fx_null_write, nullptr, &f), SIGSEGV);
  EXPECT_EQ(f.addr, static_cast<uintptr_t>(CGG_FX_NULL_WRITE_ADDR));
}

// glibc's allocator is inside the executable here: its symbol table names
// the entry points and the internal functions, and those are declined.
TEST(StaticBinary, AllocatorAndStdioAreDeclined) {
  ASSERT_EQ(cgg_init(0), 0);
  EXPECT_EQ(cgg_declines_pc(reinterpret_cast<uintptr_t>(&malloc)), 1);
  EXPECT_EQ(cgg_declines_pc(reinterpret_cast<uintptr_t>(&free)), 1);
  EXPECT_EQ(cgg_declines_pc(reinterpret_cast<uintptr_t>(&fwrite)), 1);
  EXPECT_EQ(cgg_declines_pc(reinterpret_cast<uintptr_t>(&qsort)), 0);
  EXPECT_EQ(cgg_declines_pc(reinterpret_cast<uintptr_t>(&cgg_fx_null_write)), 0);
}

void FaultInMallocThenSurvive() {
  cgg_init(0);
  cgg_call(cgg_fx_corrupt_fastbin_then_malloc, nullptr, nullptr);
  _exit(0);
}

TEST(StaticBinaryDeathTest, FaultInMallocIsDeclined) {
  EXPECT_EXIT(FaultInMallocThenSurvive(), testing::KilledBySignal(SIGSEGV), "");
}

}  // namespace
