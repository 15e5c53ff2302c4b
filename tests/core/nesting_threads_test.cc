// Guards nest (the innermost armed guard catches, the outer one keeps going)
// and every thread has its own guards.
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include <atomic>
#include <thread>
#include <vector>

#include "test_support.h"

namespace {

using cgg_test::HasFrame;
using cgg_test::HasFrameContaining;
using cgg_test::Tid;

struct Nest {
  int depth_in_outer = -1;
  int depth_in_inner = -1;
  int inner_rc = -1;
  int depth_after_inner = -1;
  bool outer_continued = false;
  bool outer_fault_after = false;  // the outer body faults after the inner guard
  bool reached_end = false;
  cgg_fault inner;
};

void InnerBody(void* arg) {
  auto* nest = static_cast<Nest*>(arg);
  nest->depth_in_inner = cgg_guard_depth();
  cgg_fx_null_write(nullptr);
  __asm__ volatile("" ::: "memory");  // no tail call: InnerBody stays on the stack
}

void OuterBody(void* arg) {
  auto* nest = static_cast<Nest*>(arg);
  nest->depth_in_outer = cgg_guard_depth();
  nest->inner_rc = cgg_call(InnerBody, nest, &nest->inner);
  nest->depth_after_inner = cgg_guard_depth();
  nest->outer_continued = true;
  if (nest->outer_fault_after) cgg_fx_readonly_write(nullptr);
  nest->reached_end = true;
}

TEST(Nesting, InnerGuardCatchesAndOuterContinues) {
  Nest nest;
  cgg_fault outer;
  ASSERT_EQ(cgg_call(OuterBody, &nest, &outer), 0);
  EXPECT_EQ(nest.depth_in_outer, 1);
  EXPECT_EQ(nest.depth_in_inner, 2);
  ASSERT_EQ(nest.inner_rc, SIGSEGV);
  EXPECT_EQ(nest.inner.addr, CGG_FX_NULL_WRITE_ADDR);
  EXPECT_TRUE(HasFrameContaining(nest.inner, "InnerBody"));
  // The inner fault is contained at the inner guard: the outer guarded
  // function's frames are above it, not between.
  EXPECT_EQ(nest.depth_after_inner, 1);
  EXPECT_TRUE(nest.outer_continued);
  EXPECT_TRUE(nest.reached_end);
  EXPECT_EQ(cgg_guard_depth(), 0);
}

TEST(Nesting, OuterFaultsAfterInnerWasContained) {
  Nest nest;
  nest.outer_fault_after = true;
  cgg_fault outer;
  ASSERT_EQ(cgg_call(OuterBody, &nest, &outer), SIGSEGV);
  ASSERT_EQ(nest.inner_rc, SIGSEGV);
  EXPECT_TRUE(nest.outer_continued);
  EXPECT_FALSE(nest.reached_end);
  // Each guard got its own record.
  EXPECT_EQ(nest.inner.addr, CGG_FX_NULL_WRITE_ADDR);
  EXPECT_EQ(nest.inner.code, SEGV_MAPERR);
  EXPECT_EQ(outer.addr, cgg_fx_readonly_address());
  EXPECT_EQ(outer.code, SEGV_ACCERR);
  EXPECT_GT(outer.id, nest.inner.id);
  EXPECT_TRUE(HasFrame(outer, "cgg_fx_readonly_write"));
  EXPECT_TRUE(HasFrameContaining(outer, "OuterBody"));
  EXPECT_EQ(cgg_last_fault(), &outer);
  EXPECT_EQ(cgg_guard_depth(), 0);
}

// Three levels; each level records its depth; the innermost faults.
struct Chain {
  int depth[3] = {-1, -1, -1};
  int rc[3] = {-1, -1, -1};
  cgg_fault fault[3];
};
Chain* g_chain;

void Level2(void*) {
  g_chain->depth[2] = cgg_guard_depth();
  cgg_fx_bus_past_eof(nullptr);
  __asm__ volatile("" ::: "memory");  // no tail call
}
void Level1(void*) {
  g_chain->depth[1] = cgg_guard_depth();
  g_chain->rc[2] = cgg_call(Level2, nullptr, &g_chain->fault[2]);
}
void Level0(void*) {
  g_chain->depth[0] = cgg_guard_depth();
  g_chain->rc[1] = cgg_call(Level1, nullptr, &g_chain->fault[1]);
}

TEST(Nesting, ThreeLevelsOnlyInnermostReportsTheFault) {
  ASSERT_NE(cgg_fx_bus_address(), 0u);
  Chain chain;
  g_chain = &chain;
  chain.rc[0] = cgg_call(Level0, nullptr, &chain.fault[0]);
  EXPECT_EQ(chain.depth[0], 1);
  EXPECT_EQ(chain.depth[1], 2);
  EXPECT_EQ(chain.depth[2], 3);
  EXPECT_EQ(chain.rc[0], 0);
  EXPECT_EQ(chain.rc[1], 0);
  ASSERT_EQ(chain.rc[2], SIGBUS);
  EXPECT_EQ(chain.fault[2].addr, cgg_fx_bus_address());
  EXPECT_TRUE(HasFrameContaining(chain.fault[2], "Level2"));
  EXPECT_EQ(cgg_guard_depth(), 0);
}

// The outer call's fault in the next test: a signal none of the inner calls
// raise. arm64 does not trap on integer division by zero, so it faults with
// an undefined instruction there.
#if defined(__x86_64__)
void (*const kOuterFault)(void*) = cgg_fx_divide_by_zero;
constexpr int kOuterSignal = SIGFPE;
#else
void (*const kOuterFault)(void*) = cgg_fx_illegal_instruction;
constexpr int kOuterSignal = SIGILL;
#endif

// An exception in the inner call does not disturb the outer guard either.
void OuterWithThrowingInner(void* arg) {
  auto* rc = static_cast<int*>(arg);
  rc[0] = cgg_call(cgg_fx_cxx_throw, nullptr, nullptr);
  rc[1] = cgg_guard_depth();
  kOuterFault(nullptr);
}

TEST(Nesting, InnerExceptionThenOuterSignal) {
  int rc[2] = {0, 0};
  cgg_fault outer;
  ASSERT_EQ(cgg_call(OuterWithThrowingInner, rc, &outer), kOuterSignal);
  EXPECT_EQ(rc[0], CGG_CXX_EXCEPTION);
  EXPECT_EQ(rc[1], 1);
#if defined(__x86_64__)
  EXPECT_EQ(outer.code, FPE_INTDIV);
#endif
  EXPECT_EQ(cgg_guard_depth(), 0);
}

// ---- Threads ----

// While thread A sits inside a guarded call, thread B faults under its own
// guard: B's guard catches, A's guard is untouched and A finishes normally.
struct Rendezvous {
  std::atomic<int> stage{0};
};

void WaitForStage(const std::atomic<int>& stage, int value) {
  while (stage.load() < value) std::this_thread::yield();
}

void HoldGuardUntilOtherFaulted(void* arg) {
  auto* r = static_cast<Rendezvous*>(arg);
  r->stage.store(1);          // A's guard is armed
  WaitForStage(r->stage, 2);  // B faulted and was contained
}

TEST(Threads, GuardsArePerThread) {
  Rendezvous r;
  int a_rc = -1;
  int a_depth_after = -1;
  std::thread a([&] {
    a_rc = cgg_call(HoldGuardUntilOtherFaulted, &r, nullptr);
    a_depth_after = cgg_guard_depth();
  });
  WaitForStage(r.stage, 1);
  int b_rc = -1;
  int b_depth_before = -1;
  cgg_fault b_fault;
  pid_t b_tid = 0;
  std::thread b([&] {
    b_tid = Tid();
    b_depth_before = cgg_guard_depth();
    b_rc = cgg_call(cgg_fx_null_write, nullptr, &b_fault);
  });
  b.join();
  r.stage.store(2);
  a.join();
  EXPECT_EQ(b_depth_before, 0);  // A's armed guard is not B's
  ASSERT_EQ(b_rc, SIGSEGV);
  EXPECT_EQ(b_fault.thread_id, static_cast<uint64_t>(b_tid));
  EXPECT_EQ(a_rc, 0);
  EXPECT_EQ(a_depth_after, 0);
}

// Guarded calls on a thread created by native code (pthread_create in the
// fixtures library), nested, with faults at both levels.
struct NativeNest {
  pid_t tid = 0;
  int outer_rc = -1;
  Nest nest;
  cgg_fault outer;
};

void NativeNestBody(void* arg) {
  auto* n = static_cast<NativeNest*>(arg);
  n->tid = Tid();
  n->nest.outer_fault_after = true;
  n->outer_rc = cgg_call(OuterBody, &n->nest, &n->outer);
}

TEST(Threads, NestedGuardsOnNativeThread) {
  NativeNest n;
  ASSERT_EQ(cgg_fx_run_on_native_thread(NativeNestBody, &n, 0), 0);
  EXPECT_NE(n.tid, Tid());
  ASSERT_EQ(n.nest.inner_rc, SIGSEGV);
  ASSERT_EQ(n.outer_rc, SIGSEGV);
  EXPECT_EQ(n.nest.inner.thread_id, static_cast<uint64_t>(n.tid));
  EXPECT_EQ(n.outer.thread_id, static_cast<uint64_t>(n.tid));
  EXPECT_EQ(n.nest.inner.addr, CGG_FX_NULL_WRITE_ADDR);
  EXPECT_EQ(n.outer.addr, cgg_fx_readonly_address());
}

// Four threads fault with four different signals at the same time, nested
// and not; each gets its own signal and address.
struct Worker {
  void (*fn)(void*);
  int signo;
  pid_t tid = 0;
  int wrong = 0;
  int contained = 0;
};

TEST(Threads, DifferentSignalsAtOnceOnFourThreads) {
  ASSERT_NE(cgg_fx_bus_address(), 0u);
  std::vector<Worker> workers = {{cgg_fx_null_write, SIGSEGV},
                                 {cgg_fx_bus_past_eof, SIGBUS},
                                 {cgg_fx_illegal_instruction, SIGILL},
                                 {cgg_fx_trap, SIGTRAP}};
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (Worker& w : workers) {
    threads.emplace_back([&w, &ready, n = static_cast<int>(workers.size())] {
      w.tid = Tid();
      ready.fetch_add(1);
      while (ready.load() < n) std::this_thread::yield();
      for (int i = 0; i < 500; i++) {
        cgg_fault f;
        int rc = cgg_call(w.fn, nullptr, &f);
        if (rc == w.signo && f.signo == w.signo && f.thread_id == static_cast<uint64_t>(w.tid) &&
            cgg_guard_depth() == 0) {
          w.contained++;
        } else {
          w.wrong++;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Worker& w : workers) {
    EXPECT_EQ(w.contained, 500) << "signal " << w.signo;
    EXPECT_EQ(w.wrong, 0) << "signal " << w.signo;
  }
}

}  // namespace
