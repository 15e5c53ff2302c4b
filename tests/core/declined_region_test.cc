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
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
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

// A child's start: multi-threaded (so glibc's allocator takes its locks),
// then cgoguard installed.
void InitMultiThreaded() {
  BecomeMultiThreaded();
  if (cgg_init(0) != 0) _exit(92);
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
  InitMultiThreaded();
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
  InitMultiThreaded();
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
  InitMultiThreaded();
  cgg_call(DlopenFaultingConstructor, nullptr, nullptr);
  RunOnNewThread(DlopenAnother, nullptr);
}

TEST(DeclinedRegion, ConstructorFaultInsideAGuardedDlopen) {
  ExpectAllDiedBy(RunChildren(ConstructorFaultsInsideAGuardedDlopen), SIGSEGV);
}

// ---- the table: what is declined, what is not ------------------------------

// The address of a function of the C library itself (not an interposer's,
// such as a sanitizer's malloc).
uintptr_t LibcFunction(const char* name) {
  void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  EXPECT_NE(libc, nullptr) << dlerror();
  void* fn = libc != nullptr ? dlsym(libc, name) : nullptr;
  EXPECT_NE(fn, nullptr) << name;
  return reinterpret_cast<uintptr_t>(fn);
}

int FindLoaderCode(struct dl_phdr_info* info, size_t, void* arg) {
  if (info->dlpi_addr != getauxval(AT_BASE)) return 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) != 0) {
      *static_cast<uintptr_t*>(arg) = info->dlpi_addr + ph.p_vaddr;
      return 1;
    }
  }
  return 0;
}

// The start of the dynamic loader's code (not a function that a sanitizer
// may intercept under the same name).
uintptr_t LoaderCode() {
  uintptr_t code = 0;
  dl_iterate_phdr(FindLoaderCode, &code);
  return code;
}

TEST(DeclinedRegion, TableHoldsTheAllocatorLoaderStdioAndExit) {
  ASSERT_EQ(cgg_declines_pc(LibcFunction("malloc")), 0) << "before cgg_init there is no table";
  ASSERT_EQ(cgg_init(0), 0);
  for (const char* name : {"malloc",          "free",
                           "calloc",          "realloc",
                           "memalign",        "posix_memalign",
                           "aligned_alloc",   "valloc",
                           "pvalloc",         "malloc_usable_size",
                           "malloc_trim",     "mallinfo2",
                           "printf",          "fprintf",
                           "vfprintf",        "puts",
                           "fputs",           "fwrite",
                           "fread",           "fgets",
                           "getline",         "fflush",
                           "fclose",          "dlopen",
                           "dlclose",         "dlsym",
                           "dl_iterate_phdr", "exit",
                           "__cxa_atexit",    "__cxa_finalize"}) {
    uintptr_t fn = LibcFunction(name);
    EXPECT_EQ(cgg_declines_pc(fn), 1) << name;
    EXPECT_EQ(cgg_declines_pc(fn + 4), 1) << name << " + 4";
  }
  // The loader's own code, whole.
  uintptr_t loader_code = LoaderCode();
  ASSERT_NE(loader_code, 0u);
  EXPECT_EQ(cgg_declines_pc(loader_code), 1);
  EXPECT_EQ(cgg_declines_pc(loader_code + 1000), 1);
}

TEST(DeclinedRegion, TableLeavesOrdinaryLibcAndUserCodeAlone) {
  ASSERT_EQ(cgg_init(0), 0);
  // dlsym resolves memcpy and strlen to the implementation the CPU runs.
  for (const char* name : {"memcpy", "memmove", "memset", "strlen", "strcmp", "qsort", "bsearch",
                           "snprintf", "strtol", "abort", "raise", "pthread_mutex_lock"}) {
    EXPECT_EQ(cgg_declines_pc(LibcFunction(name)), 0) << name;
  }
  EXPECT_EQ(cgg_declines_pc(reinterpret_cast<uintptr_t>(&cgg_fx_null_write)), 0);
  EXPECT_EQ(cgg_declines_pc(reinterpret_cast<uintptr_t>(&cgg_call)), 0);
}

// ---- what stays contained --------------------------------------------------------

TEST(DeclinedRegion, FaultsInMemcpyStrlenAndQsortCallbacksStayContained) {
  ASSERT_EQ(cgg_init(0), 0);
  cgg_fault f;
  EXPECT_EQ(cgg_call(cgg_fx_fault_in_memcpy, nullptr, &f), SIGSEGV);
  EXPECT_EQ(f.addr, CGG_FX_NULL_WRITE_ADDR);
  EXPECT_EQ(cgg_call(cgg_fx_fault_in_strlen, nullptr, &f), SIGSEGV);
  EXPECT_EQ(f.addr, CGG_FX_NULL_WRITE_ADDR);
  EXPECT_EQ(cgg_call(cgg_fx_fault_in_qsort_callback, nullptr, &f), SIGSEGV);
  EXPECT_EQ(cgg_call(cgg_fx_stack_overflow, nullptr, &f), SIGSEGV);
  EXPECT_EQ(cgg_call(cgg_fx_cxx_throw, nullptr, &f), CGG_CXX_EXCEPTION);
  cgg_stats stats = cgg_test::Stats();
  EXPECT_EQ(stats.declined_total, 0u);
  EXPECT_EQ(stats.contained_total, 5u);
}

// ---- the user's own regions ----------------------------------------------------------

// The "previous" handler of the death tests below: exits 42 when the fault
// reached it declined (and counted), 43 otherwise. cgg_get_stats is not
// async-signal-safe (it takes cgoguard's install lock); nothing else holds it
// in these single-threaded children.
void ExitWithDeclinedCount(int, siginfo_t*, void*) {
  cgg_stats stats;
  cgg_get_stats(&stats);
  _exit(stats.declined_total == 1 && stats.declined[SIGSEGV] == 1 ? 42 : 43);
}

void InstallDeclinedCountHandler() {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = ExitWithDeclinedCount;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, nullptr);
}

void DeclineSymbolThenFault() {
  InstallDeclinedCountHandler();
  if (cgg_decline_symbol("cgg_fx_null_write") != 0) _exit(44);
  if (cgg_init(0) != 0) _exit(45);
  cgg_call(cgg_fx_null_write, nullptr, nullptr);
  _exit(0);
}

TEST(DeclinedRegionDeathTest, ASymbolTheUserNamesIsDeclined) {
  EXPECT_EXIT(DeclineSymbolThenFault(), testing::ExitedWithCode(42), "");
}

void DeclineModuleAfterInitThenFault() {
  InstallDeclinedCountHandler();
  if (cgg_init(0) != 0) _exit(45);
  if (cgg_call(cgg_fx_null_read, nullptr, nullptr) != SIGSEGV) _exit(46);  // contained
  if (cgg_decline_module("libcgg_fixtures.so") != 0) _exit(44);
  cgg_call(cgg_fx_deep_null_write, nullptr, nullptr);
  _exit(0);
}

TEST(DeclinedRegionDeathTest, AModuleTheUserNamesAfterInitIsDeclined) {
  EXPECT_EXIT(DeclineModuleAfterInitThenFault(), testing::ExitedWithCode(42), "");
}

// A death test, so that it runs in a process no other test has initialized
// (gtest runs death-test suites first, each in a child).
TEST(DeclinedRegionDeathTest, RefreshBeforeInitIsRefused) {
  EXPECT_EXIT(
      {
        fprintf(stderr, "refresh=%d\n", cgg_decline_refresh());
        _exit(0);
      },
      testing::ExitedWithCode(0), cgg_test::Output({"refresh=" + std::to_string(-EPERM) + "\n"}));
}

TEST(DeclinedRegion, RefreshCoversAModuleLoadedAfterInit) {
  ASSERT_EQ(cgg_decline_symbol("cgg_late_module_function"), 0);
  ASSERT_EQ(cgg_init(0), 0);
  void* late = dlopen(CGG_LATE_MODULE, RTLD_NOW);
  ASSERT_NE(late, nullptr) << dlerror();
  auto fn = reinterpret_cast<uintptr_t>(dlsym(late, "cgg_late_module_function"));
  ASSERT_NE(fn, 0u);
  EXPECT_EQ(cgg_declines_pc(fn), 0) << "loaded after the table was built";
  ASSERT_EQ(cgg_decline_refresh(), 0);
  EXPECT_EQ(cgg_declines_pc(fn), 1);
}

TEST(DeclinedRegion, NamesAreChecked) {
  EXPECT_EQ(cgg_decline_module(nullptr), -EINVAL);
  EXPECT_EQ(cgg_decline_module(""), -EINVAL);
  EXPECT_EQ(cgg_decline_symbol(nullptr), -EINVAL);
  EXPECT_EQ(cgg_decline_symbol(""), -EINVAL);
  EXPECT_EQ(cgg_decline_symbol("no_such_function_anywhere"), 0);  // kept for later modules
}

}  // namespace
