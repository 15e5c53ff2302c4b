// Symbolization of raw addresses with libbacktrace, through the callbacks of
// Boost.Stacktrace's libbacktrace back end. Ordinary context only: loading
// debug information allocates.
//
// Four things shape this file:
//   - Results are cached per address, so a fault site seen before costs a
//     hash lookup.
//   - A libbacktrace state is not thread-safe when created unthreaded, and
//     loading debug information twice would double the memory: all lookups
//     run on one dedicated thread, started on first use, which owns the
//     states.
//   - The states are ours, not Boost's. Boost.Stacktrace 1.74 keeps one state
//     per thread (construct_state: a thread_local created with the file name
//     program_location gives, always NULL on Linux), so it cannot be told to
//     read the program's debug information from another file. Ours can
//     (cgg_symbolize_set_program_debug_file): a Go program's own DWARF is
//     mostly Go's, which the Go runtime symbolizes itself, and libbacktrace
//     would decompress and index all of it (about 25 MiB of RSS for a 42 MB
//     program). The lookups reuse Boost's libbacktrace callbacks and its
//     dladdr-first naming, so names, files and lines are what
//     boost::stacktrace::frame gives.
//   - One state per module that holds a frame, created on the first frame in
//     it, instead of one that reads every loaded module (see "One
//     libbacktrace state per module" below).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
// Boost.Stacktrace is used header-only, with its libbacktrace back end: the
// implementation is compiled into this file, and libbacktrace comes from the
// static libbacktrace.a that GCC ships (with <backtrace.h> in GCC's own include
// directory). No Boost shared library is needed at run time, so a Go program
// that compiles this file through cgo can be linked fully static.
#define BOOST_STACKTRACE_USE_BACKTRACE
#include <cxxabi.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <backtrace.h>

#include <boost/core/demangle.hpp>
#include <boost/stacktrace/frame.hpp>  // its libbacktrace callbacks (detail::)
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "internal.h"
#include "loaded_module.h"
#include "symbolize_module_filter.h"
#include "symtab.h"

namespace cgoguard {
namespace {

struct Symbol {
  bool in_module = false;
  bool in_program = false;    // the module is the program itself
  uintptr_t module_base = 0;  // load address of the module (its first segment)
  uintptr_t module_offset = 0;
  uintptr_t function_offset = 0;
  int line = 0;
  std::string function;
  std::string file;
  std::string module;
};

// Bound on cached addresses; code addresses are few, but a process that keeps
// loading and unloading modules must not grow without limit.
constexpr size_t kMaxCached = 1 << 16;

std::mutex cache_mutex;
std::unordered_map<uint64_t, Symbol> cache;

uint64_t cache_key(uintptr_t pc, bool is_return_address) {
  return (static_cast<uint64_t>(pc) << 1) | (is_return_address ? 1 : 0);
}

// ---- The symbolizer thread ----

// The module an address lies in, as the symbolizer thread needs it to pick
// (or create) the module's libbacktrace state.
struct ModuleRef {
  uintptr_t base = 0;
  bool program = false;
  std::string file;  // as the loader names it (shared objects only)
};

struct Job {
  std::vector<uintptr_t> addrs;    // addresses to look up (already adjusted)
  std::vector<ModuleRef> modules;  // the module of each address
  std::vector<Symbol>* results;    // same length; function/file/line filled in
  bool done = false;
  // A warm-up: nobody waits for it; the thread owns it (results point to
  // own_results), frees it when done and marks the symbolizer warm.
  bool warm_up = false;
  std::vector<Symbol> own_results;
};

// ---- One libbacktrace state per module ----
//
// libbacktrace's backtrace_initialize (elf.c) reads the file its state was
// created with as the program, then calls dl_iterate_phdr and reads every
// module listed, each with its separate debug file when one is installed
// under /usr/lib/debug/.build-id; no parameter names fewer. With glibc's
// debug files installed (libc6-dbg), libc, ld.so and libm alone cost about
// 21 MiB of RSS on the first lookup although no fault frame is ever in them.
// So libcgoguard.so and Go programs are linked with --wrap=dl_iterate_phdr
// and with the wrapper (symbolize_module_filter.cc): while the symbolizer
// thread loads a module's state, the wrapper lists that module alone.
//
// libcgoguard.a leaves the wrapper out (its users link it without the
// option): cgg_symbolize_load_only_module is then null and the shim keeps
// one state for the whole process.

bool per_module_states() {
  return cgg_symbolize_load_only_module != nullptr;
}

// While a lookup of addr in module runs on this thread, dl_iterate_phdr lists
// that module only (when the wrapper is linked in).
class LoadingOnly {
 public:
  LoadingOnly(uintptr_t addr, bool program) : module_{addr, program} {
    if (per_module_states()) cgg_symbolize_load_only_module(&module_);
  }
  ~LoadingOnly() {
    if (per_module_states()) cgg_symbolize_load_only_module(nullptr);
  }
  LoadingOnly(const LoadingOnly&) = delete;
  LoadingOnly& operator=(const LoadingOnly&) = delete;

 private:
  LoadingModule module_;
};

void ignore_libbacktrace_error(void*, const char*, int) {}

// What boost::stacktrace::frame's name(), source_file() and source_line()
// give for addr, looked up in state: the dynamic symbol if dladdr knows one,
// else the name from the debug information or the symbol table; the file and
// line from the debug information.
void look_up(backtrace_state* state, uintptr_t addr, Symbol* s) {
  namespace detail = boost::stacktrace::detail;
  Dl_info dli;
  std::string function;
  std::string file;
  detail::pc_data data = {&function, &file, 0};
  if (state != nullptr) {
    backtrace_pcinfo(state, addr, detail::libbacktrace_full_callback, ignore_libbacktrace_error,
                     &data) ||
        backtrace_syminfo(state, addr, detail::libbacktrace_syminfo_callback,
                          ignore_libbacktrace_error, &data);
  }
  if (dladdr(reinterpret_cast<void*>(addr), &dli) != 0 && dli.dli_sname != nullptr) {
    s->function = boost::core::demangle(dli.dli_sname);
  } else if (!function.empty()) {
    s->function = boost::core::demangle(function.c_str());
  }
  s->file = file;
  s->line = static_cast<int>(data.line);
}

class SymbolizerThread {
 public:
  void run(Job* job) {
    std::unique_lock<std::mutex> lock(mutex_);
    enqueue_locked(job);
    finished_.wait(lock, [job] { return job->done; });
  }

  // Queues job (a warm-up, which the thread frees) and returns at once.
  void run_detached(Job* job) {
    std::lock_guard<std::mutex> lock(mutex_);
    enqueue_locked(job);
  }

  bool warm() {
    std::lock_guard<std::mutex> lock(mutex_);
    return warm_;
  }

  void wait_warm() {
    std::unique_lock<std::mutex> lock(mutex_);
    finished_.wait(lock, [this] { return warm_; });
  }

  // Takes ownership of fd (an open ELF file, which libbacktrace opens again
  // by proc_path, its /proc/self/fd name) as the program's debug
  // information, unless a lookup already ran.
  int set_program_file(int fd, const char* proc_path) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (program_file_frozen_) return -EBUSY;
    if (program_fd_ >= 0) close(program_fd_);
    program_fd_ = fd;
    program_file_ = proc_path;
    return 0;
  }

 private:
  // Hands job to the worker (started first if needed); mutex_ is held.
  void enqueue_locked(Job* job) {
    start_if_needed();
    program_file_frozen_ = true;
    queue_.push_back(job);
    wake_.notify_one();
  }

  void start_if_needed() {
    pid_t pid = getpid();
    if (started_pid_ == pid) return;  // after fork() the child has no worker
    started_pid_ = pid;
    // A state copied from the parent may have been mid-lookup on the parent's
    // worker at the fork: the child's worker starts afresh.
    states_.clear();
    std::thread([this] { loop(); }).detach();
  }

  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return !queue_.empty(); });
      Job* job = queue_.front();
      queue_.pop_front();
      const std::string* program_file = program_file_.empty() ? nullptr : &program_file_;
      lock.unlock();
      for (size_t i = 0; i < job->addrs.size(); i++) {
        const ModuleRef& module = job->modules[i];
        backtrace_state* state = state_for(module, program_file);
        // The state reads its module's file on its first lookup.
        LoadingOnly loading(job->addrs[i], module.program);
        look_up(state, job->addrs[i], &(*job->results)[i]);
      }
      lock.lock();
      if (job->warm_up) {
        delete job;
        warm_ = true;
      } else {
        job->done = true;
      }
      finished_.notify_all();
    }
  }

  // The state that symbolizes addresses of module (one per module, or one
  // for the whole process without the dl_iterate_phdr wrapper), created on
  // first use. program_file: the program's debug file, or null.
  backtrace_state* state_for(const ModuleRef& module, const std::string* program_file) {
    const bool whole_process = !per_module_states();
    for (const ModuleState& m : states_) {
      if (whole_process || (m.program && module.program) ||
          (!m.program && !module.program && m.base == module.base && m.file == module.file)) {
        return m.state;
      }
    }
    states_.emplace_back();
    ModuleState& m = states_.back();
    m.program = whole_process || module.program;
    m.base = module.base;
    m.file = m.program ? (program_file != nullptr ? *program_file : std::string()) : module.file;
    // libbacktrace keeps the file name pointer: m.file never moves (deque)
    // and is never changed. NULL: the running program.
    m.state = backtrace_create_state(m.file.empty() ? nullptr : m.file.c_str(), 0,
                                     ignore_libbacktrace_error, nullptr);
    return m.state;
  }

  struct ModuleState {
    bool program = false;
    uintptr_t base = 0;
    std::string file;
    backtrace_state* state = nullptr;
  };

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  std::deque<Job*> queue_;
  pid_t started_pid_ = 0;
  // Used by the worker thread only (created there, never freed: libbacktrace
  // has no call that frees a state).
  std::deque<ModuleState> states_;
  // The program's debug information, when set; kept open for the state's
  // lifetime so that the file may be unlinked and a fork's child still
  // reads it.
  int program_fd_ = -1;
  std::string program_file_;
  bool program_file_frozen_ = false;
  bool warm_ = false;  // a warm-up job has finished
};

SymbolizerThread& worker() {
  static SymbolizerThread* w = new SymbolizerThread();  // never destroyed: its thread outlives exit
  return *w;
}

std::string demangle(const char* name) {
  int status = 0;
  char* out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string result = status == 0 && out != nullptr ? out : name;
  free(out);
  return result;
}

const std::string& executable_path() {
  static const std::string path = [] {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }();
  return path;
}

// Load address of the main program (the object holding its program headers).
void* executable_base() {
  static void* base = [] {
    Dl_info main_info;
    void* phdr = reinterpret_cast<void*>(getauxval(AT_PHDR));
    return dladdr(phdr, &main_info) != 0 ? main_info.dli_fbase : nullptr;
  }();
  return base;
}

// dladdr finds nothing in a statically linked program (it knows only the
// objects the dynamic loader mapped). dl_iterate_phdr still lists the program
// itself there: find the loaded segment that holds the address.
struct SegmentSearch {
  uintptr_t addr;
  void* base;
  const char* name;
};

int find_segment(struct dl_phdr_info* info, size_t, void* arg) {
  auto* search = static_cast<SegmentSearch*>(arg);
  if (!module_holds(info, search->addr)) return 0;
  search->base = reinterpret_cast<void*>(info->dlpi_addr);
  search->name = info->dlpi_name;
  return 1;
}

bool locate_module(uintptr_t lookup, Dl_info* info) {
  if (dladdr(reinterpret_cast<void*>(lookup), info) != 0 && info->dli_fbase != nullptr) return true;
  SegmentSearch search = {lookup, nullptr, nullptr};
  if (dl_iterate_phdr(find_segment, &search) == 0) return false;
  memset(info, 0, sizeof *info);
  info->dli_fbase = search.base;
  // The program itself has an empty name; the caller uses its absolute path.
  info->dli_fname = search.name != nullptr && search.name[0] != '\0' ? search.name : nullptr;
  return true;
}

// Fills the module and function-start facts that need no debug information.
void locate(uintptr_t pc, uintptr_t lookup, Symbol* s) {
  Dl_info info;
  if (!locate_module(lookup, &info)) return;
  s->in_module = true;
  s->module = info.dli_fname != nullptr ? info.dli_fname : "";
  if ((s->module.empty() || s->module[0] != '/') &&
      (info.dli_fbase == executable_base() || info.dli_fname == nullptr)) {
    // The loader names the main program as it was started ("./server"),
    // which a later chdir() makes wrong: use the kernel's absolute path.
    s->module = executable_path();
  }
  s->in_program = info.dli_fbase == executable_base() || info.dli_fname == nullptr;
  s->module_base = reinterpret_cast<uintptr_t>(info.dli_fbase);
  s->module_offset = pc - reinterpret_cast<uintptr_t>(info.dli_fbase);
  if (uintptr_t start = function_start(lookup)) {
    s->function_offset = pc - start;
  } else if (info.dli_saddr != nullptr) {
    s->function_offset = pc - reinterpret_cast<uintptr_t>(info.dli_saddr);
  }
  if (info.dli_sname != nullptr) s->function = demangle(info.dli_sname);
}

void copy_field(char* dst, size_t size, const std::string& src) {
  size_t n = src.size() < size - 1 ? src.size() : size - 1;
  memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

void to_public(uintptr_t pc, const Symbol& s, cgg_symbol* out) {
  memset(out, 0, sizeof *out);
  out->pc = pc;
  out->module_offset = s.module_offset;
  out->function_offset = s.function_offset;
  out->line = s.line;
  copy_field(out->function, sizeof out->function, s.function);
  copy_field(out->file, sizeof out->file, s.file);
  copy_field(out->module, sizeof out->module, s.module);
}

// Symbolizes n addresses; misses go to the symbolizer thread in one batch.
void symbolize_many(const uintptr_t* pcs, const bool* is_ra, int n, cgg_symbol* out, int* found) {
  std::vector<Symbol> fresh(static_cast<size_t>(n));
  std::vector<int> missing;
  {
    std::lock_guard<std::mutex> lock(cache_mutex);
    for (int i = 0; i < n; i++) {
      auto it = cache.find(cache_key(pcs[i], is_ra[i]));
      if (it == cache.end()) {
        missing.push_back(i);
      } else {
        to_public(pcs[i], it->second, &out[i]);
        found[i] = it->second.in_module;
      }
    }
  }
  if (missing.empty()) return;

  Job job;
  std::vector<Symbol> looked_up;
  std::vector<int> in_module;
  for (int i : missing) {
    // A return address points after the call; the call's own line is at -1.
    uintptr_t lookup = is_ra[i] ? pcs[i] - 1 : pcs[i];
    locate(pcs[i], lookup, &fresh[static_cast<size_t>(i)]);
    const Symbol& located = fresh[static_cast<size_t>(i)];
    if (located.in_module) {
      job.addrs.push_back(lookup);
      ModuleRef module;
      module.base = located.module_base;
      module.program = located.in_program;
      if (!module.program) module.file = located.module;
      job.modules.push_back(std::move(module));
      in_module.push_back(i);
    }
  }
  looked_up.resize(job.addrs.size());
  job.results = &looked_up;
  if (!job.addrs.empty()) worker().run(&job);
  for (size_t k = 0; k < in_module.size(); k++) {
    Symbol& s = fresh[static_cast<size_t>(in_module[k])];
    const Symbol& b = looked_up[k];
    if (!b.function.empty()) s.function = b.function;  // debug info beats the dynamic symbol
    s.file = b.file;
    s.line = b.line;
  }

  std::lock_guard<std::mutex> lock(cache_mutex);
  if (cache.size() + missing.size() > kMaxCached) cache.clear();
  for (int i : missing) {
    const Symbol& s = fresh[static_cast<size_t>(i)];
    cache.emplace(cache_key(pcs[i], is_ra[i]), s);
    to_public(pcs[i], s, &out[i]);
    found[i] = s.in_module;
  }
}

// ---- Names from symbol tables only ----
//
// What a fault needs at once, before the debug information is loaded: the
// module and offsets (as locate() gives them), and the function from the
// dynamic symbol table (dladdr) or else the module's ELF symbol table (or
// its separate debug file's). No libbacktrace, no symbolizer thread: a
// 40 MB program's symbol table is read in one pass in about a millisecond,
// where its line tables take 0.1-1 s. These names are also what a
// fingerprint hashes, so it is the same whether the fault is named before
// or after the debug information loads. Cached per address, apart from the
// full results (cgg_symbol_cache_size counts those only).

std::mutex symbols_mutex;
std::unordered_map<uint64_t, Symbol> symbols_cache;

// The load bias of the module that holds addr (dlpi_addr: 0 for a non-PIE
// executable, whose symbol values are run-time addresses).
bool load_bias(uintptr_t addr, uintptr_t* bias) {
  SegmentSearch search = {addr, nullptr, nullptr};
  if (dl_iterate_phdr(find_segment, &search) == 0) return false;
  *bias = reinterpret_cast<uintptr_t>(search.base);
  return true;
}

std::string build_id_of(uintptr_t pc) {
  char buf[CGG_BUILD_ID_SIZE];
  return cgg_module_build_id(pc, buf, sizeof buf) == 0 ? std::string(buf) : std::string();
}

void symbolize_symbols_many(const uintptr_t* pcs, const unsigned char* is_ra, int n,
                            cgg_symbol* out) {
  std::vector<int> missing;
  {
    std::lock_guard<std::mutex> lock(symbols_mutex);
    for (int i = 0; i < n; i++) {
      auto it = symbols_cache.find(cache_key(pcs[i], is_ra != nullptr && is_ra[i] != 0));
      if (it == symbols_cache.end()) {
        missing.push_back(i);
      } else {
        to_public(pcs[i], it->second, &out[i]);
      }
    }
  }
  if (missing.empty()) return;
  std::vector<Symbol> fresh(missing.size());
  // Queries by module file, for the frames that dladdr cannot name.
  struct ModuleQueries {
    std::string file;
    uintptr_t pc;  // an address in it, for its build ID
    std::vector<SymtabQuery> queries;
    std::vector<size_t> owners;  // index into fresh
  };
  std::vector<ModuleQueries> modules;
  for (size_t k = 0; k < missing.size(); k++) {
    const int i = missing[k];
    const bool ra = is_ra != nullptr && is_ra[i] != 0;
    const uintptr_t lookup = ra ? pcs[i] - 1 : pcs[i];
    Symbol& s = fresh[k];
    locate(pcs[i], lookup, &s);
    uintptr_t bias = 0;
    if (!s.in_module || !s.function.empty() || !load_bias(lookup, &bias)) continue;
    // The program through /proc/self/exe: the name it was started by may
    // have been replaced on disk since (a deploy).
    const std::string file = s.in_program ? std::string("/proc/self/exe") : s.module;
    ModuleQueries* m = nullptr;
    for (ModuleQueries& candidate : modules) {
      if (candidate.file == file) m = &candidate;
    }
    if (m == nullptr) {
      modules.push_back(ModuleQueries{file, lookup, {}, {}});
      m = &modules.back();
    }
    SymtabQuery q;
    q.addr = lookup - bias;
    m->queries.push_back(q);
    m->owners.push_back(k);
  }
  for (ModuleQueries& m : modules) {
    std::vector<SymtabQuery*> queries;
    for (SymtabQuery& q : m.queries) queries.push_back(&q);
    symtab_lookup(m.file, build_id_of(m.pc), &queries);
    for (size_t j = 0; j < m.queries.size(); j++) {
      const SymtabQuery& q = m.queries[j];
      if (!q.found) continue;
      Symbol& s = fresh[m.owners[j]];
      s.function = demangle(q.name.c_str());
      if (s.function_offset == 0) s.function_offset = q.addr - q.start;
    }
  }
  std::lock_guard<std::mutex> lock(symbols_mutex);
  if (symbols_cache.size() + missing.size() > kMaxCached) symbols_cache.clear();
  for (size_t k = 0; k < missing.size(); k++) {
    const int i = missing[k];
    symbols_cache.emplace(cache_key(pcs[i], is_ra != nullptr && is_ra[i] != 0), fresh[k]);
    to_public(pcs[i], fresh[k], &out[i]);
  }
}

}  // namespace
}  // namespace cgoguard

using namespace cgoguard;

extern "C" {

int cgg_symbolize(uintptr_t pc, int is_return_address, cgg_symbol* out) {
  if (out == nullptr) return -EINVAL;
  bool ra = is_return_address != 0;
  int found = 0;
  symbolize_many(&pc, &ra, 1, out, &found);
  return found ? 0 : -ENOENT;
}

int cgg_symbolize_fault(const cgg_fault* fault, cgg_symbol* out, int max) {
  if (fault == nullptr || out == nullptr || max < 0) return -EINVAL;
  int n = fault->nframes < max ? fault->nframes : max;
  if (n <= 0) return 0;
  bool is_ra[CGG_MAX_FRAMES];
  int found[CGG_MAX_FRAMES];
  if (n > CGG_MAX_FRAMES) n = CGG_MAX_FRAMES;
  // frames[0] of a signal is the exact faulting pc; every frame of an
  // exception is a return address (frames[0] returns from the throw).
  const bool exception = fault->signo == CGG_CXX_EXCEPTION;
  for (int i = 0; i < n; i++) is_ra[i] = i > 0 || exception;
  symbolize_many(fault->frames, is_ra, n, out, found);
  return n;
}

void cgg_symbol_cache_clear(void) {
  std::lock_guard<std::mutex> lock(cache_mutex);
  cache.clear();
}

size_t cgg_symbol_cache_size(void) {
  std::lock_guard<std::mutex> lock(cache_mutex);
  return cache.size();
}

int cgg_symbolize_symbols(const uintptr_t* pcs, const unsigned char* is_return_address, int n,
                          cgg_symbol* out) {
  if (pcs == nullptr || out == nullptr || n < 0) return -EINVAL;
  symbolize_symbols_many(pcs, is_return_address, n, out);
  int found = 0;
  for (int i = 0; i < n; i++) found += out[i].module[0] != '\0';
  return found;
}

int cgg_symbolize_warm_up(const uintptr_t* pcs, int n) {
  if (n < 0 || (n > 0 && pcs == nullptr)) return -EINVAL;
  Job* job = new Job();
  job->warm_up = true;
  for (int i = 0; i < n; i++) {
    Symbol located;
    locate(pcs[i], pcs[i], &located);
    if (!located.in_module) continue;
    job->addrs.push_back(pcs[i]);
    ModuleRef module;
    module.base = located.module_base;
    module.program = located.in_program;
    if (!module.program) module.file = located.module;
    job->modules.push_back(std::move(module));
  }
  job->own_results.resize(job->addrs.size());
  job->results = &job->own_results;
  worker().run_detached(job);
  return 0;
}

int cgg_symbolizer_warm(void) {
  return worker().warm() ? 1 : 0;
}

void cgg_symbolizer_wait_warm(void) {
  worker().wait_warm();
}

int cgg_symbolize_set_program_debug_file(const char* path) {
  if (path == nullptr || path[0] == '\0') return -EINVAL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  // libbacktrace reports a bad file only through its error callback, and a
  // state whose file failed to load never names anything: accept an ELF file
  // only, and only if it can be reopened through /proc, as libbacktrace will.
  unsigned char magic[4] = {0, 0, 0, 0};
  char proc_path[64];
  snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", fd);
  int rc = 0;
  if (pread(fd, magic, sizeof magic, 0) != static_cast<ssize_t>(sizeof magic) ||
      memcmp(magic, ELFMAG, SELFMAG) != 0) {
    rc = -ENOEXEC;
  } else if (int probe = open(proc_path, O_RDONLY | O_CLOEXEC); probe < 0) {
    rc = -errno;
  } else {
    close(probe);
    rc = worker().set_program_file(fd, proc_path);
  }
  if (rc != 0) close(fd);
  return rc;
}

}  // extern "C"
