// A thread that ends inside a guarded call (pthread_exit, or pthread_cancel at
// a cancellation point) unwinds through cgg_call like through any C++ frame:
// glibc's forced unwind is not an exception to contain. It must keep going up
// to the thread's start, run the cleanups of the frames above the guard, and
// leave the guard popped (so nothing on that thread's stack names a dead
// guard).
#include <pthread.h>
#include <unistd.h>

#include "test_support.h"

namespace {

// What the frames around the guards saw while the thread unwound.
struct Unwind {
  int depth_between = -1;  // guard depth seen by a cleanup between two guards
  int depth_above = -1;    // ... by a cleanup above the outer guard
  bool nested = false;     // run the ending function under a second guard
  bool cancel = false;     // wait to be cancelled instead of calling pthread_exit
  int rc = -2;             // cgg_call's result: never set when the thread ends
};

// Records the guard depth when its frame is unwound.
struct DepthAtUnwind {
  int* slot;
  ~DepthAtUnwind() { *slot = cgg_guard_depth(); }
};

void EndThread(void* arg) {
  auto* u = static_cast<Unwind*>(arg);
  if (!u->cancel) pthread_exit(nullptr);
  for (;;) pause();  // a cancellation point
}

void Between(void* arg) {
  auto* u = static_cast<Unwind*>(arg);
  DepthAtUnwind between{&u->depth_between};
  cgg_fault fault;
  cgg_call(EndThread, u, &fault);
}

void* ThreadMain(void* arg) {
  auto* u = static_cast<Unwind*>(arg);
  DepthAtUnwind above{&u->depth_above};
  cgg_fault fault;
  u->rc = cgg_call(u->nested ? Between : EndThread, u, &fault);
  return arg;
}

void* RunToEnd(Unwind* u) {
  pthread_t thread;
  EXPECT_EQ(pthread_create(&thread, nullptr, ThreadMain, u), 0);
  if (u->cancel) {
    usleep(20 * 1000);  // into pause(); cancelling earlier ends it there too
    EXPECT_EQ(pthread_cancel(thread), 0);
  }
  void* result = nullptr;
  EXPECT_EQ(pthread_join(thread, &result), 0);
  return result;
}

TEST(ThreadExit, PthreadExitUnwindsThroughTheGuard) {
  Unwind u;
  EXPECT_EQ(RunToEnd(&u), nullptr);  // pthread_exit's value, not ThreadMain's return
  EXPECT_EQ(u.rc, -2);               // cgg_call did not return
  EXPECT_EQ(u.depth_above, 0);       // the cleanup above ran, with the guard popped
}

TEST(ThreadExit, CancellationUnwindsThroughTheGuard) {
  Unwind u;
  u.cancel = true;
  EXPECT_EQ(RunToEnd(&u), PTHREAD_CANCELED);
  EXPECT_EQ(u.rc, -2);
  EXPECT_EQ(u.depth_above, 0);
}

TEST(ThreadExit, NestedGuardsArePoppedOneByOne) {
  Unwind u;
  u.nested = true;
  EXPECT_EQ(RunToEnd(&u), nullptr);
  EXPECT_EQ(u.rc, -2);
  EXPECT_EQ(u.depth_between, 1);  // the inner guard popped, the outer still armed
  EXPECT_EQ(u.depth_above, 0);
}

}  // namespace
