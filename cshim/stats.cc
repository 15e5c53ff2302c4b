// Counters of contained and chained faults, the "tainted" flag, and the
// version string. The update functions are called from the signal handler;
// they only touch lock-free atomics, which is async-signal-safe.
#include <string.h>

#include "internal.h"

namespace cgoguard {

Counters counters;

static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "counters are updated inside the signal handler");

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

using cgoguard::counters;

extern "C" {

int cgg_tainted(void) {
  return counters.tainted.load(std::memory_order_relaxed);
}

void cgg_get_stats(cgg_stats* out) {
  if (out == nullptr) return;
  memset(out, 0, sizeof *out);
  for (int i = 0; i < CGG_NSIG; i++) {
    out->contained[i] = counters.contained[i].load(std::memory_order_relaxed);
    out->chained[i] = counters.chained[i].load(std::memory_order_relaxed);
  }
  out->contained_total = counters.contained_total.load(std::memory_order_relaxed);
  out->cxx_exceptions = counters.cxx_exceptions.load(std::memory_order_relaxed);
  out->chained_total = counters.chained_total.load(std::memory_order_relaxed);
  out->tainted = counters.tainted.load(std::memory_order_relaxed);
  out->displaced = cgg_check_handlers();
}

const char* cgg_version(void) {
#define CGG_STR2(x) #x
#define CGG_STR(x) CGG_STR2(x)
  return CGG_STR(CGG_VERSION_MAJOR) "." CGG_STR(CGG_VERSION_MINOR) "." CGG_STR(CGG_VERSION_PATCH);
}

}  // extern "C"
