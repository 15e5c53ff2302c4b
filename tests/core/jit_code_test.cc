// Faults in code that no loaded module holds (JIT code in an anonymous
// executable mapping, with no unwind information): contained when the
// guard's record is intact, as docs/hazards.md says.
#include <string.h>
#include <sys/mman.h>

#include "test_support.h"

namespace {

#if defined(__x86_64__)

using StubFn = void (*)(void*);

// Two stubs in one RWX page: a load from address 0 (then ret), and a call
// into cgg_fx_null_write (a C function that faults) through rax.
class JitCode : public testing::Test {
 protected:
  void SetUp() override {
    page_ = static_cast<unsigned char*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(page_, MAP_FAILED);
    const unsigned char load_null[] = {0x8b, 0x04, 0x25, 0, 0, 0, 0, 0xc3};  // mov eax,[0]; ret
    memcpy(page_, load_null, sizeof load_null);
    unsigned char call_c[] = {0x48, 0x83, 0xec, 0x08,                      // sub rsp, 8
                              0x48, 0xb8, 0,    0,    0,   0, 0, 0, 0, 0,  // movabs rax, target
                              0xff, 0xd0,                                  // call rax
                              0x48, 0x83, 0xc4, 0x08, 0xc3};               // add rsp, 8; ret
    void* target = reinterpret_cast<void*>(&cgg_fx_null_write);
    memcpy(call_c + 6, &target, sizeof target);
    memcpy(page_ + 64, call_c, sizeof call_c);
    jit_page = page_;
  }
  void TearDown() override { munmap(page_, 4096); }

  static unsigned char* jit_page;
  unsigned char* page_ = nullptr;

 public:
  static void RunLoadNull(void* arg) { reinterpret_cast<StubFn>(jit_page)(arg); }
  static void RunCallC(void* arg) { reinterpret_cast<StubFn>(jit_page + 64)(arg); }
};
unsigned char* JitCode::jit_page;

TEST_F(JitCode, FaultInStubIsContained) {
  cgg_fault f;
  ASSERT_EQ(cgg_call(&JitCode::RunLoadNull, nullptr, &f), SIGSEGV) << f.what;
  EXPECT_EQ(f.addr, 0u);
  EXPECT_EQ(f.pc, reinterpret_cast<uintptr_t>(page_));
  int counter = 0;
  EXPECT_EQ(cgg_call(cgg_fx_increment, &counter, nullptr), 0);
  EXPECT_EQ(counter, 1);
}

TEST_F(JitCode, FaultInCCalledFromStubIsContainedFramesStopAtTheStub) {
  cgg_fault f;
  ASSERT_EQ(cgg_call(&JitCode::RunCallC, nullptr, &f), SIGSEGV) << f.what;
  EXPECT_TRUE(cgg_test::HasFrame(f, "cgg_fx_null_write"));
  ASSERT_GE(f.nframes, 2);
  // The last frame recorded is the return address into the stub: the
  // unwinder has nothing to go on past it.
  EXPECT_GE(f.frames[f.nframes - 1], reinterpret_cast<uintptr_t>(page_));
  EXPECT_LT(f.frames[f.nframes - 1], reinterpret_cast<uintptr_t>(page_) + 4096);
}

#endif

}  // namespace
