// Many threads faulting at once: every fault is contained on its own thread
// with its own address, and the counters add up exactly.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace {

using cgg_test::Tid;

constexpr int kThreads = 8;
constexpr int kFaultsPerThread = 10000;

struct PerThread {
  uintptr_t target = 0;  // the never-mapped address this thread writes to
  pid_t tid = 0;
  int contained = 0;
  int wrong = 0;
  std::string first_wrong;
  std::vector<uint64_t> ids;
};

void FaultLoop(PerThread* t, std::atomic<int>* ready) {
  t->tid = Tid();
  t->ids.reserve(kFaultsPerThread);
  // Set up the thread (alternate stack, guard list) before the start line,
  // so that all threads then fault at the same time.
  int counter = 0;
  cgg_call(cgg_fx_increment, &counter, nullptr);
  ready->fetch_add(1);
  while (ready->load() < kThreads) std::this_thread::yield();
  for (int i = 0; i < kFaultsPerThread; i++) {
    cgg_fault f;
    int rc = cgg_call(cgg_fx_write_to, &t->target, &f);
    bool ok = rc == SIGSEGV && f.signo == SIGSEGV && f.code == SEGV_MAPERR && f.addr == t->target &&
              f.thread_id == static_cast<uint64_t>(t->tid) && f.nframes >= 2 &&
              cgg_guard_depth() == 0 && (t->ids.empty() || f.id > t->ids.back());
    if (ok) {
      t->contained++;
      t->ids.push_back(f.id);
    } else if (t->wrong++ == 0) {
      t->first_wrong = "iteration " + std::to_string(i) + ": rc=" + std::to_string(rc) +
                       " addr=" + std::to_string(f.addr) + " tid=" + std::to_string(f.thread_id) +
                       " depth=" + std::to_string(cgg_guard_depth());
    }
  }
}

TEST(Stress, EightThreadsTenThousandFaultsEachAtOnce) {
  ASSERT_EQ(cgg_init(0), 0);
  cgg_stats before = cgg_test::Stats();
  std::vector<PerThread> per(kThreads);
  for (int i = 0; i < kThreads; i++) {
    // Distinct addresses in [0x1000, 0x10000): below mmap_min_addr, never mapped.
    per[static_cast<size_t>(i)].target = 0x2000 + static_cast<uintptr_t>(i) * 0x1010;
  }
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (PerThread& t : per) threads.emplace_back(FaultLoop, &t, &ready);
  for (std::thread& t : threads) t.join();
  cgg_stats after = cgg_test::Stats();

  std::vector<uint64_t> all_ids;
  for (const PerThread& t : per) {
    SCOPED_TRACE("thread writing to " + std::to_string(t.target));
    EXPECT_EQ(t.contained, kFaultsPerThread);
    EXPECT_EQ(t.wrong, 0) << t.first_wrong;
    all_ids.insert(all_ids.end(), t.ids.begin(), t.ids.end());
  }
  // Fault numbers are process-unique: no two faults shared a record.
  std::sort(all_ids.begin(), all_ids.end());
  EXPECT_EQ(std::adjacent_find(all_ids.begin(), all_ids.end()), all_ids.end());
  const uint64_t total = static_cast<uint64_t>(kThreads) * kFaultsPerThread;
  EXPECT_EQ(all_ids.size(), total);
  EXPECT_EQ(after.contained[SIGSEGV] - before.contained[SIGSEGV], total);
  EXPECT_EQ(after.contained_total - before.contained_total, total);
  EXPECT_EQ(after.chained_total - before.chained_total, 0u);
}

// Four signals on four pairs of threads at once: counted per signal, exactly.
TEST(Stress, MixedSignalsAreCountedPerSignal) {
  ASSERT_NE(cgg_fx_bus_address(), 0u);
  constexpr int kPerThread = 2000;
  struct Kind {
    void (*fn)(void*);
    int signo;
  };
  const Kind kinds[] = {{cgg_fx_null_read, SIGSEGV},
                        {cgg_fx_bus_past_eof, SIGBUS},
                        {cgg_fx_illegal_instruction, SIGILL},
                        {cgg_fx_trap, SIGTRAP}};
  cgg_stats before = cgg_test::Stats();
  std::atomic<int> ready{0};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; i++) {
    Kind k = kinds[i % 4];
    threads.emplace_back([k, &ready, &wrong] {
      ready.fetch_add(1);
      while (ready.load() < 8) std::this_thread::yield();
      for (int n = 0; n < kPerThread; n++) {
        cgg_fault f;
        if (cgg_call(k.fn, nullptr, &f) != k.signo || f.signo != k.signo) wrong.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  cgg_stats after = cgg_test::Stats();
  EXPECT_EQ(wrong.load(), 0);
  for (const Kind& k : kinds) {
    EXPECT_EQ(after.contained[k.signo] - before.contained[k.signo], 2u * kPerThread)
        << "signal " << k.signo;
  }
  EXPECT_EQ(after.contained_total - before.contained_total, 8u * kPerThread);
}

}  // namespace
