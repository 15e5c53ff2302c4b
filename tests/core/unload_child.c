/* A program that loads libcgoguard.so with dlopen (it is not linked against
 * it) and has a SIGSEGV handler of its own that recovers from its own faults.
 * It contains one guarded fault, faults once itself, unloads the library with
 * dlclose, then faults again. Every step prints one line to stderr; the
 * process exits 0 only when it survived them all. Usage: unload_child LIB */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf recover_point;

/* The application's own handler: it recovers from its own faults. */
static void own_handler(int signo, siginfo_t* info, void* ucontext) {
  (void)signo;
  (void)info;
  (void)ucontext;
  siglongjmp(recover_point, 1);
}

/* Reads through `arg` (NULL: faults). */
__attribute__((noinline, no_sanitize("address", "undefined"))) static void read_through(void* arg) {
  volatile int* p = (volatile int*)arg;
  (void)*p;
}

/* Faults outside any guard; 1 when the application's handler recovered. */
static int own_fault(void) {
  if (sigsetjmp(recover_point, 1) == 0) {
    read_through(NULL);
    return 0;
  }
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  struct sigaction own;
  memset(&own, 0, sizeof own);
  own.sa_sigaction = own_handler;
  own.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &own, NULL);

  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 3;
  }
  int (*init)(unsigned) = (int (*)(unsigned))dlsym(lib, "cgg_init");
  int (*call)(void (*)(void*), void*, void*) =
      (int (*)(void (*)(void*), void*, void*))dlsym(lib, "cgg_call");
  if (init == NULL || call == NULL || init(0) != 0) return 4;
  fprintf(stderr, "guarded fault: %d\n", call(read_through, NULL, NULL));
  fprintf(stderr, "own fault before dlclose recovered: %d\n", own_fault());
  fprintf(stderr, "dlclose: %d\n", dlclose(lib));

  struct sigaction now;
  Dl_info where;
  sigaction(SIGSEGV, NULL, &now);
  fprintf(stderr, "SIGSEGV handler in a loaded module: %d\n",
          dladdr((void*)now.sa_sigaction, &where) != 0);
  fprintf(stderr, "own fault after dlclose recovered: %d\n", own_fault());
  return 0;
}
