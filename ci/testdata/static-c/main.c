/* A C program linked with libcgoguard.a (ci/test-extmod.sh builds it through
 * `pkg-config --static` as a fully static binary, and through CMake's
 * cgoguard::cgoguard_static): a guarded null write must be contained and its
 * function named. */
#include <cgoguard/cgoguard.h>
#include <signal.h>
#include <stdio.h>

__attribute__((noinline)) static void write_null(void* arg) {
  (void)arg;
  *(volatile int*)16 = 1;
}

int main(void) {
  if (cgg_init(0) != 0) return 2;
  cgg_fault fault;
  int rc = cgg_call(write_null, NULL, &fault);
  cgg_symbol sym;
  if (rc != SIGSEGV || cgg_symbolize(fault.frames[0], 0, &sym) != 0) return 1;
  printf("static library: contained signal %d at %#lx in %s\n", rc, (unsigned long)fault.addr,
         sym.function);
  return 0;
}
