/* Runs every crash fixture of the installed fixtures library under cgg_call
 * and checks what cgoguard reports against what cgg_fixtures.h documents:
 * the return value, signal, si_code and fault address. One line per kind;
 * exit status 1 if any kind differs. */
#define _GNU_SOURCE /* the si_code names (SI_TKILL, SI_KERNEL) under -std=c11 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cgoguard/cgoguard.h>
#include "cgg_fixtures.h"

enum addr_rule { ADDR_EXACT, ADDR_PC, ADDR_FROM_ARG, ADDR_ANY };

struct kind {
  const char* name;
  void (*fn)(void*);
  int signo;    /* expected cgg_call result: a signal or CGG_CXX_EXCEPTION */
  int codes[2]; /* accepted si_code values */
  enum addr_rule rule;
  uintptr_t addr;   /* for ADDR_EXACT */
  const char* what; /* expected prefix of fault.what, or NULL */
};

static uintptr_t unmapped_page;

static int check(const struct kind* k, int rc, const cgg_fault* f) {
  int ok =
      rc == k->signo && f->signo == k->signo && (f->code == k->codes[0] || f->code == k->codes[1]);
  switch (k->rule) {
    case ADDR_EXACT:
      ok = ok && f->addr == k->addr;
      break;
    case ADDR_PC:
      ok = ok && f->addr == f->pc;
      break;
    case ADDR_FROM_ARG:
      ok = ok && unmapped_page != 0 && f->addr == unmapped_page;
      break;
    case ADDR_ANY:
      break;
  }
  if (k->what != NULL) ok = ok && strncmp(f->what, k->what, strlen(k->what)) == 0;
  printf("%-22s rc=%-5d code=%-4d addr=%#-14lx %s: %s\n", k->name, rc, f->code,
         (unsigned long)f->addr, f->what, ok ? "contained as documented" : "UNEXPECTED");
  return ok;
}

/* The stack overflow runs on a native thread with a small, bounded stack:
 * the main thread's may be unlimited (ulimit -s). */
struct overflow_run {
  int rc;
  cgg_fault fault;
};

static void overflow_on_this_thread(void* arg) {
  struct overflow_run* run = (struct overflow_run*)arg;
  run->rc = cgg_call(cgg_fx_stack_overflow, NULL, &run->fault);
}

int main(void) {
  if (cgg_init(CGG_CONTAIN_ABORT) != 0) {
    fprintf(stderr, "cgg_init failed\n");
    return 1;
  }
  const struct kind kinds[] = {
    {"null-read",
     cgg_fx_null_read,
     SIGSEGV,
     {SEGV_MAPERR, SEGV_MAPERR},
     ADDR_EXACT,
     CGG_FX_NULL_READ_ADDR,
     "SIGSEGV"},
    {"null-write",
     cgg_fx_null_write,
     SIGSEGV,
     {SEGV_MAPERR, SEGV_MAPERR},
     ADDR_EXACT,
     CGG_FX_NULL_WRITE_ADDR,
     "SIGSEGV"},
    {"readonly-write",
     cgg_fx_readonly_write,
     SIGSEGV,
     {SEGV_ACCERR, SEGV_ACCERR},
     ADDR_EXACT,
     cgg_fx_readonly_address(),
     "SIGSEGV"},
    {"write-to-code",
     cgg_fx_write_to_code,
     SIGSEGV,
     {SEGV_ACCERR, SEGV_ACCERR},
     ADDR_EXACT,
     cgg_fx_code_address(),
     "SIGSEGV"},
    {"use-after-munmap",
     cgg_fx_use_after_munmap,
     SIGSEGV,
     {SEGV_MAPERR, SEGV_MAPERR},
     ADDR_FROM_ARG,
     0,
     "SIGSEGV"},
    {"bad-pointer",
     cgg_fx_bad_function_pointer,
     SIGSEGV,
     {SEGV_MAPERR, SEGV_MAPERR},
     ADDR_EXACT,
     CGG_FX_BAD_CALL_ADDR,
     "SIGSEGV"},
    {"qsort-callback",
     cgg_fx_fault_in_qsort_callback,
     SIGSEGV,
     {SEGV_MAPERR, SEGV_MAPERR},
     ADDR_EXACT,
     CGG_FX_NULL_WRITE_ADDR,
     "SIGSEGV"},
    {"bus",
     cgg_fx_bus_past_eof,
     SIGBUS,
     {BUS_ADRERR, BUS_ADRERR},
     ADDR_EXACT,
     cgg_fx_bus_address(),
     "SIGBUS"},
#if defined(__x86_64__)
    {"divide-by-zero",
     cgg_fx_divide_by_zero,
     SIGFPE,
     {FPE_INTDIV, FPE_INTDIV},
     ADDR_PC,
     0,
     "SIGFPE"},
    {"illegal-instruction",
     cgg_fx_illegal_instruction,
     SIGILL,
     {ILL_ILLOPN, ILL_ILLOPN},
     ADDR_PC,
     0,
     "SIGILL"},
    {"trap", cgg_fx_trap, SIGTRAP, {SI_KERNEL, SI_KERNEL}, ADDR_EXACT, 0, "SIGTRAP"},
#endif
    {"abort", cgg_fx_abort, SIGABRT, {SI_TKILL, SI_TKILL}, ADDR_EXACT, 0, "SIGABRT"},
    {"assert-fail", cgg_fx_assert_fail, SIGABRT, {SI_TKILL, SI_TKILL}, ADDR_EXACT, 0, "SIGABRT"},
    {"noexcept-violation",
     cgg_fx_noexcept_violation,
     SIGABRT,
     {SI_TKILL, SI_TKILL},
     ADDR_EXACT,
     0,
     "SIGABRT"},
    {"pure-virtual-call",
     cgg_fx_pure_virtual_call,
     SIGABRT,
     {SI_TKILL, SI_TKILL},
     ADDR_EXACT,
     0,
     "SIGABRT"},
    {"cxx-exception",
     cgg_fx_cxx_throw,
     CGG_CXX_EXCEPTION,
     {0, 0},
     ADDR_EXACT,
     0,
     "std::runtime_error: " CGG_FX_EXCEPTION_TEXT},
    {"cxx-foreign-exception",
     cgg_fx_cxx_throw_foreign,
     CGG_CXX_EXCEPTION,
     {0, 0},
     ADDR_EXACT,
     0,
     "cgg_fx::LegacyError: exception not derived from std::exception"},
  };
  int n = (int)(sizeof kinds / sizeof kinds[0]), contained = 0;
  for (int i = 0; i < n; i++) {
    cgg_fault fault;
    memset(&fault, 0, sizeof fault);
    int rc = cgg_call(kinds[i].fn, kinds[i].rule == ADDR_FROM_ARG ? &unmapped_page : NULL, &fault);
    contained += check(&kinds[i], rc, &fault);
  }

  struct overflow_run run;
  memset(&run, 0, sizeof run);
  const struct kind overflow = {"stack-overflow", NULL, SIGSEGV,  {SEGV_MAPERR, SEGV_ACCERR},
                                ADDR_ANY,         0,    "SIGSEGV"};
  if (cgg_fx_run_on_native_thread(overflow_on_this_thread, &run, 256 * 1024) != 0) {
    fprintf(stderr, "pthread_create failed\n");
    return 1;
  }
  contained += check(&overflow, run.rc, &run.fault);
  n++;

  int counter = 0;
  int clean = cgg_call(cgg_fx_increment, &counter, NULL);
  printf("%d of %d kinds contained as documented; a clean call afterwards: rc=%d counter=%d\n",
         contained, n, clean, counter);
  return contained == n && clean == 0 && counter == 1 ? 0 : 1;
}
