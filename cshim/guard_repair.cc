// Repair of a thread's guard list after a Go panic abandoned guards
// (cgg_repair_thread). Ordinary context: the Go package calls it in a fresh
// cgo call after such a panic.
#include <unwind.h>

#include "internal.h"

namespace cgoguard {
namespace {

// Walks the stack of the calling function and tells whether the guard of
// `entry` has its owner frame on the chain; *entry_sp receives the outermost
// stack pointer reached (the native entry of the chain).
bool guard_live_from_here(const GuardEntry* entry, uintptr_t* entry_sp) {
  OwnerWalk w = {};
  w.guard_addr = entry->frame;
  w.owner_fp = entry->owner_fp;
  w.owner_start = function_start(entry->owner_pc);
  w.max_frames = 1L << 22;
  w.started = true;
  w.walk_to_end = true;
  _Unwind_Backtrace(owner_walk_step, &w);
  if (entry_sp != nullptr) *entry_sp = w.last_sp;
  return w.reach == 1;
}

}  // namespace
}  // namespace cgoguard

using namespace cgoguard;

extern "C" {

int cgg_repair_thread(void) {
  ThreadState* ts = &tls_thread;
  if (ts->extra == nullptr) return 0;
  GuardEntry* guards = ts->extra->guards;
  int kept = 0;
  int dropped = 0;
  for (int i = 0; i < ts->depth; i++) {
    uintptr_t entry_sp = 0;
    bool live = guard_live_from_here(&guards[i], &entry_sp);
    // Not on our chain and below its outermost frame: its frame is gone. A
    // guard above the chain's entry may belong to an outer native call that
    // called into Go, which then called us: keep it.
    if (!live && guards[i].frame < entry_sp) {
      dropped++;
    } else {
      guards[kept++] = guards[i];
    }
  }
  ts->depth = kept;  // kept guards keep their order
  return dropped;
}

}  // extern "C"
