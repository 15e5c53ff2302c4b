// Per-thread set-up and tear-down. Ordinary context.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <new>

#include "internal.h"

namespace cgoguard {

__thread ThreadState tls_thread CGG_TLS;

namespace {

pthread_key_t exit_key;
pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;
int exit_key_error = 0;

// Thread-exit destructor: frees what thread_prepare set up.
void on_thread_exit(void* arg) {
  auto* extra = static_cast<ThreadExtra*>(arg);
  ThreadState* ts = &tls_thread;
  ts->ready = 0;
  ts->depth = 0;
  ts->extra = nullptr;
  altstack_release(extra);
  delete extra;
}

void make_exit_key() {
  exit_key_error = pthread_key_create(&exit_key, on_thread_exit);
}

// Bounds of the calling thread's stack. For the main thread glibc reads
// /proc/self/maps, which allocates: that is why this runs here, once per
// thread, and never in the handler.
void read_stack_bounds(ThreadState* ts) {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* addr = nullptr;
  size_t size = 0;
  if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
    ts->stack_lo = reinterpret_cast<uintptr_t>(addr);
    ts->stack_hi = ts->stack_lo + size;
  }
  pthread_attr_destroy(&attr);
}

}  // namespace

int thread_prepare(ThreadState* ts) {
  if (ts->ready) return 0;
  pthread_once(&exit_key_once, make_exit_key);
  if (exit_key_error != 0) return exit_key_error;
  auto* extra = new (std::nothrow) ThreadExtra();
  if (extra == nullptr) return ENOMEM;
  extra->tid = static_cast<uint64_t>(syscall(SYS_gettid));
  int err = altstack_ensure(extra);
  if (err == 0) err = pthread_setspecific(exit_key, extra);
  if (err != 0) {
    altstack_release(extra);
    delete extra;
    return err;
  }
  read_stack_bounds(ts);
  ts->extra = extra;
  ts->ready = 1;
  return 0;
}

}  // namespace cgoguard
