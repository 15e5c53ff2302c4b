// The report-callback registry. Ordinary context: callbacks run after the
// jump back, on the faulting thread, from cgg_call / CGG_GUARD.
#include <errno.h>

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

}  // namespace

void dispatch_reports(const cgg_fault* fault) {
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
      return 0;
    }
  }
  return -ENOENT;
}

}  // extern "C"
