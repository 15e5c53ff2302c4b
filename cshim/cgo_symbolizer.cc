// cgg_cgo_symbolizer, the symbolizer function for Go's runtime.SetCgoTraceback
// (its traceback function is in sigctx_cgo_traceback.cc).
//
// The Go runtime calls it from ordinary code (runtime.CallersFrames: CPU
// profiles, tracebacks that Go code asks for) and from its fatal-signal
// handler, while it prints the crash report of a fault in C code. The second
// runs in signal context, possibly on a thread that holds the malloc lock (a
// heap corruption glibc detects inside malloc aborts with its arena locked)
// or the symbolizer's own mutex: anything that allocates or locks there hangs
// the dying process for good instead of letting it end.
//
// So the function answers from a table that signal context only reads: a
// fixed array of entries, each published once with a release store of its pc
// and never changed or freed afterwards. In ordinary context a miss is
// symbolized (cgg_symbolize: it allocates) and added; in signal context a
// miss is declined (the crash report shows the raw pc). It tells the two
// apart by the stack it runs on: Go runs its signal handlers on the thread's
// alternate signal stack.
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <mutex>

#include "internal.h"

namespace {

// The argument layout runtime.SetCgoTraceback documents (version 0).
struct CgoSymbolizerArg {
  uintptr_t pc;
  const char* file;
  uintptr_t lineno;
  const char* func;
  uintptr_t entry;
  uintptr_t more;
  uintptr_t data;
};

// One symbolized pc. `pc` is stored last (release) and read first (acquire):
// a reader that sees it sees the other fields, which never change again.
struct Entry {
  std::atomic<uintptr_t> pc;
  const char* func;  // nullptr when unknown; strings are never freed
  const char* file;
  uintptr_t line;
  uintptr_t entry;
};

// Distinct native pcs that appear in Go tracebacks and profiles are few; past
// this many, ordinary context still symbolizes (into a per-call buffer) but
// nothing more is added. Memory: this table plus the names of its entries.
constexpr size_t kEntries = 4096;  // a power of two
constexpr size_t kMaxProbes = 16;
Entry table[kEntries];
std::mutex writer_mutex;  // serializes writers; readers never take it

static_assert(std::atomic<uintptr_t>::is_always_lock_free, "read in signal context");

size_t slot_of(uintptr_t pc) {
  return static_cast<size_t>((pc * 0x9E3779B97F4A7C15ull) >> 52) & (kEntries - 1);
}

// Signal-safe: atomic loads and reads of published, immutable entries.
const Entry* find(uintptr_t pc) {
  size_t slot = slot_of(pc);
  for (size_t i = 0; i < kMaxProbes; i++) {
    const Entry& e = table[(slot + i) & (kEntries - 1)];
    uintptr_t at = e.pc.load(std::memory_order_acquire);
    if (at == pc) return &e;
    if (at == 0) return nullptr;
  }
  return nullptr;
}

const char* copy_or_null(const char* s) {
  return s[0] != '\0' ? strdup(s) : nullptr;
}

// Ordinary context. Adds `sym` for `pc` unless present or there is no room;
// returns the entry, or nullptr.
const Entry* add(uintptr_t pc, const cgg_symbol& sym) {
  std::lock_guard<std::mutex> lock(writer_mutex);
  size_t slot = slot_of(pc);
  for (size_t i = 0; i < kMaxProbes; i++) {
    Entry& e = table[(slot + i) & (kEntries - 1)];
    uintptr_t at = e.pc.load(std::memory_order_relaxed);
    if (at == pc) return &e;
    if (at != 0) continue;
    e.func = copy_or_null(sym.function);
    e.file = copy_or_null(sym.file);
    e.line = e.file != nullptr ? static_cast<uintptr_t>(sym.line) : 0;
    e.entry = e.func != nullptr && sym.function_offset != 0 ? pc - sym.function_offset : 0;
    e.pc.store(pc, std::memory_order_release);
    return &e;
  }
  return nullptr;
}

// Whether this runs on the thread's alternate signal stack, i.e. inside a
// signal handler. sigaltstack with no new stack only reads the thread's
// settings (one system call; no lock, no allocation). The range is compared,
// not SS_ONSTACK, which AddressSanitizer's interceptor reports as clear.
bool on_signal_stack() {
  stack_t current;
  if (sigaltstack(nullptr, &current) != 0 || (current.ss_flags & SS_DISABLE)) return false;
  uintptr_t here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  uintptr_t lowest = reinterpret_cast<uintptr_t>(current.ss_sp);
  return here >= lowest && here - lowest <= current.ss_size;
}

void answer(CgoSymbolizerArg* arg, const char* func, uintptr_t entry, const char* file,
            uintptr_t line) {
  arg->func = func;
  arg->entry = func != nullptr ? entry : 0;
  arg->file = file;
  arg->lineno = file != nullptr ? line : 0;
}

}  // namespace

extern "C" {

void cgg_cgo_symbolizer(void* p) {
  auto* arg = static_cast<CgoSymbolizerArg*>(p);
  bool signal_context = on_signal_stack();
  // A previous ordinary-context call may have left a per-call buffer in
  // `data`. Never free it in signal context (free takes the malloc lock):
  // dropping it there costs one buffer of a dying process.
  if (!signal_context) free(reinterpret_cast<void*>(arg->data));
  arg->data = 0;
  answer(arg, nullptr, 0, nullptr, 0);
  arg->more = 0;
  if (arg->pc == 0) return;  // end of a traceback
  // The pcs from cgg_cgo_traceback are already call sites: no adjustment.
  if (const Entry* e = find(arg->pc)) {
    answer(arg, e->func, e->entry, e->file, e->line);
    return;
  }
  if (signal_context) return;  // decline: symbolizing would allocate and lock

  cgg_symbol sym;
  if (cgg_symbolize(arg->pc, 0, &sym) != 0) return;
  if (const Entry* e = add(arg->pc, sym)) {
    answer(arg, e->func, e->entry, e->file, e->line);
    return;
  }
  // The table is full: hand out a buffer of this call's own.
  auto* own = static_cast<cgg_symbol*>(malloc(sizeof(cgg_symbol)));
  if (own == nullptr) return;
  memcpy(own, &sym, sizeof sym);
  arg->data = reinterpret_cast<uintptr_t>(own);
  answer(arg, own->function[0] != '\0' ? own->function : nullptr,
         own->function_offset != 0 ? arg->pc - own->function_offset : 0,
         own->file[0] != '\0' ? own->file : nullptr, static_cast<uintptr_t>(own->line));
}

}  // extern "C"
