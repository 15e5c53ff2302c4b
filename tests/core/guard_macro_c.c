/* CGG_GUARD used from plain C (compiled as ISO C11 with -Wpedantic -Werror):
 * the functions guard_macro_test.cc calls. */
#include "guard_macro_c.h"

#include <stddef.h>

#include "cgg_fixtures.h"

int cgg_test_guard_null_write(cgg_fault* out) {
  return CGG_GUARD(out, cgg_fx_null_write(NULL));
}

int cgg_test_guard_increment(int* counter, cgg_fault* out) {
  return CGG_GUARD(out, cgg_fx_increment(counter));
}

int cgg_test_guard_depth_inside(int* depth) {
  /* volatile: written inside the guard, read by the caller (setjmp rules). */
  volatile int seen = -1;
  int rc = CGG_GUARD(NULL, seen = cgg_guard_depth());
  *depth = seen;
  return rc;
}

int cgg_test_guard_readonly_write_no_out(void) {
  return CGG_GUARD(NULL, cgg_fx_readonly_write(NULL));
}

int cgg_test_guard_nested(int* inner_rc, cgg_fault* inner, cgg_fault* outer) {
  volatile int rc_in = -1;
  int rc = CGG_GUARD(outer, {
    rc_in = cgg_test_guard_null_write(inner);
    cgg_fx_bus_past_eof(NULL);
  });
  *inner_rc = rc_in;
  return rc;
}
