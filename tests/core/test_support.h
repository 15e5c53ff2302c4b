// Helpers shared by the core test binaries: thread ids, stats, symbolized
// frame names, /proc readers, death-test output matchers, and a "previous"
// signal handler that tests install before cgoguard.
#ifndef CGOGUARD_TESTS_CORE_TEST_SUPPORT_H_
#define CGOGUARD_TESTS_CORE_TEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include "proc_status.h"

#include <string>
#include <vector>

#include "cgg_fixtures.h"
#include "cgoguard/cgoguard.h"

namespace cgg_test {

// Kernel thread id of the caller (what cgg_fault.thread_id holds).
pid_t Tid();

cgg_stats Stats();

// Symbolized function name of every frame of `fault` ("" where unknown).
std::vector<std::string> FrameFunctions(const cgg_fault& fault);
// "#0 name\n#1 name\n..." for failure messages.
std::string DescribeFrames(const cgg_fault& fault);
// Success when some frame's function is exactly `name` (C functions).
testing::AssertionResult HasFrame(const cgg_fault& fault, const std::string& name);
// Success when some frame's function contains `part` (C++ functions, whose
// demangled names carry namespaces and parameter lists).
testing::AssertionResult HasFrameContaining(const cgg_fault& fault, const std::string& part);

// Whether the main thread's stack has a finite size limit (RLIMIT_STACK), so
// that overflowing it ends soon. With `ulimit -s unlimited` the main stack
// grows into the rest of the address space instead; tests skip then.
bool MainStackIsBounded();

// Entries of a directory (without "." and ".."), or -1.
int CountDirEntries(const char* path);
// Lines of a file, or -1.
int CountLines(const char* path);

// Address range [lo, hi) of the function that contains `addr` (its symbol's
// start up to the next 256 bytes: enough for the fixtures, which are tiny).
struct CodeRange {
  uintptr_t lo;
  uintptr_t hi;
};
CodeRange FunctionRange(void (*fn)(void*));

// Matches death-test output (stderr) that contains every string of
// `contains`, each string of `once` exactly once, and none of `lacks`.
testing::Matcher<const std::string&> Output(std::vector<std::string> contains,
                                            std::vector<std::string> lacks = {},
                                            std::vector<std::string> once = {});

// Exit code of the "previous" handler below.
constexpr int kPreviousHandlerExit = 42;

// Installs, for `signo`, an SA_SIGINFO handler that stands for whatever was
// there before cgoguard (the Go runtime's, in a Go program). It writes
//   "previous handler: signo=<n> code=<n> addr=<hex> pc_in_range=<0|1> call=<n>\n"
// to stderr with write(2) and _exits with kPreviousHandlerExit. pc_in_range
// tells whether the interrupted pc in the ucontext lies in `expected_pc`
// (pass {0, 0} to skip). Async-signal-safe.
void InstallPreviousHandler(int signo, CodeRange expected_pc = {0, 0});

// Same, but records what it saw and returns (for signals that are not
// re-raised by returning, such as raise(SIGSEGV)).
struct SeenSignal {
  volatile sig_atomic_t calls;
  volatile sig_atomic_t signo;
  volatile sig_atomic_t code;
};
extern SeenSignal g_seen;
void InstallRecordingHandler(int signo);

}  // namespace cgg_test

#endif  // CGOGUARD_TESTS_CORE_TEST_SUPPORT_H_
