/* The smallest cgoguard program: run a function that writes through a null
 * pointer, survive it, print what happened, and keep going. */
#include <stdio.h>

#include "cgg_fixtures.h"
#include "cgoguard/cgoguard.h"

int main(void) {
  cgg_fault fault;
  int rc = cgg_call(cgg_fx_null_write, NULL, &fault);
  if (rc == 0) {
    printf("no fault?\n");
    return 1;
  }
  printf("contained %s at address %#lx (pc %#lx)\n", fault.what, (unsigned long)fault.addr,
         (unsigned long)fault.pc);
  cgg_symbol symbols[CGG_MAX_FRAMES];
  int n = cgg_symbolize_fault(&fault, symbols, CGG_MAX_FRAMES);
  for (int i = 0; i < n && i < 4; i++) {
    printf("  #%d %s (%s:%d)\n", i, symbols[i].function[0] ? symbols[i].function : "??",
           symbols[i].file[0] ? symbols[i].file : symbols[i].module, symbols[i].line);
  }
  int counter = 0;
  cgg_call(cgg_fx_increment, &counter, NULL);
  printf("still running: counter=%d, tainted=%d\n", counter, cgg_tainted());
  return counter == 1 ? 0 : 1;
}
