// Report callbacks: once per contained fault, on the faulting thread, after
// the jump back (ordinary context), with the very record the caller gets.
#include <errno.h>
#include <signal.h>
#include <string.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace {

using cgg_test::Tid;

struct Seen {
  int calls = 0;
  pid_t tid = 0;
  const cgg_fault* record = nullptr;
  cgg_fault copy;
  bool on_alt_stack = true;
  int depth = -1;
  // Ordinary-context work done inside the callback.
  std::string symbol;
  int nested_rc = 0;
  uintptr_t nested_addr = 0;
  bool run_nested = false;
  bool in_callback = false;
};

void Record(const cgg_fault* fault, void* user) {
  auto* seen = static_cast<Seen*>(user);
  seen->calls++;
  if (seen->in_callback) return;  // the nested fault below reports here too
  seen->in_callback = true;
  seen->tid = Tid();
  seen->record = fault;
  seen->copy = *fault;
  stack_t ss;
  sigaltstack(nullptr, &ss);
  seen->on_alt_stack = (ss.ss_flags & SS_ONSTACK) != 0;
  seen->depth = cgg_guard_depth();
  // Allocation, locks and symbolization are all fine here.
  auto names = std::make_unique<std::vector<std::string>>();
  cgg_symbol s;
  if (cgg_symbolize(fault->pc, 0, &s) == 0) names->push_back(s.function);
  if (!names->empty()) seen->symbol = names->front();
  if (seen->run_nested) {
    cgg_fault nested;
    seen->nested_rc = cgg_call(cgg_fx_readonly_write, nullptr, &nested);
    seen->nested_addr = nested.addr;
  }
  seen->in_callback = false;
}

class Reports : public testing::Test {
 protected:
  void TearDown() override {
    for (int id : ids_) cgg_report_remove(id);
  }
  int Add(cgg_report_fn fn, void* user) {
    int id = cgg_report_add(fn, user);
    EXPECT_GT(id, 0);
    ids_.push_back(id);
    return id;
  }
  std::vector<int> ids_;
};

TEST_F(Reports, CalledOncePerContainedFaultWithTheCallersRecord) {
  Seen seen;
  Add(Record, &seen);
  cgg_fault f;
  ASSERT_EQ(cgg_call(cgg_fx_null_write, nullptr, &f), SIGSEGV);
  EXPECT_EQ(seen.calls, 1);
  EXPECT_EQ(seen.record, &f);
  EXPECT_EQ(memcmp(&seen.copy, &f, sizeof f), 0);
  EXPECT_EQ(seen.tid, Tid());
  EXPECT_EQ(seen.symbol, "cgg_fx_null_write");

  // Clean calls report nothing.
  int counter = 0;
  ASSERT_EQ(cgg_call(cgg_fx_increment, &counter, &f), 0);
  EXPECT_EQ(seen.calls, 1);

  // Contained exceptions are reported as well.
  ASSERT_EQ(cgg_call(cgg_fx_cxx_throw, nullptr, &f), CGG_CXX_EXCEPTION);
  EXPECT_EQ(seen.calls, 2);
  EXPECT_EQ(seen.copy.signo, CGG_CXX_EXCEPTION);
}

TEST_F(Reports, RunsAfterTheJumpInOrdinaryContext) {
  Seen seen;
  seen.run_nested = true;
  Add(Record, &seen);
  cgg_fault f;
  ASSERT_EQ(cgg_call(cgg_fx_null_write, nullptr, &f), SIGSEGV);
  EXPECT_FALSE(seen.on_alt_stack);  // not inside the signal handler
  EXPECT_EQ(seen.depth, 0);         // the guard is already gone
  // The callback's own guarded fault was contained, and reported too.
  EXPECT_EQ(seen.nested_rc, SIGSEGV);
  EXPECT_EQ(seen.nested_addr, cgg_fx_readonly_address());
  EXPECT_EQ(seen.calls, 2);
  // The outer record is still the outer fault.
  EXPECT_EQ(f.addr, CGG_FX_NULL_WRITE_ADDR);
  EXPECT_EQ(seen.copy.addr, CGG_FX_NULL_WRITE_ADDR);
}

TEST_F(Reports, RemovalStopsCalls) {
  Seen seen;
  int id = Add(Record, &seen);
  ASSERT_EQ(cgg_call(cgg_fx_null_write, nullptr, nullptr), SIGSEGV);
  ASSERT_EQ(seen.calls, 1);
  ASSERT_EQ(cgg_report_remove(id), 0);
  ASSERT_EQ(cgg_call(cgg_fx_null_write, nullptr, nullptr), SIGSEGV);
  EXPECT_EQ(seen.calls, 1);
}

TEST_F(Reports, EveryCallbackGetsItsOwnUserPointer) {
  Seen a, b;
  Add(Record, &a);
  Add(Record, &b);
  ASSERT_EQ(cgg_call(cgg_fx_readonly_write, nullptr, nullptr), SIGSEGV);
  EXPECT_EQ(a.calls, 1);
  EXPECT_EQ(b.calls, 1);
  // out == NULL: the callbacks see the thread's own record.
  EXPECT_EQ(a.record, cgg_last_fault());
  EXPECT_EQ(b.record, cgg_last_fault());
}

TEST_F(Reports, CalledOnTheFaultingThread) {
  Seen seen;
  Add(Record, &seen);
  pid_t worker = 0;
  cgg_fault f;
  std::thread([&] {
    worker = Tid();
    cgg_call(cgg_fx_null_write, nullptr, &f);
  }).join();
  EXPECT_EQ(seen.calls, 1);
  EXPECT_EQ(seen.tid, worker);
  EXPECT_NE(seen.tid, Tid());
  EXPECT_EQ(seen.copy.thread_id, static_cast<uint64_t>(worker));
}

// A callback may remove itself while being called.
int g_self_id = 0;
int g_self_calls = 0;
void RemoveSelf(const cgg_fault*, void*) {
  g_self_calls++;
  cgg_report_remove(g_self_id);
}

TEST_F(Reports, CallbackCanRemoveItself) {
  g_self_id = cgg_report_add(RemoveSelf, nullptr);
  ASSERT_GT(g_self_id, 0);
  ASSERT_EQ(cgg_call(cgg_fx_null_write, nullptr, nullptr), SIGSEGV);
  ASSERT_EQ(cgg_call(cgg_fx_null_write, nullptr, nullptr), SIGSEGV);
  EXPECT_EQ(g_self_calls, 1);
  EXPECT_EQ(cgg_report_remove(g_self_id), -ENOENT);
}

}  // namespace
