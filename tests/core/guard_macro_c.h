/* C functions built with CGG_GUARD (guard_macro_c.c), for the C++ tests. */
#ifndef CGOGUARD_TESTS_CORE_GUARD_MACRO_C_H_
#define CGOGUARD_TESTS_CORE_GUARD_MACRO_C_H_

#include "cgoguard/cgoguard.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CGG_GUARD(out, cgg_fx_null_write(NULL)). */
int cgg_test_guard_null_write(cgg_fault* out);
/* CGG_GUARD(out, cgg_fx_increment(counter)): completes normally. */
int cgg_test_guard_increment(int* counter, cgg_fault* out);
/* Stores cgg_guard_depth() as seen inside the guarded statement. */
int cgg_test_guard_depth_inside(int* depth);
/* A fault with out == NULL: the record is in cgg_last_fault(). */
int cgg_test_guard_readonly_write_no_out(void);
/* An outer CGG_GUARD whose statement runs an inner guarded null write (into
 * *inner) and then faults itself with SIGBUS. */
int cgg_test_guard_nested(int* inner_rc, cgg_fault* inner, cgg_fault* outer);

#ifdef __cplusplus
}
#endif

#endif /* CGOGUARD_TESTS_CORE_GUARD_MACRO_C_H_ */
