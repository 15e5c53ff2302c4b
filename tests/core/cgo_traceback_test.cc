// cgg_cgo_traceback as the Go runtime calls it from its SIGPROF handler
// (runtime.SetCgoTraceback, WithCgoTraceback in Go): with the interrupted
// context, it reports the pc and follows the frame-pointer chain. It must
// read only memory it knows to be mapped, whatever the chain holds.
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "test_support.h"

namespace {

// runtime.SetCgoTraceback's argument (version 0).
struct TracebackArg {
  uintptr_t context;
  uintptr_t sig_context;
  uintptr_t* buf;
  uintptr_t max;
};

#if defined(__x86_64__)
void SetContext(ucontext_t* uc, uintptr_t pc, uintptr_t sp, uintptr_t fp) {
  uc->uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(pc);
  uc->uc_mcontext.gregs[REG_RSP] = static_cast<greg_t>(sp);
  uc->uc_mcontext.gregs[REG_RBP] = static_cast<greg_t>(fp);
}
#elif defined(__aarch64__)
void SetContext(ucontext_t* uc, uintptr_t pc, uintptr_t sp, uintptr_t fp) {
  uc->uc_mcontext.pc = pc;
  uc->uc_mcontext.sp = sp;
  uc->uc_mcontext.regs[29] = fp;
}
#endif

// A context interrupted on a stack of its own (a coroutine's, say: mapped
// memory below the thread's stack) whose frame-pointer record chains into an
// unmapped hole that lies between that stack and the thread's. Walking that
// chain would fault inside the Go runtime's signal handler.
[[noreturn]] void WalkChainIntoHole() {
  // The thread's stack bounds are known after its first guarded call.
  if (cgg_call(cgg_fx_empty, nullptr, nullptr) != 0) _exit(3);
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  auto* region = static_cast<unsigned char*>(
      mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (region == MAP_FAILED || munmap(region + page, page) != 0) _exit(4);
  // Lower page: the "stack" with one frame record {saved fp, return
  // address}; upper page: the hole the saved fp points into.
  auto* record = reinterpret_cast<uintptr_t*>(region + page - 64);
  uintptr_t code = reinterpret_cast<uintptr_t>(&cgg_fx_empty) + 1;
  record[0] = reinterpret_cast<uintptr_t>(region + page + 64);
  record[1] = code;
  ucontext_t uc = {};
  SetContext(&uc, code, reinterpret_cast<uintptr_t>(record) - 128,
             reinterpret_cast<uintptr_t>(record));
  uintptr_t buf[32] = {};
  TracebackArg arg = {0, reinterpret_cast<uintptr_t>(&uc), buf, 32};
  cgg_cgo_traceback(&arg);
  fprintf(stderr, "walk returned; first pc %s\n", buf[0] == code ? "reported" : "missing");
  _exit(0);
}

TEST(CgoTracebackDeathTest, ChainIntoUnmappedHoleIsNotFollowed) {
  EXPECT_EXIT(WalkChainIntoHole(), testing::ExitedWithCode(0),
              cgg_test::Output({"walk returned; first pc reported\n"}));
}

// The chain of the calling thread's real stack is still followed.
TEST(CgoTraceback, ChainOnTheThreadsStackIsFollowed) {
  ASSERT_EQ(cgg_call(cgg_fx_empty, nullptr, nullptr), 0);
  uintptr_t fp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  uintptr_t pc = reinterpret_cast<uintptr_t>(&cgg_fx_empty);
  ucontext_t uc = {};
  SetContext(&uc, pc, fp - 256, fp);
  uintptr_t buf[32] = {};
  TracebackArg arg = {0, reinterpret_cast<uintptr_t>(&uc), buf, 32};
  cgg_cgo_traceback(&arg);
  EXPECT_EQ(buf[0], pc);
  // This test's frame record leads to its callers in gtest: return addresses.
  EXPECT_NE(buf[1], 0u);
}

}  // namespace
