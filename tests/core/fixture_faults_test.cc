// Every crash fixture run under cgg_call: the call returns the signal, and the
// record holds the kernel's si_code and si_addr, the faulting pc, raw frames
// that symbolize to the fixture, and the faulting thread. Also the cases that
// must NOT be contained (raise(), abort() without CGG_CONTAIN_ABORT).
#include <signal.h>
#include <string.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace {

using cgg_test::HasFrame;
using cgg_test::HasFrameContaining;
using cgg_test::Tid;

// Where a fixture's si_addr points.
enum class AddrIs {
  kExact,      // a fixed data address, given by Case::addr
  kPc,         // the faulting instruction (SIGFPE, SIGILL, SIGTRAP from arm64's brk)
  kZero,       // none (SIGTRAP from x86-64's int3, SIGABRT)
  kNearStack,  // the stack overflow: next to the faulting stack pointer
  kFromArg,    // an address the fixture stored at *(uintptr_t*)arg
};

struct Case {
  const char* name;
  void (*fn)(void*);
  void* arg;
  int signo;
  std::vector<int> codes;  // accepted si_code values
  AddrIs addr_is;
  uintptr_t (*addr)();              // for kExact
  const char* at_pc;                // function holding the faulting pc, or nullptr
  std::vector<const char*> frames;  // functions that must appear among the frames
  unsigned init_flags;
  bool x86_64_only;
};

uintptr_t NullReadAddr() {
  return CGG_FX_NULL_READ_ADDR;
}
uintptr_t NullWriteAddr() {
  return CGG_FX_NULL_WRITE_ADDR;
}
uintptr_t BadCallAddr() {
  return CGG_FX_BAD_CALL_ADDR;
}
uintptr_t WriteToAddr() {
  return 0x2340;
}

uintptr_t g_write_to_target = 0x2340;
uintptr_t g_unmapped_address = 0;
int g_deep_levels = 20;
long g_spin_iterations = 1000;
cgg_fx_callback g_faulting_callback = {cgg_fx_null_write, nullptr};

#if defined(__x86_64__)
const std::vector<int> kIllCodes = {ILL_ILLOPN};  // ud2
constexpr int kTrapCode = SI_KERNEL;              // int3
constexpr AddrIs kTrapAddr = AddrIs::kZero;
#else
// udf: Linux says ILL_ILLOPC; qemu-user, which runs the arm64 tests in CI,
// says ILL_ILLOPN for the same instruction.
const std::vector<int> kIllCodes = {ILL_ILLOPC, ILL_ILLOPN};
constexpr int kTrapCode = TRAP_BRKPT;      // brk
constexpr AddrIs kTrapAddr = AddrIs::kPc;  // arm64 reports the brk's address
#endif

const std::vector<Case>& Cases() {
  // One row per fixture: name, function, argument, signal, accepted si_code,
  // where si_addr points, function at the pc, functions among the frames,
  // cgg_init flags, x86-64 only.
  // clang-format off
  static const std::vector<Case> cases = {
      {"NullRead", cgg_fx_null_read, nullptr, SIGSEGV, {SEGV_MAPERR},
       AddrIs::kExact, NullReadAddr, "cgg_fx_null_read", {"cgg_fx_null_read"}, 0, false},
      {"NullWrite", cgg_fx_null_write, nullptr, SIGSEGV, {SEGV_MAPERR},
       AddrIs::kExact, NullWriteAddr, "cgg_fx_null_write", {"cgg_fx_null_write"}, 0, false},
      {"ReadonlyWrite", cgg_fx_readonly_write, nullptr, SIGSEGV, {SEGV_ACCERR},
       AddrIs::kExact, cgg_fx_readonly_address, "cgg_fx_readonly_write",
       {"cgg_fx_readonly_write"}, 0, false},
      // The pc is the bad address itself; the caller is found from the return
      // address the call left.
      {"BadFunctionPointer", cgg_fx_bad_function_pointer, nullptr, SIGSEGV, {SEGV_MAPERR},
       AddrIs::kExact, BadCallAddr, nullptr, {"cgg_fx_bad_function_pointer"}, 0, false},
      // The main thread's stack grows into the unmapped guard gap (MAPERR); a
      // stack with a PROT_NONE guard page gives ACCERR.
      {"StackOverflow", cgg_fx_stack_overflow, nullptr, SIGSEGV, {SEGV_MAPERR, SEGV_ACCERR},
       AddrIs::kNearStack, nullptr, "recurse_forever", {"recurse_forever"}, 0, false},
      {"BusPastEof", cgg_fx_bus_past_eof, nullptr, SIGBUS, {BUS_ADRERR},
       AddrIs::kExact, cgg_fx_bus_address, "cgg_fx_bus_past_eof", {"cgg_fx_bus_past_eof"}, 0,
       false},
      {"DivideByZero", cgg_fx_divide_by_zero, nullptr, SIGFPE, {FPE_INTDIV},
       AddrIs::kPc, nullptr, "cgg_fx_divide_by_zero", {"cgg_fx_divide_by_zero"}, 0, true},
      {"IllegalInstruction", cgg_fx_illegal_instruction, nullptr, SIGILL, kIllCodes,
       AddrIs::kPc, nullptr, "cgg_fx_illegal_instruction", {"cgg_fx_illegal_instruction"}, 0,
       false},
      {"Trap", cgg_fx_trap, nullptr, SIGTRAP, {kTrapCode},
       kTrapAddr, nullptr, "cgg_fx_trap", {"cgg_fx_trap"}, 0, false},
      // abort() raises the signal in libc (pthread_kill); the fixture is
      // further out.
      {"Abort", cgg_fx_abort, nullptr, SIGABRT, {SI_TKILL},
       AddrIs::kZero, nullptr, nullptr, {"cgg_fx_abort", "abort"}, CGG_CONTAIN_ABORT, false},
      {"AssertFail", cgg_fx_assert_fail, nullptr, SIGABRT, {SI_TKILL},
       AddrIs::kZero, nullptr, nullptr, {"cgg_fx_assert_fail", "__assert_fail"},
       CGG_CONTAIN_ABORT, false},
      // The fault happens under libc frames; the walk must get through them.
      {"QsortCallback", cgg_fx_fault_in_qsort_callback, nullptr, SIGSEGV, {SEGV_MAPERR},
       AddrIs::kExact, NullWriteAddr, "compare_faulting",
       {"compare_faulting", "cgg_fx_fault_in_qsort_callback"}, 0, false},
      {"CallCallback", cgg_fx_call_callback, &g_faulting_callback, SIGSEGV, {SEGV_MAPERR},
       AddrIs::kExact, NullWriteAddr, "cgg_fx_null_write",
       {"cgg_fx_null_write", "cgg_fx_call_callback"}, 0, false},
      {"DeepNullWrite", cgg_fx_deep_null_write, &g_deep_levels, SIGSEGV, {SEGV_MAPERR},
       AddrIs::kExact, NullWriteAddr, "cgg_fx_null_write", {"deep", "cgg_fx_deep_null_write"},
       0, false},
      {"WriteTo", cgg_fx_write_to, &g_write_to_target, SIGSEGV, {SEGV_MAPERR},
       AddrIs::kExact, WriteToAddr, "cgg_fx_write_to", {"cgg_fx_write_to"}, 0, false},
      {"SpinThenFault", cgg_fx_spin_then_fault, &g_spin_iterations, SIGSEGV, {SEGV_MAPERR},
       AddrIs::kExact, NullWriteAddr, "cgg_fx_null_write",
       {"cgg_fx_null_write", "cgg_fx_spin_then_fault"}, 0, false},
      // The kinds met in production.
      {"UseAfterMunmap", cgg_fx_use_after_munmap, &g_unmapped_address, SIGSEGV, {SEGV_MAPERR},
       AddrIs::kFromArg, nullptr, "cgg_fx_use_after_munmap", {"cgg_fx_use_after_munmap"}, 0,
       false},
      {"WriteToCode", cgg_fx_write_to_code, nullptr, SIGSEGV, {SEGV_ACCERR},
       AddrIs::kExact, cgg_fx_code_address, "cgg_fx_write_to_code", {"cgg_fx_write_to_code"}, 0,
       false},
      // std::terminate ends in abort(): the signal is raised in libc, under
      // the C++ runtime's frames. For the noexcept violation the runtime
      // terminates while it searches for a handler, so the throwing frames
      // are still on the stack (and the exception stays uncaught for good).
      {"NoexceptViolation", cgg_fx_noexcept_violation, nullptr, SIGABRT, {SI_TKILL},
       AddrIs::kZero, nullptr, nullptr,
       {"cgg_fx_noexcept_violation", "cgg_fx::promises_not_to_throw()", "__cxa_throw", "abort"},
       CGG_CONTAIN_ABORT, false},
      {"PureVirtualCall", cgg_fx_pure_virtual_call, nullptr, SIGABRT, {SI_TKILL},
       AddrIs::kZero, nullptr, nullptr,
       {"cgg_fx_pure_virtual_call", "__cxa_pure_virtual", "abort"}, CGG_CONTAIN_ABORT, false},
  };
  // clang-format on
  return cases;
}

// Names the parameter in test output and ctest listings.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

// "SIGSEGV" for SIGSEGV, from glibc's own table.
std::string SignalName(int signo) {
  return std::string("SIG") + sigabbrev_np(signo);
}

class FixtureFault : public testing::TestWithParam<Case> {};

TEST_P(FixtureFault, IsContainedWithExactRecord) {
  const Case& c = GetParam();
#if !defined(__x86_64__)
  if (c.x86_64_only) {
    GTEST_SKIP() << "this architecture does not trap on integer division by zero";
  }
#endif
  if (c.fn == cgg_fx_stack_overflow && !cgg_test::MainStackIsBounded()) {
    GTEST_SKIP() << "main thread stack is unlimited (ulimit -s)";
  }
  ASSERT_EQ(cgg_init(c.init_flags), 0);
  uintptr_t expected_addr = c.addr != nullptr ? c.addr() : 0;
  if (c.addr_is == AddrIs::kExact && c.addr == cgg_fx_bus_address) {
    ASSERT_NE(expected_addr, 0u);
  }

  cgg_fault fault;
  memset(&fault, 0xAB, sizeof fault);  // nothing may be left over from before
  int rc = cgg_call(c.fn, c.arg, &fault);

  ASSERT_EQ(rc, c.signo) << fault.what;
  EXPECT_EQ(fault.signo, c.signo);
  EXPECT_NE(std::find(c.codes.begin(), c.codes.end(), fault.code), c.codes.end())
      << "si_code " << fault.code;
  switch (c.addr_is) {
    case AddrIs::kExact:
      EXPECT_EQ(fault.addr, expected_addr);
      break;
    case AddrIs::kPc:
      EXPECT_EQ(fault.addr, fault.pc);
      break;
    case AddrIs::kZero:
      EXPECT_EQ(fault.addr, 0u);
      break;
    case AddrIs::kFromArg:
      EXPECT_NE(*static_cast<uintptr_t*>(c.arg), 0u);
      EXPECT_EQ(fault.addr, *static_cast<uintptr_t*>(c.arg));
      break;
    case AddrIs::kNearStack:
      // The overflowing push or store lands within a frame of the stack pointer.
      EXPECT_LT(fault.addr, fault.sp + 4096);
      EXPECT_GT(fault.addr + 4096, fault.sp);
      break;
  }
  EXPECT_NE(fault.pc, 0u);
  EXPECT_NE(fault.sp, 0u);
  if (c.fn == cgg_fx_bad_function_pointer) {
    EXPECT_EQ(fault.pc, CGG_FX_BAD_CALL_ADDR);
  }
  ASSERT_GE(fault.nframes, 2);
  ASSERT_LE(fault.nframes, CGG_MAX_FRAMES);
  EXPECT_EQ(fault.frames[0], fault.pc);
  // Only the stack overflow is deeper than CGG_MAX_FRAMES.
  EXPECT_EQ(fault.truncated, c.fn == cgg_fx_stack_overflow ? 1 : 0);
  EXPECT_EQ(fault.thread_id, static_cast<uint64_t>(Tid()));
  EXPECT_GT(fault.id, 0u);
  std::string what = fault.what;
  EXPECT_EQ(what.rfind(SignalName(c.signo) + ": ", 0), 0u) << what;
  EXPECT_EQ(cgg_last_fault(), &fault);
  EXPECT_EQ(cgg_guard_depth(), 0);

  if (c.at_pc != nullptr) {
    cgg_symbol at_pc;
    ASSERT_EQ(cgg_symbolize(fault.pc, 0, &at_pc), 0);
    EXPECT_STREQ(at_pc.function, c.at_pc);
  }
  for (const char* name : c.frames) EXPECT_TRUE(HasFrame(fault, name));
#if defined(__x86_64__)
  // The instruction bytes confirm the pc: ud2 is 0f 0b; int3 (cc) traps
  // after executing, so the pc follows it.
  if (c.signo == SIGILL) {
    EXPECT_EQ(reinterpret_cast<const uint8_t*>(fault.pc)[0], 0x0f);
    EXPECT_EQ(reinterpret_cast<const uint8_t*>(fault.pc)[1], 0x0b);
  }
  if (c.signo == SIGTRAP) {
    EXPECT_EQ(reinterpret_cast<const uint8_t*>(fault.pc)[-1], 0xcc);
  }
#elif defined(__aarch64__)
  // udf #0 is the all-zero word; brk #0 is d4200000 and traps before
  // executing, so the pc is its own.
  if (c.signo == SIGILL) {
    EXPECT_EQ(*reinterpret_cast<const uint32_t*>(fault.pc), 0x00000000u);
  }
  if (c.signo == SIGTRAP) {
    EXPECT_EQ(*reinterpret_cast<const uint32_t*>(fault.pc), 0xd4200000u);
  }
#endif
}

INSTANTIATE_TEST_SUITE_P(AllFixtures, FixtureFault, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

TEST(FixtureFault, CxxExceptionIsReturnedWithItsMessage) {
  cgg_stats before = cgg_test::Stats();
  cgg_fault fault;
  memset(&fault, 0xAB, sizeof fault);
  int rc = cgg_call(cgg_fx_cxx_throw, nullptr, &fault);
  ASSERT_EQ(rc, CGG_CXX_EXCEPTION);
  EXPECT_EQ(fault.signo, CGG_CXX_EXCEPTION);
  EXPECT_EQ(fault.code, 0);
  EXPECT_EQ(std::string(fault.what), std::string("std::runtime_error: ") + CGG_FX_EXCEPTION_TEXT);
  // The frames of the throw site (exception_site_test.cc checks them).
  EXPECT_TRUE(cgg_test::HasFrame(fault, "cgg_fx_cxx_throw"));
  EXPECT_EQ(fault.thread_id, static_cast<uint64_t>(Tid()));
  EXPECT_GT(fault.id, 0u);
  EXPECT_EQ(cgg_last_fault(), &fault);
  EXPECT_EQ(cgg_guard_depth(), 0);
  EXPECT_EQ(cgg_test::Stats().cxx_exceptions, before.cxx_exceptions + 1);
}

TEST(FixtureFault, NonStdExceptionIsReturnedWithItsType) {
  cgg_fault fault;
  int rc = cgg_call(cgg_fx_cxx_throw_int, nullptr, &fault);
  ASSERT_EQ(rc, CGG_CXX_EXCEPTION);
  EXPECT_EQ(fault.signo, CGG_CXX_EXCEPTION);
  EXPECT_EQ(std::string(fault.what), "int: exception not derived from std::exception");
  EXPECT_TRUE(cgg_test::HasFrame(fault, "cgg_fx_cxx_throw_int"));
}

TEST(FixtureFault, ForeignExceptionIsReturnedWithItsType) {
  cgg_fault fault;
  memset(&fault, 0xAB, sizeof fault);
  int rc = cgg_call(cgg_fx_cxx_throw_foreign, nullptr, &fault);
  ASSERT_EQ(rc, CGG_CXX_EXCEPTION);
  EXPECT_EQ(fault.signo, CGG_CXX_EXCEPTION);
  EXPECT_EQ(fault.code, 0);
  EXPECT_EQ(fault.addr, 0u);
  EXPECT_EQ(std::string(fault.what),
            "cgg_fx::LegacyError: exception not derived from std::exception");
  EXPECT_TRUE(cgg_test::HasFrame(fault, "cgg_fx_cxx_throw_foreign"));
  EXPECT_EQ(cgg_guard_depth(), 0);
}

struct NativeThreadRun {
  int rc = -1;
  pid_t tid = 0;
  int depth_after = -1;
  cgg_fault fault;
};

void GuardedNullWriteBody(void* arg) {
  auto* run = static_cast<NativeThreadRun*>(arg);
  run->tid = Tid();
  run->rc = cgg_call(cgg_fx_null_write, nullptr, &run->fault);
  run->depth_after = cgg_guard_depth();
}

// The frames of a fault run from the faulting pc up to the function that
// called the guard's owner (cgg_call here), and stop there: the walk ends at
// the owner, whose caller is the last frame recorded.
__attribute__((noinline)) int NullWriteGuardedFromHere(cgg_fault* fault) {
  int rc = cgg_call(cgg_fx_null_write, nullptr, fault);
  asm volatile("" ::: "memory");  // keeps cgg_call a call, not a tail call
  return rc;
}

__attribute__((noinline)) int NullWriteTwoCallsBelowTheTest(cgg_fault* fault) {
  int rc = NullWriteGuardedFromHere(fault);
  asm volatile("" ::: "memory");
  return rc;
}

TEST(FixtureFault, FramesEndAtTheCallerOfTheGuardsOwner) {
  cgg_fault fault;
  ASSERT_EQ(NullWriteTwoCallsBelowTheTest(&fault), SIGSEGV);
  std::vector<std::string> names = cgg_test::FrameFunctions(fault);
  ASSERT_EQ(names.size(), 3u) << cgg_test::DescribeFrames(fault);
  EXPECT_EQ(names[0], "cgg_fx_null_write");
  EXPECT_EQ(names[1], "cgg_call");
  EXPECT_NE(names[2].find("NullWriteGuardedFromHere"), std::string::npos)
      << cgg_test::DescribeFrames(fault);
  EXPECT_EQ(fault.truncated, 0);
}

TEST(FixtureFault, NativeThreadFaultIsContainedOnThatThread) {
  NativeThreadRun run;
  ASSERT_EQ(cgg_fx_run_on_native_thread(GuardedNullWriteBody, &run, 0), 0);
  ASSERT_EQ(run.rc, SIGSEGV);
  EXPECT_NE(run.tid, Tid());
  EXPECT_EQ(run.fault.thread_id, static_cast<uint64_t>(run.tid));
  EXPECT_EQ(run.fault.code, SEGV_MAPERR);
  EXPECT_EQ(run.fault.addr, CGG_FX_NULL_WRITE_ADDR);
  EXPECT_EQ(run.depth_after, 0);
  EXPECT_TRUE(HasFrame(run.fault, "cgg_fx_null_write"));
  EXPECT_TRUE(HasFrameContaining(run.fault, "GuardedNullWriteBody"));
}

TEST(FixtureFault, LastFaultHoldsTheRecordWhenOutIsNull) {
  // A thread that never faulted has no record.
  const cgg_fault* on_fresh_thread = reinterpret_cast<const cgg_fault*>(1);
  std::thread([&] { on_fresh_thread = cgg_last_fault(); }).join();
  EXPECT_EQ(on_fresh_thread, nullptr);

  ASSERT_EQ(cgg_call(cgg_fx_null_write, nullptr, nullptr), SIGSEGV);
  const cgg_fault* last = cgg_last_fault();
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->signo, SIGSEGV);
  EXPECT_EQ(last->addr, CGG_FX_NULL_WRITE_ADDR);
  EXPECT_EQ(last->thread_id, static_cast<uint64_t>(Tid()));
  EXPECT_TRUE(HasFrame(*last, "cgg_fx_null_write"));
  uint64_t first_id = last->id;

  // The next contained fault replaces it.
  ASSERT_EQ(cgg_call(cgg_fx_readonly_write, nullptr, nullptr), SIGSEGV);
  last = cgg_last_fault();
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->addr, cgg_fx_readonly_address());
  EXPECT_GT(last->id, first_id);

  // A clean call leaves it alone.
  int counter = 0;
  ASSERT_EQ(cgg_call(cgg_fx_increment, &counter, nullptr), 0);
  EXPECT_EQ(counter, 1);
  EXPECT_EQ(cgg_last_fault(), last);
  EXPECT_EQ(last->addr, cgg_fx_readonly_address());
}

TEST(FixtureFault, CleanCallReturnsZeroAndLeavesTheRecordAlone) {
  cgg_fault fault;
  memset(&fault, 0x5A, sizeof fault);
  int counter = 41;
  ASSERT_EQ(cgg_call(cgg_fx_increment, &counter, &fault), 0);
  EXPECT_EQ(counter, 42);
  // Records are touched only on the fault path.
  cgg_fault untouched;
  memset(&untouched, 0x5A, sizeof untouched);
  EXPECT_EQ(memcmp(&fault, &untouched, sizeof fault), 0);
}

// Death-test body for a fault cgoguard must not contain: after
// cgg_init(flags), calls `fn` under a guard and, should the process live on,
// says "survived" (which the tests require to be absent) and exits with 0.
[[noreturn]] void CallAndReportSurvival(unsigned flags, void (*fn)(void*)) {
  cgg_init(flags);
  cgg_call(fn, nullptr, nullptr);
  fprintf(stderr, "survived\n");
  _exit(0);
}

// raise() is a signal sent by the process, not a fault of the guarded code:
// cgoguard must pass it on, here to the default action.
TEST(FixtureFaultDeathTest, RaisedSegvIsNotContained) {
  EXPECT_EXIT(CallAndReportSurvival(0, cgg_fx_raise_segv), testing::KilledBySignal(SIGSEGV),
              cgg_test::Output({}, {"survived"}));
}

// With a previous handler that returns, the raised signal reaches it exactly
// as the kernel delivered it, and the guarded call then returns normally.
TEST(FixtureFaultDeathTest, RaisedSegvGoesToThePreviousHandler) {
  EXPECT_EXIT(
      {
        cgg_test::InstallRecordingHandler(SIGSEGV);
        cgg_init(0);
        cgg_fault fault;
        int rc = cgg_call(cgg_fx_raise_segv, nullptr, &fault);
        fprintf(stderr, "rc=%d calls=%d signo=%d code=%d\n", rc,
                static_cast<int>(cgg_test::g_seen.calls), static_cast<int>(cgg_test::g_seen.signo),
                static_cast<int>(cgg_test::g_seen.code));
        _exit(0);
      },
      testing::ExitedWithCode(0),
      cgg_test::Output({"rc=0 calls=1 signo=11 code=" + std::to_string(SI_TKILL) + "\n"}));
}

TEST(FixtureFaultDeathTest, AbortWithoutContainAbortKillsTheProcess) {
  EXPECT_EXIT(CallAndReportSurvival(0, cgg_fx_abort), testing::KilledBySignal(SIGABRT),
              cgg_test::Output({}, {"survived"}));
}

TEST(FixtureFaultDeathTest, AssertWithoutContainAbortKillsTheProcess) {
  EXPECT_EXIT(
      {
        cgg_init(0);
        cgg_call(cgg_fx_assert_fail, nullptr, nullptr);
        _exit(0);
      },
      testing::KilledBySignal(SIGABRT), cgg_test::Output({"assertion failed on purpose"}));
}

// The std::terminate and glibc kinds end the process with SIGABRT unless
// abort containment is on, after the runtime's own message.
TEST(FixtureFaultDeathTest, NoexceptViolationWithoutContainAbortKillsTheProcess) {
  EXPECT_EXIT(
      CallAndReportSurvival(0, cgg_fx_noexcept_violation), testing::KilledBySignal(SIGABRT),
      cgg_test::Output({"terminate called after throwing an instance of 'std::runtime_error'",
                        CGG_FX_NOEXCEPT_TEXT},
                       {"survived"}));
}

TEST(FixtureFaultDeathTest, PureVirtualCallWithoutContainAbortKillsTheProcess) {
  EXPECT_EXIT(CallAndReportSurvival(0, cgg_fx_pure_virtual_call), testing::KilledBySignal(SIGABRT),
              cgg_test::Output({"pure virtual method called"}, {"survived"}));
}

TEST(FixtureFaultDeathTest, DoubleFreeWithoutContainAbortKillsTheProcess) {
  EXPECT_EXIT(CallAndReportSurvival(0, cgg_fx_double_free), testing::KilledBySignal(SIGABRT),
              cgg_test::Output({"free(): double free detected"}, {"survived"}));
}

// glibc's abort comes from inside free: the allocator is on the faulting
// stack, so the fault is declined even with CGG_CONTAIN_ABORT (cgoguard
// cannot tell whether free held its arena lock there).
TEST(FixtureFaultDeathTest, DoubleFreeIsDeclinedEvenWithContainAbort) {
  EXPECT_EXIT(CallAndReportSurvival(CGG_CONTAIN_ABORT, cgg_fx_double_free),
              testing::KilledBySignal(SIGABRT),
              cgg_test::Output({"free(): double free detected"}, {"survived"}));
}

// The first cgg_init decides about SIGTRAP: with CGG_NO_TRAP it is chained.
TEST(FixtureFaultDeathTest, TrapWithNoTrapFlagKillsTheProcess) {
  EXPECT_EXIT(CallAndReportSurvival(CGG_NO_TRAP, cgg_fx_trap), testing::KilledBySignal(SIGTRAP),
              cgg_test::Output({}, {"survived"}));
}

}  // namespace
