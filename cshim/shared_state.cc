// SHARED CONTEXT. The state that set-up code (install.cc, ordinary context)
// publishes and the signal handler reads, and the counters both update:
// which signals are contained, where a declined signal goes, whether cgg_init
// ran, the code where faults are never contained, and how many faults were
// contained, declined or chained.
//
// Every function here is async-signal-safe: each is a single load or store
// (or fetch_add) of a lock-free atomic. Writers (the publish_* functions) run
// in ordinary context under install.cc's mutex; readers may run at any time,
// in any thread, inside the handler.
#include <signal.h>

#include "internal.h"

namespace cgoguard {
namespace {

std::atomic<bool> is_initialized{false};
// Bit (1u << signo) set: our handler is installed for signo and the flags ask
// us to contain it.
std::atomic<uint32_t> contained_mask{0};
// The action a declined signal is passed to. Points at storage that is never
// written again once published (install.cc keeps it).
std::atomic<const struct sigaction*> chain_to[CGG_NSIG];
// The action each signal had before cgoguard installed its handler: the
// chain target of last resort (see chain_target).
std::atomic<const struct sigaction*> original[CGG_NSIG];

// The code where faults are declined (declined_regions.cc builds it).
std::atomic<const DeclinedRegions*> declined_table{nullptr};

static_assert(std::atomic<uint32_t>::is_always_lock_free &&
                  std::atomic<const struct sigaction*>::is_always_lock_free,
              "read inside the signal handler");

}  // namespace

Counters counters;

static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "counters are updated inside the signal handler");

bool signal_contained(int signo) {
  return signo > 0 && signo < CGG_NSIG &&
         (contained_mask.load(std::memory_order_relaxed) & (1u << signo)) != 0;
}

bool initialized() {
  return is_initialized.load(std::memory_order_acquire);
}

const struct sigaction* chain_target(int signo, bool loop) {
  if (signo <= 0 || signo >= CGG_NSIG) return nullptr;
  if (loop) return original[signo].load(std::memory_order_acquire);
  return chain_to[signo].load(std::memory_order_acquire);
}

void publish_original_action(int signo, const struct sigaction* action) {
  original[signo].store(action, std::memory_order_release);
}

void publish_chain_target(int signo, const struct sigaction* action) {
  chain_to[signo].store(action, std::memory_order_release);
}

void publish_contained(uint32_t mask) {
  contained_mask.fetch_or(mask, std::memory_order_relaxed);
}

void publish_initialized() {
  is_initialized.store(true, std::memory_order_release);
}

const DeclinedRegions* declined_regions() {
  return declined_table.load(std::memory_order_acquire);
}

void publish_declined_regions(const DeclinedRegions* table) {
  declined_table.store(table, std::memory_order_release);
}

void count_declined(int signo) {
  if (signo > 0 && signo < CGG_NSIG)
    counters.declined[signo].fetch_add(1, std::memory_order_relaxed);
  counters.declined_total.fetch_add(1, std::memory_order_relaxed);
}

void count_contained(int signo) {
  counters.contained_total.fetch_add(1, std::memory_order_relaxed);
  if (signo == CGG_CXX_EXCEPTION) {
    // Unwinding ran the destructors of the frames it left: nothing skipped.
    counters.cxx_exceptions.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (signo > 0 && signo < CGG_NSIG)
    counters.contained[signo].fetch_add(1, std::memory_order_relaxed);
  // The jump skipped the faulting code's clean-up.
  counters.tainted.store(1, std::memory_order_relaxed);
}

void count_chained(int signo) {
  if (signo > 0 && signo < CGG_NSIG)
    counters.chained[signo].fetch_add(1, std::memory_order_relaxed);
  counters.chained_total.fetch_add(1, std::memory_order_relaxed);
}

uint64_t next_fault_id() {
  return counters.next_fault_id.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace cgoguard
