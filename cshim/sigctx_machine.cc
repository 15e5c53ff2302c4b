// SIGNAL CONTEXT. Reads and rewrites the interrupted machine context
// (ucontext_t). Each function only loads and stores fields of the context the
// kernel gave the handler, plus one store on the thread's own stack; nothing
// here allocates, locks or calls libc.
#include <stdint.h>
#include <ucontext.h>

#include "internal.h"

extern "C" [[noreturn]] void cgg_landing_pad(cgg_guard_frame* guard);

namespace cgoguard {

// Bytes left untouched below the owner's stack pointer before the landing
// pad's frame: the x86-64 red zone (128) plus slack.
constexpr uintptr_t kLandingGap = 256;

#if defined(__x86_64__)

uintptr_t context_pc(const void* uc) {
  return static_cast<uintptr_t>(static_cast<const ucontext_t*>(uc)->uc_mcontext.gregs[REG_RIP]);
}
uintptr_t context_sp(const void* uc) {
  return static_cast<uintptr_t>(static_cast<const ucontext_t*>(uc)->uc_mcontext.gregs[REG_RSP]);
}
uintptr_t context_frame_pointer(const void* uc) {
  return static_cast<uintptr_t>(static_cast<const ucontext_t*>(uc)->uc_mcontext.gregs[REG_RBP]);
}

void context_redirect_to_landing(void* ucp, cgg_guard_frame* guard) {
  auto* uc = static_cast<ucontext_t*>(ucp);
  // jb[2] is the owner's stack pointer saved by __builtin_setjmp; everything
  // below it belongs to the abandoned guarded frames, so the landing pad may
  // run there. This holds for a stack overflow too: that region was in use.
  uintptr_t sp = (reinterpret_cast<uintptr_t>(guard->jb[2]) - kLandingGap) & ~uintptr_t{15};
  sp -= sizeof(uintptr_t);                // as if `call` pushed a return address
  *reinterpret_cast<uintptr_t*>(sp) = 0;  // ...of 0: unwinders stop here
  uc->uc_mcontext.gregs[REG_RSP] = static_cast<greg_t>(sp);
  uc->uc_mcontext.gregs[REG_RIP] = reinterpret_cast<greg_t>(&cgg_landing_pad);
  uc->uc_mcontext.gregs[REG_RDI] = reinterpret_cast<greg_t>(guard);
  uc->uc_mcontext.gregs[REG_RBP] = 0;
  // The ABI requires the direction flag clear at a call; the faulting code
  // may have set it.
  uc->uc_mcontext.gregs[REG_EFL] &= ~static_cast<greg_t>(0x400);
}

bool context_simulate_return(void* ucp) {
  auto* uc = static_cast<ucontext_t*>(ucp);
  // A call through a bad pointer pushed its return address and jumped: the
  // caller's pc is at [rsp]. rsp was valid a moment ago (the call wrote it).
  uintptr_t sp = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RSP]);
  uc->uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(*reinterpret_cast<uintptr_t*>(sp));
  uc->uc_mcontext.gregs[REG_RSP] = static_cast<greg_t>(sp + sizeof(uintptr_t));
  return true;
}

void context_restore_pc_sp(void* ucp, uintptr_t pc, uintptr_t sp) {
  auto* uc = static_cast<ucontext_t*>(ucp);
  uc->uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(pc);
  uc->uc_mcontext.gregs[REG_RSP] = static_cast<greg_t>(sp);
}

#elif defined(__aarch64__)

uintptr_t context_pc(const void* uc) {
  return static_cast<uintptr_t>(static_cast<const ucontext_t*>(uc)->uc_mcontext.pc);
}
uintptr_t context_sp(const void* uc) {
  return static_cast<uintptr_t>(static_cast<const ucontext_t*>(uc)->uc_mcontext.sp);
}
uintptr_t context_frame_pointer(const void* uc) {
  return static_cast<uintptr_t>(static_cast<const ucontext_t*>(uc)->uc_mcontext.regs[29]);
}

void context_redirect_to_landing(void* ucp, cgg_guard_frame* guard) {
  auto* uc = static_cast<ucontext_t*>(ucp);
  uintptr_t sp = (reinterpret_cast<uintptr_t>(guard->jb[2]) - kLandingGap) & ~uintptr_t{15};
  uc->uc_mcontext.sp = sp;
  uc->uc_mcontext.pc = reinterpret_cast<uintptr_t>(&cgg_landing_pad);
  uc->uc_mcontext.regs[0] = reinterpret_cast<uintptr_t>(guard);
  uc->uc_mcontext.regs[29] = 0;  // frame pointer: unwinders stop here
  uc->uc_mcontext.regs[30] = 0;  // link register
}

bool context_simulate_return(void* ucp) {
  auto* uc = static_cast<ucontext_t*>(ucp);
  // `blr` to a bad address left the return address in the link register.
  uc->uc_mcontext.pc = uc->uc_mcontext.regs[30];
  return true;
}

void context_restore_pc_sp(void* ucp, uintptr_t pc, uintptr_t sp) {
  auto* uc = static_cast<ucontext_t*>(ucp);
  uc->uc_mcontext.pc = pc;
  uc->uc_mcontext.sp = sp;
}

#else
#error "cgoguard supports x86_64 and aarch64 Linux"
#endif

}  // namespace cgoguard
