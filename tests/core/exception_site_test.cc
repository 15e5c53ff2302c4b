// C++ exceptions escaping a guard carry the native frames of their throw
// site; exceptions caught inside native code leave no trace.
#include <string.h>

#include <string>
#include <thread>

#include "test_support.h"

namespace {

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

cgg_symbol Symbol(uintptr_t pc) {
  cgg_symbol s;
  EXPECT_EQ(cgg_symbolize(pc, 1, &s), 0);
  return s;
}

TEST(ExceptionSite, InnermostFrameIsTheThrowStatement) {
  cgg_fault f;
  ASSERT_EQ(cgg_call(cgg_fx_cxx_throw, nullptr, &f), CGG_CXX_EXCEPTION);
  ASSERT_GE(f.nframes, 1) << "no frames recorded at the throw";
  cgg_symbol top = Symbol(f.frames[0]);
  EXPECT_STREQ(top.function, "cgg_fx_cxx_throw") << cgg_test::DescribeFrames(f);
  EXPECT_TRUE(EndsWith(top.file, "tests/fixtures/fixtures_cxx.cc")) << top.file;
  EXPECT_EQ(top.line, cgg_fx_cxx_throw_line);
  // The throw machinery (__cxa_throw, the unwinder) and cgoguard's own
  // frames are not part of the stack.
  for (const std::string& name : cgg_test::FrameFunctions(f)) {
    EXPECT_EQ(name.find("cxa_throw"), std::string::npos) << cgg_test::DescribeFrames(f);
    EXPECT_EQ(name.find("Unwind"), std::string::npos) << cgg_test::DescribeFrames(f);
    EXPECT_EQ(name.find("cgg_call"), std::string::npos) << cgg_test::DescribeFrames(f);
  }
  EXPECT_EQ(f.truncated, 0);
}

TEST(ExceptionSite, CallersOfTheThrowerFollowIt) {
  cgg_fault f;
  int which = 1;
  ASSERT_EQ(cgg_call(cgg_fx_cxx_throw_via, &which, &f), CGG_CXX_EXCEPTION);
  ASSERT_GE(f.nframes, 2) << cgg_test::DescribeFrames(f);
  EXPECT_STREQ(Symbol(f.frames[0]).function, "cgg_fx_cxx_thrower_b") << cgg_test::DescribeFrames(f);
  EXPECT_STREQ(Symbol(f.frames[1]).function, "cgg_fx_cxx_throw_via") << cgg_test::DescribeFrames(f);
}

TEST(ExceptionSite, TwoThrowersUnderOneEntryPointDiffer) {
  cgg_fault a;
  cgg_fault b;
  int which_a = 0;
  int which_b = 1;
  ASSERT_EQ(cgg_call(cgg_fx_cxx_throw_via, &which_a, &a), CGG_CXX_EXCEPTION);
  ASSERT_EQ(cgg_call(cgg_fx_cxx_throw_via, &which_b, &b), CGG_CXX_EXCEPTION);
  EXPECT_STREQ(a.what, b.what);  // same type, same text...
  ASSERT_GE(a.nframes, 1);
  ASSERT_GE(b.nframes, 1);
  // ...but different throw sites.
  EXPECT_STREQ(Symbol(a.frames[0]).function, "cgg_fx_cxx_thrower_a");
  EXPECT_STREQ(Symbol(b.frames[0]).function, "cgg_fx_cxx_thrower_b");
}

TEST(ExceptionSite, SymbolizeFaultTreatsEveryExceptionFrameAsAReturnAddress) {
  cgg_fault f;
  ASSERT_EQ(cgg_call(cgg_fx_cxx_throw, nullptr, &f), CGG_CXX_EXCEPTION);
  ASSERT_GE(f.nframes, 1);
  cgg_symbol syms[CGG_MAX_FRAMES];
  ASSERT_EQ(cgg_symbolize_fault(&f, syms, CGG_MAX_FRAMES), f.nframes);
  EXPECT_EQ(syms[0].line, cgg_fx_cxx_throw_line);
  EXPECT_EQ(syms[0].line, Symbol(f.frames[0]).line);
}

// A rethrow is where the exception last took flight: that is its site.
TEST(ExceptionSite, RethrowIsTheSite) {
  cgg_fault f;
  ASSERT_EQ(cgg_call(cgg_fx_cxx_rethrow, nullptr, &f), CGG_CXX_EXCEPTION);
  ASSERT_GE(f.nframes, 1);
  EXPECT_STREQ(Symbol(f.frames[0]).function, "cgg_fx_cxx_rethrow") << cgg_test::DescribeFrames(f);
}

TEST(ExceptionSite, CaughtInsideNativeCodeLeavesNoTrace) {
  cgg_stats before = cgg_test::Stats();
  cgg_fault f;
  memset(&f, 0xAB, sizeof f);
  cgg_fault untouched;
  memset(&untouched, 0xAB, sizeof untouched);
  int caught = 0;
  ASSERT_EQ(cgg_call(cgg_fx_cxx_throw_caught_inside, &caught, &f), 0);
  EXPECT_EQ(caught, 1);
  EXPECT_EQ(memcmp(&f, &untouched, sizeof f), 0) << "the record was written";
  EXPECT_EQ(cgg_test::Stats().cxx_exceptions, before.cxx_exceptions);
  EXPECT_EQ(cgg_test::Stats().contained_total, before.contained_total);
  // A later escaping exception carries its own site, not the caught one's.
  ASSERT_EQ(cgg_call(cgg_fx_cxx_throw, nullptr, &f), CGG_CXX_EXCEPTION);
  ASSERT_GE(f.nframes, 1);
  EXPECT_STREQ(Symbol(f.frames[0]).function, "cgg_fx_cxx_throw") << cgg_test::DescribeFrames(f);
}

// Nested guards: the inner guard catches its own exception with its own
// site, the outer one later another with its own.
void InnerThenOuterThrow(void* arg) {
  auto* inner = static_cast<cgg_fault*>(arg);
  int which = 1;
  EXPECT_EQ(cgg_call(cgg_fx_cxx_throw_via, &which, inner), CGG_CXX_EXCEPTION);
  cgg_fx_cxx_thrower_a();
}

TEST(ExceptionSite, NestedGuardsKeepTheirOwnSites) {
  cgg_fault inner;
  cgg_fault outer;
  ASSERT_EQ(cgg_call(InnerThenOuterThrow, &inner, &outer), CGG_CXX_EXCEPTION);
  ASSERT_GE(inner.nframes, 1);
  ASSERT_GE(outer.nframes, 2);
  EXPECT_STREQ(Symbol(inner.frames[0]).function, "cgg_fx_cxx_thrower_b");
  EXPECT_STREQ(Symbol(outer.frames[0]).function, "cgg_fx_cxx_thrower_a");
  EXPECT_TRUE(cgg_test::HasFrameContaining(outer, "InnerThenOuterThrow"));
}

TEST(ExceptionSite, ThrowOnANativeThreadIsRecordedThere) {
  cgg_fault f;
  int rc = 0;
  std::thread t([&] { rc = cgg_call(cgg_fx_cxx_throw, nullptr, &f); });
  t.join();
  ASSERT_EQ(rc, CGG_CXX_EXCEPTION);
  ASSERT_GE(f.nframes, 1);
  EXPECT_STREQ(Symbol(f.frames[0]).function, "cgg_fx_cxx_throw");
}

}  // namespace
