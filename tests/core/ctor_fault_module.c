/* A shared object whose constructor writes through a NULL pointer: loading it
 * (dlopen) faults inside the dynamic loader's call of its constructors, with
 * the loader's lock held. cgoguard declines the fault even inside a guarded
 * dlopen (the loader is on the faulting stack), so the process ends by
 * SIGSEGV. Built as libcgg_ctor_fault_module.so (tests/CMakeLists.txt). It is
 * not in tests/fixtures: the Go fixtures package compiles every C source of
 * that directory into Go programs, and this constructor would run in each. */
#pragma GCC optimize("O1", "no-inline", "no-optimize-sibling-calls")
#include <stdint.h>

#include "cgg_fixtures.h"

__attribute__((constructor)) static void cgg_ctor_fault_module_init(void) {
  volatile int* p = (volatile int*)CGG_FX_NULL_WRITE_ADDR;
  *p = 1;
}
