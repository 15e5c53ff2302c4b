/* A C library of the user's that links the installed libcgoguard.so and uses
 * it on its own (ci/test-extmod.sh builds it as libnativelib.so). Loaded into a
 * Go program that has cgoguard's shim compiled in, the process holds two
 * instances of the shim. */
#include <cgoguard/cgoguard.h>
#include <signal.h>

static void write_null(void* arg) {
  (void)arg;
  *(volatile int*)16 = 1;
}

/* Initializes the library's cgoguard and runs a faulting call under its
 * guard: returns the signal it contained (0 if none). */
int nativelib_guarded_fault(void) {
  if (cgg_init(0) != 0) return -1;
  cgg_fault fault;
  return cgg_call(write_null, 0, &fault);
}

/* Faults contained by the library's instance of cgoguard. */
unsigned long long nativelib_contained(void) {
  cgg_stats stats;
  cgg_get_stats(&stats);
  return (unsigned long long)stats.contained_total;
}
