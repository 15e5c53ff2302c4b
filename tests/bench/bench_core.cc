// Core benchmarks: the cost of a guarded call against a direct one, of a
// contained fault's round trip against the kernel's own cost of a signal
// (delivery and sigreturn, with no cgoguard code), and of symbolizing a 16-frame fault cold and
// cached; of C++ exceptions with and without a guard; plus the memory the
// first symbolization in a process costs.
//
// Without --benchmark_repetitions the program runs 5 repetitions and reports
// aggregates (the median is the figure to quote); it then prints the
// guarded/direct ratio computed from the medians.
#include <benchmark/benchmark.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <fstream>
#include <map>
#include <string>

#include <vector>
#include "../core/proc_status.h"

#include "cgg_fixtures.h"
#include "cgoguard/cgoguard.h"

namespace {

// Deep enough that the fault has at least 16 frames (null write + levels of
// recursion + the fixture's entry + cgg_call + caller).
int g_depth = 16;
constexpr int kSymbolizedFrames = 16;

void BM_DirectCall(benchmark::State& state) {
  // volatile: the compiler must make the indirect call every time.
  void (*volatile fn)(void*) = cgg_fx_empty;
  for (auto _ : state) fn(nullptr);
}
BENCHMARK(BM_DirectCall);

void BM_GuardedCall(benchmark::State& state) {
  void (*volatile fn)(void*) = cgg_fx_empty;
  cgg_fault fault;
  for (auto _ : state) {
    int rc = cgg_call(fn, nullptr, &fault);
    benchmark::DoNotOptimize(rc);
  }
}
BENCHMARK(BM_GuardedCall);

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

double MedianOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// cgg_call against a direct call side by side: each iteration times a block
// of direct calls and then a block of guarded calls, so that load from
// other processes hits both alike. Counters: the medians over iterations of
// each block's ns per call and of the per-iteration overhead (guarded minus
// direct). The figure to quote is overhead_ns.
void BM_GuardedOverDirect(benchmark::State& state) {
  constexpr int kBlock = 20000;
  void (*volatile fn)(void*) = cgg_fx_empty;
  cgg_fault fault;
  std::vector<double> direct, guarded, overhead;
  for (auto _ : state) {
    uint64_t t0 = NowNs();
    for (int i = 0; i < kBlock; i++) fn(nullptr);
    uint64_t t1 = NowNs();
    for (int i = 0; i < kBlock; i++) {
      int rc = cgg_call(fn, nullptr, &fault);
      benchmark::DoNotOptimize(rc);
    }
    uint64_t t2 = NowNs();
    direct.push_back(static_cast<double>(t1 - t0) / kBlock);
    guarded.push_back(static_cast<double>(t2 - t1) / kBlock);
    overhead.push_back(guarded.back() - direct.back());
  }
  state.counters["direct_ns"] = MedianOf(direct);
  state.counters["guarded_ns"] = MedianOf(guarded);
  state.counters["overhead_ns"] = MedianOf(overhead);
}
BENCHMARK(BM_GuardedOverDirect)->Iterations(201);

// A contained SIGSEGV, from the fault to cgg_call returning with the raw
// frames recorded (nothing symbolized).
void BM_FaultRoundTrip(benchmark::State& state) {
  cgg_fault fault;
  long frames = 0;
  for (auto _ : state) {
    if (cgg_call(cgg_fx_null_write, nullptr, &fault) != SIGSEGV) {
      state.SkipWithError("fault not contained");
      return;
    }
    frames += fault.nframes;
  }
  state.counters["frames"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_FaultRoundTrip)->ComputeStatistics("min", [](const std::vector<double>& v) {
  return *std::min_element(v.begin(), v.end());
});

// The kernel's floor for a fault round trip on this machine: a SIGSEGV whose
// handler (SA_SIGINFO | SA_ONSTACK, full mask, on the alternate stack, as
// cgoguard's) does nothing but move the interrupted pc past the faulting
// instruction. What remains is the kernel's delivery (the trap, the signal
// frame with the FPU state) and sigreturn. No cgoguard code runs: the
// benchmark swaps its handler in for the measured block and puts the
// previous action (cgoguard's) back before anything else runs.
extern "C" void cgg_bench_floor_fault();
extern "C" char cgg_bench_floor_fault_insn[];
extern "C" char cgg_bench_floor_fault_resume[];
#if defined(__x86_64__)
asm(R"(
  .text
  .p2align 4
  .type cgg_bench_floor_fault, @function
cgg_bench_floor_fault:
  xorl %eax, %eax
cgg_bench_floor_fault_insn:
  movl %eax, (%rax)
cgg_bench_floor_fault_resume:
  ret
  .size cgg_bench_floor_fault, .-cgg_bench_floor_fault
)");
#elif defined(__aarch64__)
asm(R"(
  .text
  .p2align 4
  .type cgg_bench_floor_fault, %function
cgg_bench_floor_fault:
  mov x9, #0
cgg_bench_floor_fault_insn:
  str wzr, [x9]
cgg_bench_floor_fault_resume:
  ret
  .size cgg_bench_floor_fault, .-cgg_bench_floor_fault
)");
#endif

void FloorHandler(int, siginfo_t*, void* ucontext) {
  auto* uc = static_cast<ucontext_t*>(ucontext);
#if defined(__x86_64__)
  uc->uc_mcontext.gregs[REG_RIP] = reinterpret_cast<greg_t>(cgg_bench_floor_fault_resume);
#elif defined(__aarch64__)
  uc->uc_mcontext.pc = reinterpret_cast<uintptr_t>(cgg_bench_floor_fault_resume);
#endif
}

// Installs FloorHandler for SIGSEGV while alive; restores the previous action.
class FloorHandlerInstalled {
 public:
  FloorHandlerInstalled() {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = FloorHandler;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigfillset(&action.sa_mask);
    ok_ = sigaction(SIGSEGV, &action, &previous_) == 0;
  }
  ~FloorHandlerInstalled() {
    if (ok_) sigaction(SIGSEGV, &previous_, nullptr);
  }
  bool ok() const { return ok_; }

 private:
  struct sigaction previous_;
  bool ok_;
};

// One block of `n` bare faults (the floor), in ns per fault.
double FloorBlockNs(int n) {
  FloorHandlerInstalled installed;
  if (!installed.ok()) return -1;
  uint64_t t0 = NowNs();
  for (int i = 0; i < n; i++) cgg_bench_floor_fault();
  return static_cast<double>(NowNs() - t0) / n;
}

// One block of `n` contained faults, in ns per fault; -1 if one was not.
double FaultBlockNs(int n) {
  cgg_fault fault;
  uint64_t t0 = NowNs();
  for (int i = 0; i < n; i++) {
    if (cgg_call(cgg_fx_null_write, nullptr, &fault) != SIGSEGV) return -1;
  }
  return static_cast<double>(NowNs() - t0) / n;
}

void BM_SignalFloor(benchmark::State& state) {
  // The thread's first guarded call gives it the alternate stack cgoguard's
  // handler runs on; the floor's handler runs on the same one.
  cgg_call(cgg_fx_empty, nullptr, nullptr);
  FloorHandlerInstalled installed;
  if (!installed.ok()) {
    state.SkipWithError("sigaction failed");
    return;
  }
  for (auto _ : state) cgg_bench_floor_fault();
}
BENCHMARK(BM_SignalFloor);

// The contained fault against the floor side by side: each iteration times a
// block of bare faults and then a block of contained ones, so that load
// from other processes hits both alike. Counters: the medians over
// iterations of each block's ns per fault, of their ratio and of cgoguard's
// own share (contained minus floor). The figures to quote are ratio and
// share_ns.
void BM_FaultOverFloor(benchmark::State& state) {
  constexpr int kBlock = 200;
  cgg_call(cgg_fx_empty, nullptr, nullptr);
  std::vector<double> floor, fault, ratio, share;
  for (auto _ : state) {
    double f = FloorBlockNs(kBlock);
    double c = FaultBlockNs(kBlock);
    if (f <= 0 || c <= 0) {
      state.SkipWithError("fault not contained");
      return;
    }
    floor.push_back(f);
    fault.push_back(c);
    ratio.push_back(c / f);
    share.push_back(c - f);
  }
  state.counters["floor_ns"] = MedianOf(floor);
  state.counters["fault_ns"] = MedianOf(fault);
  state.counters["ratio"] = MedianOf(ratio);
  state.counters["share_ns"] = MedianOf(share);
}
BENCHMARK(BM_FaultOverFloor)->Iterations(201);

// C++ exceptions. The throw-site capture runs only in the unwinder's search
// phase, when an exception reaches a guard: a throw caught inside native code
// must cost the same with or without a guard armed on the thread.
void BM_ThrowCaughtNoGuard(benchmark::State& state) {
  int caught = 0;
  for (auto _ : state) cgg_fx_cxx_throw_caught_inside(&caught);
  benchmark::DoNotOptimize(caught);
}
BENCHMARK(BM_ThrowCaughtNoGuard);

void ThrowCaughtLoop(void* arg) {
  auto* state = static_cast<benchmark::State*>(arg);
  int caught = 0;
  for (auto _ : *state) cgg_fx_cxx_throw_caught_inside(&caught);
  benchmark::DoNotOptimize(caught);
}

// The same throws, inside one guarded call (the guard is armed throughout).
void BM_ThrowCaughtUnderGuard(benchmark::State& state) {
  cgg_fault fault;
  if (cgg_call(ThrowCaughtLoop, &state, &fault) != 0) state.SkipWithError("exception escaped");
}
BENCHMARK(BM_ThrowCaughtUnderGuard);

// An exception escaping native code to a plain catch, and to a guard (which
// records its throw site and type).
void BM_ThrowEscapesToCatch(benchmark::State& state) {
  for (auto _ : state) {
    try {
      cgg_fx_cxx_throw(nullptr);
    } catch (const std::exception& e) {
      benchmark::DoNotOptimize(e.what());
    }
  }
}
BENCHMARK(BM_ThrowEscapesToCatch);

void BM_ThrowEscapesToGuard(benchmark::State& state) {
  cgg_fault fault;
  for (auto _ : state) {
    if (cgg_call(cgg_fx_cxx_throw, nullptr, &fault) != CGG_CXX_EXCEPTION) {
      state.SkipWithError("exception not contained");
      return;
    }
  }
}
BENCHMARK(BM_ThrowEscapesToGuard);

bool DeepFault(cgg_fault* fault) {
  return cgg_call(cgg_fx_deep_null_write, &g_depth, fault) == SIGSEGV &&
         fault->nframes >= kSymbolizedFrames;
}

// Symbolizing 16 frames with cgoguard's cache empty (the debug information
// is loaded already: see the first-symbolization figures printed first).
void BM_Symbolize16Cold(benchmark::State& state) {
  cgg_fault fault;
  cgg_symbol symbols[kSymbolizedFrames];
  for (auto _ : state) {
    state.PauseTiming();
    cgg_symbol_cache_clear();
    bool ok = DeepFault(&fault);
    state.ResumeTiming();
    if (!ok) {
      state.SkipWithError("no 16-frame fault");
      return;
    }
    int n = cgg_symbolize_fault(&fault, symbols, kSymbolizedFrames);
    benchmark::DoNotOptimize(n);
  }
}
// Real time: the lookups run on cgoguard's symbolizer thread.
BENCHMARK(BM_Symbolize16Cold)->UseRealTime();

void BM_Symbolize16Cached(benchmark::State& state) {
  cgg_fault fault;
  cgg_symbol symbols[kSymbolizedFrames];
  if (!DeepFault(&fault)) {
    state.SkipWithError("no 16-frame fault");
    return;
  }
  cgg_symbolize_fault(&fault, symbols, kSymbolizedFrames);  // fill the cache
  for (auto _ : state) {
    int n = cgg_symbolize_fault(&fault, symbols, kSymbolizedFrames);
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK(BM_Symbolize16Cached)->UseRealTime();

double NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// The first symbolization in the process loads debug information; measured
// once, before any benchmark runs, and added to the report's context.
void MeasureFirstSymbolization() {
  cgg_fault fault;
  if (!DeepFault(&fault)) {
    fprintf(stderr, "first symbolization: no 16-frame fault\n");
    return;
  }
  long rss0 = cgg_test::StatusKiB("VmRSS"), hwm0 = cgg_test::StatusKiB("VmHWM");
  double t0 = NowMs();
  cgg_symbol symbols[kSymbolizedFrames];
  int n = cgg_symbolize_fault(&fault, symbols, kSymbolizedFrames);
  double ms = NowMs() - t0;
  long rss1 = cgg_test::StatusKiB("VmRSS"), hwm1 = cgg_test::StatusKiB("VmHWM");
  char text[256];
  snprintf(text, sizeof text,
           "%d frames in %.1f ms; VmRSS %ld -> %ld KiB (+%ld); VmHWM %ld -> %ld KiB (+%ld)", n, ms,
           rss0, rss1, rss1 - rss0, hwm0, hwm1, hwm1 - hwm0);
  benchmark::AddCustomContext("first_symbolization", text);
}

// Console output as usual; remembers per-iteration real times so that the
// guarded/direct ratio can be printed at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  explicit RatioReporter(OutputOptions options) : ConsoleReporter(options) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const std::string& name = run.run_name.function_name;
      if (run.run_type == Run::RT_Aggregate) {
        if (run.aggregate_name == "median") median_[name] = run.GetAdjustedRealTime();
      } else {
        samples_[name].push_back(run.GetAdjustedRealTime());
      }
    }
  }

  // The median of `name`: the aggregate if reported, else of the samples.
  double Median(const std::string& name) const {
    auto it = median_.find(name);
    if (it != median_.end()) return it->second;
    auto s = samples_.find(name);
    if (s == samples_.end() || s->second.empty()) return -1;
    std::vector<double> v = s->second;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

 private:
  std::map<std::string, double> median_;
  std::map<std::string, std::vector<double>> samples_;
};

// Output options as the default console reporter would take them from
// --benchmark_color (true, false or auto, the default: only on a terminal).
benchmark::ConsoleReporter::OutputOptions ConsoleOptions(int argc, char** argv) {
  bool color = isatty(STDOUT_FILENO) != 0;
  for (int i = 1; i < argc; i++) {
    const char* flag = "--benchmark_color=";
    if (strncmp(argv[i], flag, strlen(flag)) != 0) continue;
    std::string value = argv[i] + strlen(flag);
    if (value == "true" || value == "yes" || value == "1") color = true;
    if (value == "false" || value == "no" || value == "0") color = false;
  }
  return color ? benchmark::ConsoleReporter::OO_Defaults : benchmark::ConsoleReporter::OO_Tabular;
}

bool HasFlag(int argc, char** argv, const char* prefix) {
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], prefix, strlen(prefix)) == 0) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (cgg_init(0) != 0) return 1;
  MeasureFirstSymbolization();

  std::vector<char*> args(argv, argv + argc);
  std::string reps = "--benchmark_repetitions=5";
  std::string aggregates = "--benchmark_report_aggregates_only=true";
  std::string min_time = "--benchmark_min_time=0.2";
  if (!HasFlag(argc, argv, "--benchmark_repetitions")) {
    args.push_back(&reps[0]);
    if (!HasFlag(argc, argv, "--benchmark_report_aggregates_only")) args.push_back(&aggregates[0]);
  }
  if (!HasFlag(argc, argv, "--benchmark_min_time")) args.push_back(&min_time[0]);
  int n = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;

  // The ratio needs the console reporter; other formats run as usual.
  if (HasFlag(argc, argv, "--benchmark_format=") &&
      !HasFlag(argc, argv, "--benchmark_format=console")) {
    benchmark::RunSpecifiedBenchmarks();
  } else {
    RatioReporter reporter(ConsoleOptions(argc, argv));
    benchmark::RunSpecifiedBenchmarks(&reporter);
    double direct = reporter.Median("BM_DirectCall");
    double guarded = reporter.Median("BM_GuardedCall");
    if (direct > 0 && guarded > 0) {
      printf("guarded/direct = %.2fx (median %.2f ns vs %.2f ns; overhead %.2f ns per call)\n",
             guarded / direct, guarded, direct, guarded - direct);
    }
    double fault = reporter.Median("BM_FaultRoundTrip");
    double floor = reporter.Median("BM_SignalFloor");
    if (fault > 0 && floor > 0) {
      printf(
          "fault round trip/kernel floor = %.2fx (median %.0f ns vs %.0f ns; cgoguard's share "
          "%.0f ns; side by side: BM_FaultOverFloor)\n",
          fault / floor, fault, floor, fault - floor);
    }
    double plain_throw = reporter.Median("BM_ThrowCaughtNoGuard");
    double guarded_throw = reporter.Median("BM_ThrowCaughtUnderGuard");
    if (plain_throw > 0 && guarded_throw > 0) {
      printf(
          "throw caught in native code, under a guard/without = %.3fx (median %.0f ns vs %.0f "
          "ns)\n",
          guarded_throw / plain_throw, guarded_throw, plain_throw);
    }
    double to_catch = reporter.Median("BM_ThrowEscapesToCatch");
    double to_guard = reporter.Median("BM_ThrowEscapesToGuard");
    if (to_catch > 0 && to_guard > 0) {
      printf("escaping throw, to a guard/to a plain catch = %.2fx (median %.0f ns vs %.0f ns)\n",
             to_guard / to_catch, to_guard, to_catch);
    }
  }
  benchmark::Shutdown();
  return 0;
}
