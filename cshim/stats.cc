// The public view of the counters (shared_state.cc keeps them): stats, the
// "tainted" flag, and the version string. Ordinary context, except
// cgg_tainted, which is a single atomic load.
#include <string.h>

#include "internal.h"

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
    out->declined[i] = counters.declined[i].load(std::memory_order_relaxed);
  }
  out->declined_total = counters.declined_total.load(std::memory_order_relaxed);
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
