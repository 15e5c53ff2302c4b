// SIGNAL CONTEXT. Looks an address up in the code where faults are declined
// (the allocator, the dynamic loader, stdio, exit handling, the user's
// names; declined_regions.cc builds the table at cgg_init). The owner walk
// (shared_walk.cc) asks for every frame between the fault and the guard when
// the handler walks the faulting stack.
//
// Why it is safe in a signal handler: one acquire load of the published
// table's pointer (a lock-free atomic; the table behind it is never written
// or freed once published, so a rebuild on another thread cannot change what
// this lookup reads), then a binary search over a preallocated array of
// plain integers. No allocation, no lock, no system call, no symbol lookup.
#include "internal.h"

namespace cgoguard {

bool in_declined_region(uintptr_t addr) {
  const DeclinedRegions* table = declined_regions();
  if (table == nullptr) return false;
  // The last range whose start is <= addr holds it, if any does.
  size_t lo = 0;
  size_t hi = table->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (table->ranges[mid].start <= addr) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo > 0 && addr < table->ranges[lo - 1].end;
}

}  // namespace cgoguard

extern "C" int cgg_declines_pc(uintptr_t pc) {
  return cgoguard::in_declined_region(pc) ? 1 : 0;
}
