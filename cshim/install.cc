// Installing the handler, remembering what it displaced, detecting when
// another library installs over it, and putting it back. Ordinary context.
// What the handler reads of this (which signals are contained, where a
// declined one goes) is published through shared_state.cc.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unwind.h>

#include <atomic>
#include <mutex>

#include "internal.h"
#include "signal_table.h"

namespace cgoguard {
namespace {

std::mutex install_mutex;
// Bit set: our handler was installed for signo (contained or not).
uint32_t installed_mask = 0;

// The action each signal had before cgg_init installed ours; which slot holds
// it is published (publish_original below; chain_target(signo, true) reads
// it back). A slot is written before it is published and never after: the
// handler may read a published slot at any time. Slot 0 holds what sigaction
// reported before installing; slot 1 what the installing sigaction actually
// replaced, when another thread installed a handler between the two calls.
struct sigaction original_slots[CGG_NSIG][2];
// Actions that displaced ours, recorded by cgg_reinstall when asked to chain
// to them. Two slots per signal, used alternately, so that a handler still
// reading the previous one is not disturbed by the next reinstall.
struct sigaction displacer_action[CGG_NSIG][2];
int displacer_next[CGG_NSIG];

bool is_ours(const struct sigaction& action) {
  return (action.sa_flags & SA_SIGINFO) != 0 && action.sa_sigaction == signal_handler;
}

struct sigaction our_action() {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = signal_handler;
  // SA_ONSTACK: the handler must run on the alternate stack (stack overflow;
  // and the Go runtime treats a handler without it as fatal). SA_RESTART:
  // as the Go runtime's own. Full mask: nothing interrupts the handler.
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigfillset(&action.sa_mask);
  return action;
}

// Publishes `slot` as the action signo had before cgoguard, and as where a
// declined signo goes until cgg_reinstall says otherwise.
void publish_original(int signo, const struct sigaction* slot) {
  publish_original_action(signo, slot);
  publish_chain_target(signo, slot);
}

// Installs our handler for signo (install_mutex held). Returns 0 or -errno.
int install_signal(int signo) {
  if (installed_mask & (1u << signo)) return 0;
  struct sigaction previous;
  if (sigaction(signo, nullptr, &previous) != 0) return -errno;
  if (is_ours(previous)) {
    // Already ours (another copy of this state cannot exist; be safe anyway):
    // never record ourselves as the action to chain to.
    installed_mask |= 1u << signo;
    return 0;
  }
  // Published before our handler is live: it may run as soon as sigaction
  // below returns.
  original_slots[signo][0] = previous;
  publish_original(signo, &original_slots[signo][0]);
  struct sigaction ours = our_action();
  struct sigaction replaced;
  if (sigaction(signo, &ours, &replaced) != 0) return -errno;
  if (replaced.sa_handler != previous.sa_handler || replaced.sa_flags != previous.sa_flags) {
    // Someone installed a handler between our two calls: chain to that one.
    // Our handler is live now, so fill the unpublished slot and publish it,
    // as cgg_reinstall does, rather than rewrite the slot a handler may be
    // reading.
    original_slots[signo][1] = replaced;
    publish_original(signo, &original_slots[signo][1]);
  }
  installed_mask |= 1u << signo;
  return 0;
}

_Unwind_Reason_Code count_frame(struct _Unwind_Context*, void* arg) {
  ++*static_cast<int*>(arg);
  return _URC_NO_REASON;
}

// Performs one unwind in ordinary context so that the first unwind inside the
// handler finds libgcc's object lists and the loader's lookup data
// initialized, rather than initializing them there.
void warm_unwinder() {
  int frames = 0;
  _Unwind_Backtrace(count_frame, &frames);
  in_loaded_module(reinterpret_cast<uintptr_t>(&warm_unwinder));
}

}  // namespace
}  // namespace cgoguard

using namespace cgoguard;

extern "C" {

int cgg_init(unsigned flags) {
  if (flags & ~all_signal_flags()) return -EINVAL;
  std::lock_guard<std::mutex> lock(install_mutex);
  bool first = !initialized();
  if (first) {
    warm_unwinder();
    calibrate_throw_sites();
    // Before the handler is live: from its first fault on, it declines the
    // faults of the allocator, the loader and stdio. Without a table (out
    // of memory) they would be contained as before; nothing else fails.
    build_declined_regions();
  }
  uint32_t add = 0;
  for (const SignalInfo& s : kSignals) {
    bool contain = s.contained_by_default != ((flags & s.flag) != 0);
    // A signal contained by default that a flag opts out of is added by the
    // first cgg_init only: a later call without the flag (the Go package's,
    // say) must not undo the application's opt-out.
    if (s.contained_by_default && s.flag != 0 && !first) contain = false;
    if (contain) add |= 1u << s.signo;
  }
  for (const SignalInfo& s : kSignals) {
    if (!(add & (1u << s.signo))) continue;
    int err = install_signal(s.signo);
    if (err != 0) return err;
  }
  publish_contained(add);
  publish_initialized();
  return 0;
}

// Reads only the published mask (lock-free loads): safe in a signal handler,
// as its contract says, unlike the rest of this file.
uint32_t cgg_contained_signals(void) {
  uint32_t mask = 0;
  for (const SignalInfo& s : kSignals) {
    if (signal_contained(s.signo)) mask |= 1u << s.signo;
  }
  return mask;
}

uint32_t cgg_check_handlers(void) {
  std::lock_guard<std::mutex> lock(install_mutex);
  uint32_t displaced = 0;
  for (const SignalInfo& s : kSignals) {
    int signo = s.signo;
    if (!(installed_mask & (1u << signo))) continue;
    struct sigaction current;
    if (sigaction(signo, nullptr, &current) != 0 || !is_ours(current)) displaced |= 1u << signo;
  }
  return displaced;
}

int cgg_reinstall(unsigned flags) {
  if (flags & ~CGG_REINSTALL_CHAIN_DISPLACER) return -EINVAL;
  std::lock_guard<std::mutex> lock(install_mutex);
  if (!initialized()) return -EPERM;
  for (const SignalInfo& s : kSignals) {
    int signo = s.signo;
    if (!(installed_mask & (1u << signo))) continue;
    struct sigaction current;
    if (sigaction(signo, nullptr, &current) != 0) return -errno;
    if (is_ours(current)) continue;
    if (flags & CGG_REINSTALL_CHAIN_DISPLACER) {
      struct sigaction* slot = &displacer_action[signo][displacer_next[signo]];
      displacer_next[signo] ^= 1;
      *slot = current;
      publish_chain_target(signo, slot);
    } else {
      publish_chain_target(signo, chain_target(signo, /*loop=*/true));  // the original action
    }
    struct sigaction ours = our_action();
    if (sigaction(signo, &ours, nullptr) != 0) return -errno;
  }
  return 0;
}

}  // extern "C"
