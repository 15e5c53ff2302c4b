// An application that replaces a thread's alternate signal stack with a
// small one after the thread's first guarded call (cgoguard only checks the
// stack when it sets a thread up): the handler must never use more of that
// stack than there is. With too little room it declines the fault, which then
// goes to the previous action (here a handler that stands for the Go
// runtime's) as if cgoguard were not there.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test_support.h"

namespace {

// The kernel's signal frame takes about 3 KiB of it (AVX-512 state), which
// leaves the handler about 1 KiB. Under AddressSanitizer the declined
// fault's way to the previous handler (chaining, and that handler itself,
// instrumented) needs more than that, so the stack is 8 KiB there: still
// less than the handler needs to capture a fault. On arm64 the kernel's
// signal frame alone is about 4.6 KiB (its sigcontext reserves 4 KiB for
// vector state; MINSIGSTKSZ is 5 KiB), more than 4 KiB: 8 KiB leaves the
// handler about 3.5 KiB there.
#if defined(__SANITIZE_ADDRESS__) || defined(__aarch64__)
constexpr size_t kSmallStack = 8192;
#else
constexpr size_t kSmallStack = 4096;
#endif
// Bytes below the small stack that the test watches (as a canary, or as a
// PROT_NONE guard).
constexpr size_t kBelow = 60 * 1024;
constexpr unsigned char kCanary = 0xA5;

unsigned char* g_block;  // [kBelow bytes watched | kSmallStack bytes of stack]

bool CanaryIntact() {
  for (size_t i = 0; i < kBelow; i++) {
    if (g_block[i] != kCanary) return false;
  }
  return true;
}

// The previous SIGSEGV action. It runs on the small stack too, and uses
// little of it: a loop, one write(2) and _exit.
void PreviousHandler(int, siginfo_t*, void*) {
  const char* msg = CanaryIntact() ? "previous handler: memory below the stack intact\n"
                                   : "previous handler: memory below the stack overwritten\n";
  ssize_t ignored = write(STDERR_FILENO, msg, strlen(msg));
  (void)ignored;
  _exit(cgg_test::kPreviousHandlerExit);
}

void InstallPrevious(void (*handler)(int, siginfo_t*, void*)) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = handler;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigfillset(&action.sa_mask);
  sigaction(SIGSEGV, &action, nullptr);
}

// Sets the thread up with a guarded call, then switches it to a stack of
// kSmallStack bytes at `stack`, and faults in a guarded call.
[[noreturn]] void FaultOnSmallStack(unsigned char* stack) {
  if (cgg_call(cgg_fx_empty, nullptr, nullptr) != 0) _exit(3);
  stack_t small = {};
  small.ss_sp = stack;
  small.ss_size = kSmallStack;
  if (sigaltstack(&small, nullptr) != 0) _exit(4);
  int rc = cgg_call(cgg_fx_null_read, nullptr, nullptr);
  fprintf(stderr, "contained: cgg_call returned %d\n", rc);
  _exit(0);
}

// A malloc'd stack with heap memory below it: a handler that overran the
// stack would write into that memory (and under AddressSanitizer, into a
// heap redzone).
TEST(SmallAltStackDeathTest, MallocdSmallStackIsNeverOverrun) {
  EXPECT_EXIT(
      {
        InstallPrevious(PreviousHandler);
        if (cgg_init(0) != 0) _exit(3);
        g_block = static_cast<unsigned char*>(malloc(kBelow + kSmallStack));
        memset(g_block, kCanary, kBelow);
        FaultOnSmallStack(g_block + kBelow);
      },
      testing::ExitedWithCode(cgg_test::kPreviousHandlerExit),
      cgg_test::Output({"previous handler: memory below the stack intact\n"}, {"contained"}));
}

// A malloc'd stack of its own: out-of-bounds writes land in the heap, which
// AddressSanitizer reports in the sanitized build.
TEST(SmallAltStackDeathTest, MallocdSmallStackAloneIsNeverOverrun) {
  EXPECT_EXIT(
      {
        InstallPrevious(PreviousHandler);
        if (cgg_init(0) != 0) _exit(3);
        static unsigned char none[kBelow];
        memset(none, kCanary, sizeof none);
        g_block = none;  // nothing to watch below this stack but the heap
        FaultOnSmallStack(static_cast<unsigned char*>(malloc(kSmallStack)));
      },
      testing::ExitedWithCode(cgg_test::kPreviousHandlerExit),
      cgg_test::Output({"previous handler: memory below the stack intact\n"}, {"contained"}));
}

// An mmap'd stack with a PROT_NONE page below it: overrunning it would fault
// inside the handler and end the process without reaching the previous
// handler.
TEST(SmallAltStackDeathTest, GuardedSmallStackIsNeverOverrun) {
  EXPECT_EXIT(
      {
        InstallPrevious(PreviousHandler);
        if (cgg_init(0) != 0) _exit(3);
        static unsigned char none[kBelow];
        memset(none, kCanary, sizeof none);
        g_block = none;
        long page = sysconf(_SC_PAGESIZE);
        void* map = mmap(nullptr, static_cast<size_t>(page) + kSmallStack, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (map == MAP_FAILED || mprotect(map, static_cast<size_t>(page), PROT_NONE) != 0) _exit(5);
        FaultOnSmallStack(static_cast<unsigned char*>(map) + page);
      },
      testing::ExitedWithCode(cgg_test::kPreviousHandlerExit),
      cgg_test::Output({"previous handler: memory below the stack intact\n"}, {"contained"}));
}

}  // namespace
