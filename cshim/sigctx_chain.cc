// SIGNAL CONTEXT. Passes a signal that cgoguard declined to the action that was
// installed before it, exactly as the kernel delivered it, and ends the
// process when that action is the default one.
//
// Why a direct call: the Go runtime turns a fault in Go code into a panic by
// editing the ucontext and returning, so its handler must see the very
// siginfo and ucontext the kernel gave us, and must stay reachable for the
// next fault. "Restore the old action and return" would be one-shot.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "signal_table.h"

namespace cgoguard {
namespace {

// True for a signal the kernel raised for a fault of the interrupted
// instruction (si_code > 0); kill, raise, tgkill and sigqueue give <= 0.
bool kernel_fault(int signo, const siginfo_t* info) {
  const SignalInfo* s = find_signal(signo);
  return info != nullptr && info->si_code > 0 && s != nullptr && s->synchronous;
}

// Most faults re-execute the faulting instruction when the handler returns,
// so with the default action restored the kernel delivers them again and
// ends the process with the original siginfo (and core dump).
bool refaults_on_return(int signo, const siginfo_t* info) {
  return kernel_fault(signo, info) && find_signal(signo)->refaults_on_return;
}

// Resets `signo` to SIG_DFL and makes the default action happen now.
// sigaction, sigprocmask, tgkill, getpid, gettid and _exit are all on the
// POSIX/Linux list of async-signal-safe functions.
void take_default_action(int signo, const siginfo_t* info) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigaction(signo, &dfl, nullptr);
  if (refaults_on_return(signo, info)) return;
  // SIGTRAP from int3, SIGABRT from abort() and signals sent by kill() are
  // not raised again by returning: raise it ourselves, unblocked.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), signo);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  // Still alive: the default action of this signal is to ignore it.
}

size_t length(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') n++;
  return n;
}

}  // namespace

void chain_to_previous(int signo, siginfo_t* info, void* ucontext) {
  ThreadState* ts = &tls_thread;
  // If the action we chain to calls us back (a handler that displaced ours
  // and chains to its own predecessor, which is us), chain_target() hands out
  // the original pre-cgoguard action the second time instead of looping.
  const struct sigaction* prev = chain_target(signo, ts->chaining != 0);
  count_chained(signo);
  if (prev == nullptr || prev->sa_handler == SIG_DFL) {
    take_default_action(signo, info);
    return;
  }
  if (prev->sa_handler == SIG_IGN) {
    // The kernel never lets a synchronous fault be ignored (it would loop):
    // it forces the default action. Mirror that; ignore anything else.
    if (kernel_fault(signo, info)) take_default_action(signo, info);
    return;
  }
  int was_chaining = ts->chaining;
  ts->chaining = 1;
  if (prev->sa_flags & SA_SIGINFO) {
    prev->sa_sigaction(signo, info, ucontext);
  } else {
    prev->sa_handler(signo);
  }
  ts->chaining = was_chaining;
}

void die_with_message(int signo, const char* msg) {
  // write(2) is async-signal-safe; its result is irrelevant on the way out.
  ssize_t ignored = write(STDERR_FILENO, msg, length(msg));
  (void)ignored;
  siginfo_t none;
  memset(&none, 0, sizeof none);
  take_default_action(signo, &none);
  _exit(128 + signo);
}

}  // namespace cgoguard
