// Faults under a process-wide lock are declined, never contained: a heap
// corruption that makes malloc fault with its arena lock held, glibc's own
// heap-corruption abort inside malloc, a constructor that faults inside a
// guarded dlopen. Containing them jumps over the code that would release the
// lock, and the process hangs at the next malloc or dlopen of any thread.
//
// Each case runs in kRuns forked children at once, each killed if it has not
// ended after kDeadline: every run must die (by a signal), none may hang or
// survive. The parent never initializes cgoguard; each child does.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "test_support.h"

namespace {

constexpr int kRuns = 20;
constexpr int kDeadlineSeconds = 10;

// How the children of one case ended.
struct Outcome {
  int died = 0;      // killed by a signal other than ours, or a non-zero exit
  int hung = 0;      // still running at the deadline: killed with SIGKILL
  int survived = 0;  // exit status 0: the scenario ran to its end
  std::vector<int> signals;

  std::string Describe() const {
    std::string s = std::to_string(died) + " died, " + std::to_string(hung) + " hung, " +
                    std::to_string(survived) + " survived; signals:";
    for (int sig : signals) s += " " + std::to_string(sig);
    return s;
  }
};

// Forks kRuns children that each run scenario() and then _exit(0), waits for
// them until the deadline and kills the rest. The children's stderr goes to
// /dev/null (glibc prints its heap-corruption message in each).
Outcome RunChildren(void (*scenario)()) {
  std::vector<pid_t> pids;
  for (int i = 0; i < kRuns; i++) {
    pid_t pid = fork();
    if (pid < 0) {
      ADD_FAILURE() << "fork: " << strerror(errno);
      break;
    }
    if (pid == 0) {
      int null = open("/dev/null", O_WRONLY);
      if (null >= 0) dup2(null, 2);
      alarm(kDeadlineSeconds * 3);  // in case the parent is gone
      scenario();
      _exit(0);
    }
    pids.push_back(pid);
  }
  Outcome out;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  std::vector<bool> done(pids.size(), false);
  size_t remaining = pids.size();
  while (remaining > 0) {
    for (size_t i = 0; i < pids.size(); i++) {
      if (done[i]) continue;
      int status = 0;
      if (waitpid(pids[i], &status, WNOHANG) != pids[i]) continue;
      done[i] = true;
      remaining--;
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        out.survived++;
      } else {
        out.died++;
        out.signals.push_back(WIFSIGNALED(status) ? WTERMSIG(status) : -WEXITSTATUS(status));
      }
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= kDeadlineSeconds) break;
    usleep(10 * 1000);
  }
  for (size_t i = 0; i < pids.size(); i++) {
    if (done[i]) continue;
    kill(pids[i], SIGKILL);
    waitpid(pids[i], nullptr, 0);
    out.hung++;
  }
  return out;
}

// Every child died by `signo`.
void ExpectAllDiedBy(const Outcome& out, int signo) {
  EXPECT_EQ(out.hung, 0) << out.Describe();
  EXPECT_EQ(out.survived, 0) << out.Describe();
  EXPECT_EQ(out.died, kRuns) << out.Describe();
  for (int sig : out.signals) EXPECT_EQ(sig, signo) << out.Describe();
}

void* Nothing(void*) {
  return nullptr;
}

// Makes the process multi-threaded for good, as every service is: glibc's
// malloc then takes its arena locks (a process that never created a thread
// skips them).
void BecomeMultiThreaded() {
  pthread_t thread;
  if (pthread_create(&thread, nullptr, Nothing, nullptr) != 0) _exit(90);
  pthread_join(thread, nullptr);
}

void* MallocOnce(void*) {
  void* volatile p = malloc(CGG_FX_FASTBIN_SIZE);
  (void)p;
  return nullptr;
}

void RunOnNewThread(void* (*body)(void*), void* arg) {
  pthread_t thread;
  if (pthread_create(&thread, nullptr, body, arg) != 0) _exit(91);
  pthread_join(thread, nullptr);
}

// ---- the allocator: a fault inside malloc with the arena lock held ------------

void FaultingThreadMallocsAgain() {
  BecomeMultiThreaded();
  if (cgg_init(0) != 0) _exit(92);
  cgg_call(cgg_fx_corrupt_fastbin_then_malloc, nullptr, nullptr);
  void* volatile p = malloc(CGG_FX_FASTBIN_SIZE);
  (void)p;
}

TEST(DeclinedRegion, FaultInMallocThenTheFaultingThreadMallocsAgain) {
  ExpectAllDiedBy(RunChildren(FaultingThreadMallocsAgain), SIGSEGV);
}

// A new thread gets an arena of its own while there are fewer than 8 per
// core; past that, threads share them. One arena stands for that here.
void ThreadCreatedAfterTheFaultMallocs() {
  mallopt(M_ARENA_MAX, 1);
  BecomeMultiThreaded();
  if (cgg_init(0) != 0) _exit(92);
  cgg_call(cgg_fx_corrupt_fastbin_then_malloc, nullptr, nullptr);
  RunOnNewThread(MallocOnce, nullptr);
}

TEST(DeclinedRegion, FaultInMallocThenANewThreadMallocs) {
  ExpectAllDiedBy(RunChildren(ThreadCreatedAfterTheFaultMallocs), SIGSEGV);
}

int g_go_pipe[2];
void* g_big_block;

// Waits for a byte on g_go_pipe, then frees g_big_block: too big for the
// tcache, so free takes the lock of the arena it came from.
void* FreeBigBlockWhenTold(void*) {
  char c;
  while (read(g_go_pipe[0], &c, 1) < 0 && errno == EINTR) {
  }
  free(g_big_block);
  return nullptr;
}

void AnotherThreadFreesIntoTheArena() {
  if (pipe(g_go_pipe) != 0) _exit(93);
  g_big_block = malloc(4000);
  pthread_t thread;
  if (pthread_create(&thread, nullptr, FreeBigBlockWhenTold, nullptr) != 0) _exit(91);
  if (cgg_init(0) != 0) _exit(92);
  cgg_call(cgg_fx_corrupt_fastbin_then_malloc, nullptr, nullptr);
  char c = 1;
  if (write(g_go_pipe[1], &c, 1) != 1) _exit(94);
  pthread_join(thread, nullptr);
}

TEST(DeclinedRegion, FaultInMallocThenAnotherThreadFreesIntoThatArena) {
  ExpectAllDiedBy(RunChildren(AnotherThreadFreesIntoTheArena), SIGSEGV);
}

void* GuardedCorruptionAndMalloc(void*) {
  cgg_call(cgg_fx_corrupt_fastbin_then_malloc, nullptr, nullptr);
  return nullptr;
}

// Nothing else happens: the worker thread ends (glibc frees its tcache into
// its arena at thread exit), and so does the process.
void FaultOnAWorkerThread() {
  if (cgg_init(0) != 0) _exit(92);
  RunOnNewThread(GuardedCorruptionAndMalloc, nullptr);
}

TEST(DeclinedRegion, FaultInMallocOnAWorkerThreadWithNothingElseDone) {
  ExpectAllDiedBy(RunChildren(FaultOnAWorkerThread), SIGSEGV);
}

// glibc's own check: "malloc(): corrupted top size", abort() raised inside
// malloc with the arena lock held. Declined even under CGG_CONTAIN_ABORT.
void AbortInsideMallocUnderContainAbort() {
  BecomeMultiThreaded();
  if (cgg_init(CGG_CONTAIN_ABORT) != 0) _exit(92);
  cgg_call(cgg_fx_corrupt_heap_then_malloc, nullptr, nullptr);
  void* volatile p = malloc(100 * 1000);
  (void)p;
}

TEST(DeclinedRegion, GlibcHeapCorruptionAbortUnderContainAbort) {
  ExpectAllDiedBy(RunChildren(AbortInsideMallocUnderContainAbort), SIGABRT);
}

// ---- the dynamic loader: a constructor that faults inside dlopen --------------

void DlopenFaultingConstructor(void*) {
  void* volatile handle = dlopen(CGG_CTOR_FAULT_MODULE, RTLD_NOW);
  (void)handle;
}

void* DlopenAnother(void*) {
  void* volatile handle = dlopen(CGG_LATE_MODULE, RTLD_NOW);
  (void)handle;
  return nullptr;
}

// The loader's lock is recursive: the faulting thread itself could take it
// again; another thread's dlopen waits for it.
void ConstructorFaultsInsideAGuardedDlopen() {
  BecomeMultiThreaded();
  if (cgg_init(0) != 0) _exit(92);
  cgg_call(DlopenFaultingConstructor, nullptr, nullptr);
  RunOnNewThread(DlopenAnother, nullptr);
}

TEST(DeclinedRegion, ConstructorFaultInsideAGuardedDlopen) {
  ExpectAllDiedBy(RunChildren(ConstructorFaultsInsideAGuardedDlopen), SIGSEGV);
}

}  // namespace
