/*
 * cgoguard.h — the public C ABI of libcgoguard.
 *
 * cgoguard turns a hardware fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP
 * and, on request, SIGABRT) or an escaping C++ exception inside a guarded
 * native call into an ordinary return value, with the faulting native stack
 * attached. Faults outside a guard go to whatever handler was installed before
 * cgoguard (for a Go program: the Go runtime's), exactly as the kernel
 * delivered them.
 *
 *   cgg_fault f;
 *   int rc = cgg_call(parse_packet, &pkt, &f);
 *   if (rc != 0) fprintf(stderr, "parse_packet: %s at %#lx\n", f.what, f.addr);
 *
 * This header compiles as C (C99 or later) and as C++. Every function is safe
 * to call from any thread. None of them may be called from a signal handler
 * unless its comment says so.
 *
 * Errors, for the whole ABI: a function that can fail returns a negative
 * errno value (-EINVAL for a bad argument, ...), and 0 or a non-negative
 * result on success. Each function's comment lists its errors.
 */
#ifndef CGOGUARD_CGOGUARD_H_
#define CGOGUARD_CGOGUARD_H_

#include <stddef.h>
#include <stdint.h>

/* Visibility of the entry points: exported from libcgoguard.so. A build that
 * compiles the shim into its own program may define CGG_HIDDEN_API to keep
 * them inside that program (the Go package does: a libcgoguard.so that a C
 * library loads into the same process then keeps its own entry points and
 * state), or define CGG_API itself. */
#ifndef CGG_API
#if defined(__GNUC__) && defined(CGG_HIDDEN_API)
#define CGG_API __attribute__((visibility("hidden")))
#elif defined(__GNUC__)
#define CGG_API __attribute__((visibility("default")))
#else
#define CGG_API
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define CGG_VERSION_MAJOR 0
#define CGG_VERSION_MINOR 1
#define CGG_VERSION_PATCH 0

/* Number of raw return addresses a fault record holds. */
#define CGG_MAX_FRAMES 64
/* Size of cgg_fault.what, including the terminating NUL. */
#define CGG_WHAT_SIZE 256
/* Signal numbers below this have per-signal counters in cgg_stats. */
#define CGG_NSIG 32

/* cgg_call / CGG_GUARD result for a C++ exception that escaped the guarded
 * function. Other negative results are -errno for a call that did not run
 * (-EINVAL for a NULL function). */
#define CGG_CXX_EXCEPTION (-1000)

/* cgg_init flags. */
/* Also contain SIGABRT raised by abort() (and so a failed assert()) inside a
 * guarded call. See docs/hazards.md: the aborting code's invariants are broken.
 * An abort raised inside the allocator (glibc's heap-corruption checks) is
 * declined all the same (see "Declined faults" below). */
#define CGG_CONTAIN_ABORT 0x1u
/* Do not contain SIGTRAP (int3 / brk). Faults of that kind are chained. */
#define CGG_NO_TRAP 0x2u

/* cgg_reinstall flags. */
/* Chain declined faults to the handler that displaced ours instead of the
 * handler that was installed when cgg_init first ran. */
#define CGG_REINSTALL_CHAIN_DISPLACER 0x1u

/* What a contained fault looked like. Filled in by the signal handler (raw
 * values only) and completed after the jump back (nothing is symbolized). */
typedef struct cgg_fault {
  int signo;      /* signal number, or CGG_CXX_EXCEPTION */
  int code;       /* si_code; 0 for an exception */
  uintptr_t addr; /* si_addr: the faulting data address (SEGV/BUS) or instruction (FPE/ILL) */
  uintptr_t pc;   /* instruction pointer at the fault */
  uintptr_t sp;   /* stack pointer at the fault */
  int nframes;    /* valid entries in frames[] */
  int truncated;  /* 1 when the stack had more frames than CGG_MAX_FRAMES */
  /* frames[0] is the faulting pc; the rest are return addresses, innermost
   * first, as captured inside the signal handler. For a C++ exception every
   * entry is a return address, recorded at the throw (before anything was
   * unwound): frames[0] lies in the function that threw, the last entry in
   * the guarded function. An exception caught inside native code records
   * nothing. */
  uintptr_t frames[CGG_MAX_FRAMES];
  uint64_t id;        /* process-unique, increasing fault number (1, 2, ...) */
  uint64_t thread_id; /* kernel thread id (gettid) of the faulting thread */
  /* Fault kind ("SIGSEGV: address not mapped to object") or the C++
   * exception's what() text. Always NUL-terminated. */
  char what[CGG_WHAT_SIZE];
} cgg_fault;

/* Installs cgoguard's handlers (once; later calls only add signals that new
 * flags ask for). Must run after the Go runtime installed its own handlers —
 * the Go package calls it from its own set-up. Thread-safe and idempotent: a
 * second call never records cgoguard's own handler as the one to chain to.
 * Returns 0, -EINVAL for unknown flags, or the -errno of a failed sigaction. */
CGG_API int cgg_init(unsigned flags);

/* Runs fn(arg) under a guard on the calling thread. Returns 0 when fn
 * returned, the signal number of a contained fault, CGG_CXX_EXCEPTION for an
 * escaping C++ exception, -EINVAL when fn is NULL, or another -errno when the
 * guard could not be armed (fn did not run: -EOVERFLOW past
 * CGG_MAX_GUARD_DEPTH, -ENOMEM for the thread's set-up). On a fault, *out (if
 * not NULL) holds the record; cgg_last_fault() returns it in any case.
 * Initializes with cgg_init(0) on first use. Guards nest: the innermost one
 * catches. */
CGG_API int cgg_call(void (*fn)(void*), void* arg, cgg_fault* out);

/* The calling thread's most recent contained fault, or NULL if it had none.
 * The record stays valid until the thread's next contained fault or exit. */
CGG_API const cgg_fault* cgg_last_fault(void);

/* Whether a fault left the process in a known-unsafe state: 1 once any signal
 * was contained (the jump skipped the native code's clean-up), else 0. A
 * contained C++ exception does not taint: unwinding ran its destructors.
 * Safe in a signal handler. */
CGG_API int cgg_tainted(void);

/* ---- Guarding an expression in place (GCC and Clang) ------------------ */

/* Storage for one guard, placed in the guarding function's frame by
 * CGG_GUARD. All fields are private to cgoguard. The thread's list of armed
 * guards is kept in cgoguard's own per-thread memory, not in these records:
 * a record whose frame was abandoned (a Go panic unwinding through it) may be
 * overwritten at any time, and cgoguard never follows pointers out of it. */
typedef struct cgg_guard_frame {
  void* jb[5];     /* __builtin_setjmp buffer */
  cgg_fault* out;  /* where the handler writes the fault */
  uint64_t cookie; /* matches the thread's list entry while armed */
  int signo;       /* set by the handler on a fault */
  int index;       /* position in the thread's guard list when armed */
} cgg_guard_frame;

/* The three steps CGG_GUARD expands to; call them only through the macro. */
CGG_API int cgg_guard_enter(cgg_guard_frame* frame, cgg_fault* out, void* owner_fp);
CGG_API void cgg_guard_leave(cgg_guard_frame* frame);
CGG_API int cgg_guard_landed(cgg_guard_frame* frame);

#if defined(__GNUC__)
/* CGG_GUARD(out, stmt) runs the statement `stmt` under a guard, in place, with
 * no trampoline function. Evaluates to 0 when stmt completed, the signal
 * number of a contained fault (the record is in *out when out is not NULL,
 * and in cgg_last_fault()), or -errno when the guard could not be armed
 * (stmt did not run: -EOVERFLOW past CGG_MAX_GUARD_DEPTH). For cgo preambles
 * and plain C:
 *
 *   static int guarded_parse(const char* s, int* result, cgg_fault* f) {
 *     return CGG_GUARD(f, *result = parse(s));
 *   }
 *
 * Rules, as for setjmp: `stmt` must not leave by return, goto or break, and a
 * local variable that stmt modifies and the caller reads after a fault must
 * be volatile. C++ exceptions are not caught here; use cgg_call. */
#define CGG_GUARD(out, stmt)                                                       \
  __extension__({                                                                  \
    cgg_guard_frame cgg_frame_;                                                    \
    int cgg_rc_ = cgg_guard_enter(&cgg_frame_, (out), __builtin_frame_address(0)); \
    if (cgg_rc_ == 0) {                                                            \
      if (__builtin_setjmp(cgg_frame_.jb) == 0) {                                  \
        stmt;                                                                      \
        cgg_guard_leave(&cgg_frame_);                                              \
      } else {                                                                     \
        cgg_rc_ = cgg_guard_landed(&cgg_frame_);                                   \
      }                                                                            \
    }                                                                              \
    cgg_rc_;                                                                       \
  })
#endif

/* ---- Symbolization (ordinary context only; cached) -------------------- */

typedef struct cgg_symbol {
  uintptr_t pc;              /* the address that was symbolized */
  uintptr_t module_offset;   /* pc - load address of the module */
  uintptr_t function_offset; /* pc - start of the function, 0 if unknown */
  int line;                  /* source line, 0 if unknown */
  char function[512];        /* demangled function name, "" if unknown */
  char file[512];            /* source file, "" if unknown */
  char module[512];          /* path of the executable or shared object */
} cgg_symbol;

/* Symbolizes one address. For a return address (is_return_address != 0) the
 * source line is that of the call instruction. Results are cached per
 * address. Returns 0, -EINVAL for a NULL out, or -ENOENT when the address
 * lies in no loaded module (out->pc is still set). */
CGG_API int cgg_symbolize(uintptr_t pc, int is_return_address, cgg_symbol* out);

/* Symbolizes fault->frames[0..min(nframes, max)) into out[]; frames[0] is an
 * exact pc, the rest return addresses. Returns the number written, or -EINVAL. */
CGG_API int cgg_symbolize_fault(const cgg_fault* fault, cgg_symbol* out, int max);

/* Names pcs[0..n) from symbol tables only, never from debug information,
 * and never waits for the symbolizer thread: the module and offsets as
 * cgg_symbolize gives them, and the function from the dynamic symbol table
 * or else the module's ELF symbol table (or that of its separate debug file
 * under /usr/lib/debug/.build-id); file and line stay empty. About a
 * millisecond for a 40 MB program's first lookup, where loading its debug
 * information for cgg_symbolize takes up to a second. The names depend on
 * the binary only, never on when the debug information loads: a stable key
 * for a fault site from the first fault on. is_return_address may be NULL
 * (all exact pcs). Cached per address (apart from cgg_symbol_cache_size's
 * cache). Returns how many lie in a loaded module (out[i].module is "" for
 * the others), or -EINVAL. */
CGG_API int cgg_symbolize_symbols(const uintptr_t* pcs, const unsigned char* is_return_address,
                                  int n, cgg_symbol* out);

/* Starts loading the debug information of the modules that hold pcs[0..n)
 * on the symbolizer thread and returns at once; cgg_symbolizer_warm reports
 * when it is done, cgg_symbolizer_wait_warm waits for it. Returns 0 or
 * -EINVAL. */
CGG_API int cgg_symbolize_warm_up(const uintptr_t* pcs, int n);
/* 1 once a warm-up (cgg_symbolize_warm_up) has finished, else 0. */
CGG_API int cgg_symbolizer_warm(void);
/* Blocks until a warm-up has finished (call it after cgg_symbolize_warm_up). */
CGG_API void cgg_symbolizer_wait_warm(void);

/* Empties the symbol cache (to measure or to release memory). */
CGG_API void cgg_symbol_cache_clear(void);
/* Number of cached addresses. */
CGG_API size_t cgg_symbol_cache_size(void);

/* Reads the main program's symbol table and debug information from the ELF
 * file at path instead of from the program itself; other modules are read as
 * before. Meant for a reduced copy of the program's own (for a Go program,
 * the units of its C, C++ and assembly code, without Go's), which costs less
 * memory to load; addresses are looked up as in the program, so the file
 * must describe that very program. The file is opened now and kept open, so
 * it may be unlinked. Only before the first symbolization of the process:
 * returns 0; -EINVAL for a NULL or empty path; -ENOEXEC when the file is not
 * ELF; -EBUSY once a symbolization ran; or the negative errno of opening it. */
CGG_API int cgg_symbolize_set_program_debug_file(const char* path);

/* Longest hex build ID cgg_module_build_id writes, NUL included (a 160-bit
 * SHA-1 ID, what GNU ld and Go's linker emit, needs 41). */
#define CGG_BUILD_ID_SIZE 129

/* Writes the GNU build ID (NT_GNU_BUILD_ID note) of the executable or shared
 * object that holds `pc` into out, as lowercase hex: with it and
 * cgg_symbol.module_offset, a frame of a stripped binary can be symbolized
 * later against the unstripped binary or its separate debug file
 * (.build-id/xx/rest.debug). Ordinary context only. Returns 0; -EINVAL for a
 * NULL out or size 0; -ENOENT when no loaded module holds pc; -ENODATA when the
 * module has no build ID; -ERANGE when size is too small. out is "" on error. */
CGG_API int cgg_module_build_id(uintptr_t pc, char* out, size_t size);

/* ---- Reports ------------------------------------------------------------ */

/* A report callback. Runs after the jump back, on the faulting thread, in
 * ordinary context (it may allocate, lock, symbolize, call into Go), before
 * cgg_call returns. It must not unwind (throw or longjmp) out. */
typedef void (*cgg_report_fn)(const cgg_fault* fault, void* user);

/* Registers a report callback. Returns an id > 0, -EINVAL for a NULL fn, or
 * -ENOSPC when CGG_MAX_REPORTERS are registered. */
#define CGG_MAX_REPORTERS 16
CGG_API int cgg_report_add(cgg_report_fn fn, void* user);
/* Unregisters; returns 0 or -ENOENT. A call already running on another
 * thread may still complete after this returns. */
CGG_API int cgg_report_remove(int id);

/* ---- Stats and handler health ----------------------------------------- */

typedef struct cgg_stats {
  uint64_t contained[CGG_NSIG]; /* contained faults by signal number */
  uint64_t contained_total;     /* all contained faults, exceptions included */
  uint64_t cxx_exceptions;      /* contained C++ exceptions */
  uint64_t chained[CGG_NSIG];   /* signals passed to the previous handler */
  uint64_t chained_total;
  int tainted;        /* as cgg_tainted() */
  uint32_t displaced; /* as cgg_check_handlers() */
  /* Faults a guard could have taken but cgoguard declined, by signal number:
   * they lay under a process-wide lock holder (see "Declined faults"). Each
   * is also counted in chained[]: it went to the previous handler. */
  uint64_t declined[CGG_NSIG];
  uint64_t declined_total;
} cgg_stats;

/* Fills *out (no-op for NULL). Counters are monotonic. */
CGG_API void cgg_get_stats(cgg_stats* out);

/* Returns a mask with bit (1u << signo) set for every signal whose handler
 * is no longer cgoguard's (another library installed over it); 0 when all
 * are intact or cgg_init never ran. */
CGG_API uint32_t cgg_check_handlers(void);

/* Returns a mask with bit (1u << signo) set for every signal that a guarded
 * call contains now: SIGSEGV, SIGBUS, SIGFPE and SIGILL once cgg_init ran,
 * SIGTRAP unless the first cgg_init had CGG_NO_TRAP, SIGABRT once a cgg_init
 * had CGG_CONTAIN_ABORT; 0 before cgg_init. A caller about to provoke a fault
 * on purpose checks here that it will be contained. Safe in a signal
 * handler. */
CGG_API uint32_t cgg_contained_signals(void);

/* Puts cgoguard's handler back on top of every displaced signal. By default
 * declined faults keep going to the handler that was there at cgg_init (the
 * Go runtime's); CGG_REINSTALL_CHAIN_DISPLACER sends them to the displacing
 * handler instead. Returns 0, -EINVAL for unknown flags, -EPERM when cgg_init
 * never ran, or the -errno of a failed sigaction. */
CGG_API int cgg_reinstall(unsigned flags);

/* ---- Declined faults ------------------------------------------------------ */

/* A fault whose frames between the fault and the guard include the code of a
 * process-wide lock holder is never contained, even inside a guarded call:
 * it goes to the previous handler exactly as delivered (for a Go program, the
 * Go runtime's crash report; by default, the process ends by the signal).
 * Containing it would jump over the code that releases the lock, and the next
 * malloc, dlopen or printf of any thread would wait forever: a hang, where
 * declining ends the process as it would end without cgoguard. Declined:
 *   - the C library's allocator: malloc, free, calloc, realloc, memalign,
 *     posix_memalign, aligned_alloc, valloc, pvalloc, malloc_usable_size,
 *     mallinfo, malloc_trim and the rest, and the internal functions they
 *     jump to (a heap corruption that makes the next malloc fault, glibc's
 *     own "malloc(): corrupted top size" or double-free abort under
 *     CGG_CONTAIN_ABORT); the same entry points of any other module that
 *     defines them (an allocator linked in or preloaded);
 *   - the dynamic loader: all of ld.so's code (a constructor that faults
 *     inside a guarded dlopen), and dlopen, dlclose, dlsym, dladdr,
 *     dl_iterate_phdr (its callback runs under the loader's lock) in libc;
 *   - stdio functions that lock a FILE: the printf family (not sprintf and
 *     snprintf themselves; their shared formatting code is declined, see
 *     docs/hazards.md), puts, fputs, fwrite, fread, fgets, getline, fflush,
 *     fclose, fopen, scanf, ...;
 *   - exit, atexit, __cxa_atexit, __cxa_finalize, TLS destructors, fork,
 *     setenv/putenv/unsetenv, tzset.
 * cgg_init finds these regions once, from the loaded modules' own symbol
 * tables (.symtab and .dynsym, with sizes), never by name in the handler,
 * which only looks each frame up in a sorted table. A statically linked
 * program is covered through its .symtab (the allocator's and the loader's
 * internal functions by name); a stripped one is not. Functions listed by
 * the calls below are added to the built-in lists. Declined faults are
 * counted in cgg_stats.declined. */

/* Declines every fault in the code of a module: its path as the loader has
 * it, or its file name, with or without a version suffix ("libjemalloc.so"
 * names "libjemalloc.so.2"). For a custom allocator (jemalloc, tcmalloc) or
 * any library that holds process-wide locks. May be called before cgg_init
 * (applied when it runs) or after (the table is rebuilt now). A module
 * loaded later, by dlopen, is covered after cgg_decline_refresh(). Returns 0,
 * -EINVAL for a NULL or empty name, -ENOSPC past 256 names, or -ENOMEM. */
CGG_API int cgg_decline_module(const char* name);

/* Declines every fault in a function: `name` as the symbol tables of the
 * loaded modules spell it (C names; C++ names mangled), in every module that
 * defines it, and the internal functions it jumps to. Otherwise as
 * cgg_decline_module. */
CGG_API int cgg_decline_symbol(const char* name);

/* Reads the loaded modules again and rebuilds the table: for modules loaded
 * (dlopen) or unloaded after cgg_init. Returns 0, -EPERM before cgg_init, or
 * -ENOMEM. The table of a module that was unloaded keeps its addresses
 * until this runs. */
CGG_API int cgg_decline_refresh(void);

/* 1 when a fault at pc would be declined (pc lies in a declined region), else
 * 0 (also before cgg_init). Safe in a signal handler. */
CGG_API int cgg_declines_pc(uintptr_t pc);

/* ---- Thread guard state ------------------------------------------------- */

/* Most guards one thread may have armed at once (nested guards, guards of
 * native calls made from Go callbacks); cgg_call returns -EOVERFLOW past it. */
#define CGG_MAX_GUARD_DEPTH 64

/* Number of guards armed on the calling thread. */
CGG_API int cgg_guard_depth(void);

/* Drops the calling thread's abandoned guards: those whose frame is not on
 * the caller's native call chain (found by unwinding from here) and lies
 * below the outermost frame of that chain. A Go panic that unwinds out of a
 * callback through guarded C frames abandons them; the Go package calls this
 * in a fresh cgo call after such a panic. Live guards of the chain, and guards
 * of outer native calls above a callback into Go, are kept. Returns the number
 * dropped. cgg_call also drops guards lying below its own frame on entry, and
 * the handler never jumps to a guard whose frame is not on the faulting
 * stack. */
CGG_API int cgg_repair_thread(void);

/* ---- Go runtime hooks ---------------------------------------------------- */

/* The traceback and symbolizer functions for Go's runtime.SetCgoTraceback
 * (argument layouts as documented there, version 0); the Go package
 * registers them on request. cgg_cgo_traceback is async-signal-safe: from a
 * signal it reports the interrupted pc and the frame-pointer chain behind it
 * while that chain stays on the thread's own stack (native code built without
 * frame pointers yields the pc alone); otherwise it unwinds the calling
 * native stack. cgg_cgo_symbolizer is async-signal-safe on the thread's
 * alternate signal stack (the Go runtime's crash path): there it answers only
 * pcs it has symbolized before, from a table it never locks to read; in
 * ordinary context it symbolizes (cgg_symbolize) and adds to that table. */
CGG_API void cgg_cgo_traceback(void* arg);
CGG_API void cgg_cgo_symbolizer(void* arg);

/* "major.minor.patch". */
CGG_API const char* cgg_version(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CGOGUARD_CGOGUARD_H_ */
