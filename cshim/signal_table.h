// The one table of the signals cgoguard handles, read by installation
// (install.cc), the handler's signal masks (sigctx_capture.cc), chaining
// (sigctx_chain.cc) and fault text (sigctx_fault_text.cc). Constant data:
// safe to read in any context. Not installed.
#ifndef CGOGUARD_CSHIM_SIGNAL_TABLE_H_
#define CGOGUARD_CSHIM_SIGNAL_TABLE_H_

#include <signal.h>

#include "cgoguard/cgoguard.h"

namespace cgoguard {

struct SignalInfo {
  int signo;
  const char* name;  // "SIGSEGV"
  // Raised by the instruction that faults, on the faulting thread. The
  // handler unblocks these while it walks a faulting stack, so that a fault of
  // the walk itself reaches it.
  bool synchronous;
  // When the kernel raised it for a fault, returning from the handler runs
  // the faulting instruction again, which raises it again. (int3 and abort()
  // do not: their signal must be raised anew to take the default action.)
  bool refaults_on_return;
  // Contained by cgg_init unless `flag` says otherwise.
  bool contained_by_default;
  // The cgg_init flag that flips contained_by_default (0: none).
  unsigned flag;
};

constexpr SignalInfo kSignals[] = {
    {SIGSEGV, "SIGSEGV", true, true, true, 0},
    {SIGBUS, "SIGBUS", true, true, true, 0},
    {SIGFPE, "SIGFPE", true, true, true, 0},
    {SIGILL, "SIGILL", true, true, true, 0},
    {SIGTRAP, "SIGTRAP", true, false, true, CGG_NO_TRAP},
    {SIGABRT, "SIGABRT", false, false, false, CGG_CONTAIN_ABORT},
};

// The table entry of `signo`, or nullptr for a signal cgoguard does not handle.
constexpr const SignalInfo* find_signal(int signo) {
  for (const SignalInfo& s : kSignals) {
    if (s.signo == signo) return &s;
  }
  return nullptr;
}

// Every cgg_init flag the table knows.
constexpr unsigned all_signal_flags() {
  unsigned flags = 0;
  for (const SignalInfo& s : kSignals) flags |= s.flag;
  return flags;
}

static_assert(all_signal_flags() == (CGG_CONTAIN_ABORT | CGG_NO_TRAP),
              "every cgg_init flag is a row of the signal table");

}  // namespace cgoguard

#endif  // CGOGUARD_CSHIM_SIGNAL_TABLE_H_
