// The report-callback registry. Ordinary context: callbacks run after the
// jump back, on the faulting thread, from cgg_call / CGG_GUARD.
#include <errno.h>

#include <atomic>
#include <mutex>

#include "internal.h"

namespace cgoguard {
namespace {

struct Reporter {
  cgg_report_fn fn;
  void* user;
  int id;
};

std::mutex reporters_mutex;
Reporter reporters[CGG_MAX_REPORTERS];
int next_reporter_id = 1;
// Number of registered callbacks (written under reporters_mutex).
std::atomic<int> reporters_registered{0};

}  // namespace

void dispatch_reports(const cgg_fault* fault) {
  // Most programs register no callback: then a contained fault takes no
  // lock here. A callback registered while a fault is being dispatched may
  // or may not see it, with or without this check.
  if (reporters_registered.load(std::memory_order_acquire) == 0) return;
  // Copy under the lock, call without it: a callback may register or remove
  // callbacks, or fault in a guarded call of its own, without deadlocking.
  Reporter snapshot[CGG_MAX_REPORTERS];
  int n = 0;
  {
    std::lock_guard<std::mutex> lock(reporters_mutex);
    for (const Reporter& r : reporters) {
      if (r.fn != nullptr) snapshot[n++] = r;
    }
  }
  for (int i = 0; i < n; i++) snapshot[i].fn(fault, snapshot[i].user);
}

}  // namespace cgoguard

using namespace cgoguard;

extern "C" {

int cgg_report_add(cgg_report_fn fn, void* user) {
  if (fn == nullptr) return -EINVAL;
  std::lock_guard<std::mutex> lock(reporters_mutex);
  for (Reporter& r : reporters) {
    if (r.fn == nullptr) {
      r = Reporter{fn, user, next_reporter_id++};
      reporters_registered.fetch_add(1, std::memory_order_release);
      return r.id;
    }
  }
  return -ENOSPC;
}

int cgg_report_remove(int id) {
  std::lock_guard<std::mutex> lock(reporters_mutex);
  for (Reporter& r : reporters) {
    if (r.fn != nullptr && r.id == id) {
      r = Reporter{};
      reporters_registered.fetch_sub(1, std::memory_order_release);
      return 0;
    }
  }
  return -ENOENT;
}

}  // extern "C"
