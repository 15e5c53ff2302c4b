// Long runs of contained faults leak nothing: no resident memory, threads,
// descriptors or mappings accumulate.
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <thread>

#include "test_support.h"

namespace {

using cgg_test::CountDirEntries;
using cgg_test::CountLines;
using cgg_test::StatusKiB;

int RunFaults(int n) {
  int contained = 0;
  for (int i = 0; i < n; i++) {
    cgg_fault f;
    if (cgg_call(cgg_fx_null_write, nullptr, &f) == SIGSEGV && f.addr == CGG_FX_NULL_WRITE_ADDR)
      contained++;
  }
  return contained;
}

TEST(Leak, RssGrowsLessThan1MiBOver100000Faults) {
  ASSERT_EQ(RunFaults(1000), 1000);  // warm-up: thread set-up, unwinder, pages
  long before = StatusKiB("VmRSS");
  ASSERT_GT(before, 0);
  ASSERT_EQ(RunFaults(100000), 100000);
  long after = StatusKiB("VmRSS");
  EXPECT_LT(after - before, 1024) << "VmRSS " << before << " KiB -> " << after << " KiB";
}

TEST(Leak, NoThreadOrDescriptorLeakOver100000Faults) {
  ASSERT_EQ(RunFaults(1000), 1000);
  int tasks = CountDirEntries("/proc/self/task");
  int fds = CountDirEntries("/proc/self/fd");
  ASSERT_GT(tasks, 0);
  ASSERT_GT(fds, 0);
  ASSERT_EQ(RunFaults(100000), 100000);
  EXPECT_EQ(CountDirEntries("/proc/self/task"), tasks);
  EXPECT_EQ(CountDirEntries("/proc/self/fd"), fds);
}

// Each thread that ran a guarded call got an alternate stack (an mmap, with a
// guard page below it); it must be unmapped when the thread exits.
TEST(Leak, ThreadExitUnmapsItsAlternateStack) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  for (int i = 0; i < 50; i++) {
    stack_t alt = {};
    int contained = 0;
    std::thread([&] {
      contained = RunFaults(3);
      sigaltstack(nullptr, &alt);
    }).join();
    ASSERT_EQ(contained, 3);
    ASSERT_FALSE(alt.ss_flags & SS_DISABLE);
    // msync fails with ENOMEM on an address range that is not mapped.
    uintptr_t guard_page = reinterpret_cast<uintptr_t>(alt.ss_sp) - page;
    errno = 0;
    EXPECT_EQ(msync(reinterpret_cast<void*>(guard_page), page + alt.ss_size, MS_ASYNC), -1);
    EXPECT_EQ(errno, ENOMEM) << "alternate stack of thread " << i << " still mapped";
  }
}

// The number of this process's tasks once it has come down to `expected`,
// or after 5 s, whatever it is then. A joined thread's task may outlive the
// join for a moment: pthread_join returns when the exiting thread clears its
// thread id, early in its exit, and under qemu-user (the arm64 CI) the host
// thread that ran it ends later still.
int TasksOnceDownTo(int expected) {
  int tasks = CountDirEntries("/proc/self/task");
  for (int i = 0; i < 500 && tasks > expected; i++) {
    usleep(10 * 1000);
    tasks = CountDirEntries("/proc/self/task");
  }
  return tasks;
}

// Nothing else accumulates per thread either: the process's mappings and
// threads are the same after 200 threads that faulted and exited.
TEST(Leak, MappingsStableOverThreadChurn) {
  auto one_thread = [] {
    int contained = 0;
    std::thread([&] { contained = RunFaults(3); }).join();
    return contained;
  };
  int tasks_before = CountDirEntries("/proc/self/task");
  ASSERT_EQ(one_thread(), 3);  // warm-up: glibc caches the thread stack
  int maps = CountLines("/proc/self/maps");
  int tasks = TasksOnceDownTo(tasks_before);
  ASSERT_GT(maps, 0);
  for (int i = 0; i < 200; i++) ASSERT_EQ(one_thread(), 3);
  EXPECT_EQ(CountLines("/proc/self/maps"), maps);
  EXPECT_EQ(TasksOnceDownTo(tasks), tasks);
}

}  // namespace
