#include "test_support.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace cgg_test {

pid_t Tid() {
  return static_cast<pid_t>(syscall(SYS_gettid));
}

cgg_stats Stats() {
  cgg_stats stats;
  cgg_get_stats(&stats);
  return stats;
}

std::vector<std::string> FrameFunctions(const cgg_fault& fault) {
  std::vector<cgg_symbol> symbols(CGG_MAX_FRAMES);
  int n = cgg_symbolize_fault(&fault, symbols.data(), CGG_MAX_FRAMES);
  std::vector<std::string> names;
  for (int i = 0; i < n; i++) names.emplace_back(symbols[i].function);
  return names;
}

std::string DescribeFrames(const cgg_fault& fault) {
  std::ostringstream out;
  std::vector<std::string> names = FrameFunctions(fault);
  for (size_t i = 0; i < names.size(); i++) {
    out << "#" << i << " " << std::hex << fault.frames[i] << std::dec << " "
        << (names[i].empty() ? "??" : names[i]) << "\n";
  }
  return out.str();
}

testing::AssertionResult HasFrame(const cgg_fault& fault, const std::string& name) {
  for (const std::string& f : FrameFunctions(fault)) {
    if (f == name) return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "no frame named " << name << " in\n"
                                     << DescribeFrames(fault);
}

testing::AssertionResult HasFrameContaining(const cgg_fault& fault, const std::string& part) {
  for (const std::string& f : FrameFunctions(fault)) {
    if (f.find(part) != std::string::npos) return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "no frame containing " << part << " in\n"
                                     << DescribeFrames(fault);
}

bool MainStackIsBounded() {
  struct rlimit limit;
  return getrlimit(RLIMIT_STACK, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
         limit.rlim_cur <= 256ul * 1024 * 1024;
}

int CountDirEntries(const char* path) {
  DIR* dir = opendir(path);
  if (dir == nullptr) return -1;
  int n = 0;
  while (struct dirent* e = readdir(dir)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
  }
  closedir(dir);
  return n;
}

int CountLines(const char* path) {
  std::ifstream in(path);
  if (!in) return -1;
  int n = 0;
  std::string line;
  while (std::getline(in, line)) n++;
  return n;
}

CodeRange FunctionRange(void (*fn)(void*)) {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(fn), &info) == 0 || info.dli_saddr == nullptr) return {0, 0};
  uintptr_t lo = reinterpret_cast<uintptr_t>(info.dli_saddr);
  return {lo, lo + 256};
}

namespace {

class OutputMatcher : public testing::MatcherInterface<const std::string&> {
 public:
  OutputMatcher(std::vector<std::string> contains, std::vector<std::string> lacks,
                std::vector<std::string> once)
      : contains_(std::move(contains)), lacks_(std::move(lacks)), once_(std::move(once)) {}

  bool MatchAndExplain(const std::string& out, testing::MatchResultListener* listener) const {
    for (const std::string& s : contains_) {
      if (out.find(s) == std::string::npos) {
        *listener << "lacks \"" << s << "\"";
        return false;
      }
    }
    for (const std::string& s : once_) {
      size_t n = 0;
      for (size_t at = out.find(s); at != std::string::npos; at = out.find(s, at + 1)) n++;
      if (n != 1) {
        *listener << "has \"" << s << "\" " << n << " times";
        return false;
      }
    }
    for (const std::string& s : lacks_) {
      if (out.find(s) != std::string::npos) {
        *listener << "has \"" << s << "\"";
        return false;
      }
    }
    return true;
  }

  void DescribeTo(std::ostream* os) const {
    *os << "output with";
    for (const std::string& s : contains_) *os << " \"" << s << "\"";
    for (const std::string& s : once_) *os << " \"" << s << "\" once";
    for (const std::string& s : lacks_) *os << " and without \"" << s << "\"";
  }

 private:
  std::vector<std::string> contains_, lacks_, once_;
};

// Async-signal-safe text building: no stdio, no allocation.
struct Line {
  char buf[256];
  size_t n = 0;
  void Add(const char* s) {
    while (*s != '\0' && n + 1 < sizeof buf) buf[n++] = *s++;
  }
  void Dec(long v) {
    char tmp[24];
    int i = 0;
    bool neg = v < 0;
    unsigned long u = neg ? 0UL - static_cast<unsigned long>(v) : static_cast<unsigned long>(v);
    do {
      tmp[i++] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u != 0);
    if (neg) tmp[i++] = '-';
    while (i > 0 && n + 1 < sizeof buf) buf[n++] = tmp[--i];
  }
  void Hex(uintptr_t v) {
    Add("0x");
    char tmp[20];
    int i = 0;
    do {
      tmp[i++] = "0123456789abcdef"[v & 15];
      v >>= 4;
    } while (v != 0);
    while (i > 0 && n + 1 < sizeof buf) buf[n++] = tmp[--i];
  }
  void Write() {
    ssize_t ignored = write(STDERR_FILENO, buf, n);
    (void)ignored;
  }
};

CodeRange g_expected_pc;
volatile sig_atomic_t g_previous_calls;

uintptr_t InterruptedPc(void* ucontext) {
#if defined(__x86_64__)
  return static_cast<uintptr_t>(static_cast<ucontext_t*>(ucontext)->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<uintptr_t>(static_cast<ucontext_t*>(ucontext)->uc_mcontext.pc);
#endif
}

void PreviousHandler(int signo, siginfo_t* info, void* ucontext) {
  g_previous_calls = g_previous_calls + 1;
  uintptr_t pc = InterruptedPc(ucontext);
  Line line;
  line.Add("previous handler: signo=");
  line.Dec(signo);
  line.Add(" code=");
  line.Dec(info->si_code);
  line.Add(" addr=");
  line.Hex(reinterpret_cast<uintptr_t>(info->si_addr));
  line.Add(" pc_in_range=");
  line.Dec(pc >= g_expected_pc.lo && pc < g_expected_pc.hi ? 1 : 0);
  line.Add(" call=");
  line.Dec(g_previous_calls);
  line.Add("\n");
  line.Write();
  _exit(kPreviousHandlerExit);
}

void RecordingHandler(int signo, siginfo_t* info, void*) {
  g_seen.calls = g_seen.calls + 1;
  g_seen.signo = signo;
  g_seen.code = info->si_code;
}

void Install(int signo, void (*fn)(int, siginfo_t*, void*)) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = fn;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  if (sigaction(signo, &action, nullptr) != 0) abort();
}

}  // namespace

SeenSignal g_seen;

testing::Matcher<const std::string&> Output(std::vector<std::string> contains,
                                            std::vector<std::string> lacks,
                                            std::vector<std::string> once) {
  return testing::MakeMatcher(
      new OutputMatcher(std::move(contains), std::move(lacks), std::move(once)));
}

void InstallPreviousHandler(int signo, CodeRange expected_pc) {
  g_expected_pc = expected_pc;
  Install(signo, PreviousHandler);
}

void InstallRecordingHandler(int signo) {
  Install(signo, RecordingHandler);
}

}  // namespace cgg_test
