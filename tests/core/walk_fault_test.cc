// A fault of the handler's own stack walk: code that faults with a garbage
// frame pointer, whose unwind information says the caller's frame is found
// through it, makes the unwinder read an unmapped address. The handler must
// catch that second fault, abandon the walk and still contain the first
// one — whether the kernel entered it directly (the synchronous signals are
// then unblocked by cgoguard's action itself) or another handler that
// displaced cgoguard's calls it with a mask that blocks them (the walk then
// unblocks them itself).
#include <signal.h>
#include <string.h>

#include "test_support.h"

#if defined(__x86_64__)

extern "C" void cgg_test_fault_with_bad_frame_pointer(void*);
extern "C" char cgg_test_bad_frame_pointer_fault[];

// Keeps a frame pointer (its unwind information: CFA = %rbp + 16), points
// %rbp at an unmapped page and writes to address 0.
asm(R"(
  .text
  .p2align 4
  .globl cgg_test_fault_with_bad_frame_pointer
  .type cgg_test_fault_with_bad_frame_pointer, @function
cgg_test_fault_with_bad_frame_pointer:
  .cfi_startproc
  pushq %rbp
  .cfi_def_cfa_offset 16
  .cfi_offset %rbp, -16
  movq %rsp, %rbp
  .cfi_def_cfa_register %rbp
  movq $0x1000, %rbp
  xorl %eax, %eax
cgg_test_bad_frame_pointer_fault:
  movl %eax, (%rax)
  popq %rbp
  .cfi_def_cfa %rsp, 8
  ret
  .cfi_endproc
  .size cgg_test_fault_with_bad_frame_pointer, .-cgg_test_fault_with_bad_frame_pointer
)");

namespace {

void ExpectContainedWithBrokenWalk() {
  for (int i = 0; i < 3; i++) {
    cgg_fault fault;
    ASSERT_EQ(cgg_call(cgg_test_fault_with_bad_frame_pointer, nullptr, &fault), SIGSEGV);
    EXPECT_EQ(fault.addr, 0u);
    EXPECT_EQ(fault.pc, reinterpret_cast<uintptr_t>(cgg_test_bad_frame_pointer_fault));
    // The walk broke on the first frame: only the faulting pc is known.
    EXPECT_EQ(fault.nframes, 1);
    EXPECT_EQ(cgg_guard_depth(), 0);
  }
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  EXPECT_FALSE(sigismember(&mask, SIGSEGV));
}

TEST(WalkFault, FaultWhileUnwindingIsCaughtAndTheFaultContained) {
  ASSERT_EQ(cgg_init(0), 0);
  ExpectContainedWithBrokenWalk();
}

struct sigaction g_cgoguard_action;

// A handler installed over cgoguard's that passes every signal on to it, as
// crash reporters do; its full mask blocks the synchronous signals while
// cgoguard's handler runs under it.
void DisplacingHandler(int signo, siginfo_t* info, void* ucontext) {
  g_cgoguard_action.sa_sigaction(signo, info, ucontext);
  asm volatile("" ::: "memory");  // a call, not a tail call
}

TEST(WalkFault, FaultWhileUnwindingUnderADisplacingHandlerIsCaughtToo) {
  ASSERT_EQ(cgg_init(0), 0);
  struct sigaction displacing;
  memset(&displacing, 0, sizeof displacing);
  displacing.sa_sigaction = DisplacingHandler;
  displacing.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigfillset(&displacing.sa_mask);
  ASSERT_EQ(sigaction(SIGSEGV, &displacing, &g_cgoguard_action), 0);
  ExpectContainedWithBrokenWalk();
  ASSERT_EQ(sigaction(SIGSEGV, &g_cgoguard_action, nullptr), 0);
  EXPECT_EQ(cgg_check_handlers(), 0u);
}

}  // namespace

#endif  // __x86_64__
