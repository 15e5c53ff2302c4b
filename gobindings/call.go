package cgoguard

/*
#include <errno.h>
#include <stdint.h>
#include <cgoguard/cgoguard.h>

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

// Implemented in Go (report.go); called through the trampoline below.
extern void cgoguardGoReport(cgg_fault* fault);

// The record Call's faults are written to: C memory, one per thread, touched
// only on the fault path. A fault written anywhere else comes from a guard
// that user C code armed itself (CGG_GUARD) or one on a native thread, which
// no Call is waiting for.
static __thread cgg_fault cgoguard_call_record;

// The report callback registered with the C shim. It runs after the jump
// back, in ordinary context, on the faulting thread: calling into Go from
// here is legal (unlike from the signal handler). Call's own faults are not
// passed on: Call reads them after its cgo call returns and reports them
// from Go. A call from C into Go pins the thread to the goroutine until it
// returns; with thousands of goroutines faulting at once and subscribers
// that block, the scheduler would start a thread for each.
static void cgoguard_report_trampoline(const cgg_fault* fault, void* user) {
	(void)user;
	if (fault == &cgoguard_call_record) return;
	cgoguardGoReport((cgg_fault*)fault);
}

static int cgoguard_register_reporter(void) {
	return cgg_report_add(cgoguard_report_trampoline, NULL);
}

// How a faulted Call's record gets back to its goroutine. The cgo call
// returns no C result: cgo hands the C errno back to Go in a register,
// while a C result goes through the Go stack frame, which cgo must locate
// again after the call (_cgo_topofstack, twice) because a callback may have
// moved the stack — 4 % of a cgo call against 0.6 % for errno (measured side
// by side). (Call's clean path, with a nil arg, does without both: it enters
// runtime.cgocall itself and gets the outcome as cgocall's result; see
// cgoguard_call_nil.) So cgoguard_call leaves errno 0 for a clean call, the
// errno value of a failed one (below CGOGUARD_PARKED), or CGOGUARD_PARKED + i
// for a contained fault whose record it copied to slot i of
// cgoguard_parked_records. Go reads the slot in place and frees it by
// clearing bit i of cgoguard_parked_used, both without another cgo call.
// The record is copied because the thread-local one belongs to the thread,
// not to the goroutine: once the cgo call returns, the goroutine may resume
// on another thread while this one runs another Call that faults.
//
// A slot is held from the fault until its goroutine runs again, which may
// wait for a P: in a storm, every faulting goroutine may hold one.
// CGOGUARD_SLOTS bounds that; past it a faulting call waits in C for a slot.
// The slots are mapped on the first fault (virtual memory only; a page is
// touched when a slot on it is first used) and claimed lowest first, so a
// process that faults one at a time uses one page.
#define CGOGUARD_PARKED (1 << 20)
#define CGOGUARD_SLOTS (1 << 14)

// Not static: Go reads them by name (a static variable has no symbol for
// Go's linker to bind to). Defined in this preamble only, which no other C
// file includes (call.go exports nothing to C).
cgg_fault* cgoguard_parked_records;
uint64_t cgoguard_parked_used[CGOGUARD_SLOTS / 64];

// The slots, mapped by the first fault that needs them.
static cgg_fault* cgoguard_parked_slots(void) {
	cgg_fault* slots = __atomic_load_n(&cgoguard_parked_records, __ATOMIC_ACQUIRE);
	if (slots != NULL) return slots;
	size_t size = sizeof(cgg_fault) * CGOGUARD_SLOTS;
	void* mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) return NULL;
	if (__atomic_compare_exchange_n(&cgoguard_parked_records, &slots, (cgg_fault*)mem, 0,
	                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		return (cgg_fault*)mem;
	}
	munmap(mem, size);  // another thread mapped them first
	return slots;
}

// What a guarded call returns for a contained fault whose record no slot
// could hold (the slots could not be mapped).
#define CGOGUARD_UNPARKED (CGOGUARD_PARKED + CGOGUARD_SLOTS)

// Copies the thread's record into a free slot and returns its code
// (CGOGUARD_UNPARKED when the slots cannot be mapped).
static __attribute__((noinline, cold)) int cgoguard_park(void) {
	cgg_fault* slots = cgoguard_parked_slots();
	if (slots == NULL) return CGOGUARD_UNPARKED;
	for (;;) {
		for (int w = 0; w < CGOGUARD_SLOTS / 64; w++) {
			uint64_t used = __atomic_load_n(&cgoguard_parked_used[w], __ATOMIC_RELAXED);
			while (used != ~(uint64_t)0) {
				uint64_t bit = (uint64_t)1 << __builtin_ctzll(~used);
				uint64_t before = __atomic_fetch_or(&cgoguard_parked_used[w], bit, __ATOMIC_ACQUIRE);
				if ((before & bit) == 0) {
					int i = w * 64 + __builtin_ctzll(bit);
					memcpy(&slots[i], &cgoguard_call_record, sizeof slots[i]);
					return CGOGUARD_PARKED + i;
				}
				used = before | bit;
			}
		}
		sched_yield();
	}
}

// The one guarded-call path of this package, shared by Call and by the call
// wrappers that the build flag (cmd/cgoguard) writes into a guarded package.
// Runs fn(arg) under a guard whose record is the thread's and returns 0 when
// fn returned, CGOGUARD_PARKED + i for a contained fault parked in slot i,
// CGOGUARD_UNPARKED for one no slot could hold, or -errno when the guard
// could not be armed (fn did not run).
static inline __attribute__((always_inline)) int cgoguard_guarded_call(void (*fn)(void*), void* arg) {
	int rc = cgg_call(fn, arg, &cgoguard_call_record);
	if (__builtin_expect(rc == 0, 1)) return 0;
	if (rc < 0 && rc != CGG_CXX_EXCEPTION) return rc;
	return cgoguard_park();
}

// The errno value that collect (Go) reads for the outcome rc of
// cgoguard_guarded_call: 0 for a clean call, the errno of a guard that could
// not be armed, ENOMEM for a fault no slot could hold, or the parked code.
static inline int cgoguard_call_outcome(int rc) {
	if (__builtin_expect(rc == 0, 1)) return 0;
	return rc < 0 ? -rc : rc == CGOGUARD_UNPARKED ? ENOMEM : rc;
}

// One cgo crossing per Call; Go reads the outcome from errno (see above).
// fn may have left errno set: a clean call resets it. fn travels as an
// integer: it is a C function pointer, never Go memory, so cgo's pointer
// check (a few ns per pointer argument) has nothing to check.
static inline void cgoguard_call(uintptr_t fn, void* arg) {
	errno = cgoguard_call_outcome(cgoguard_guarded_call((void (*)(void*))fn, arg));
}

// Call's clean path for a nil arg, entered through runtime.cgocall itself
// rather than a cgo call stub (runtimeCgocall in Go): the argument word is
// fn, and the outcome comes back as cgocall's result, so neither errno nor a
// Go frame of cgo's is involved.
int cgoguard_call_nil(void* fn) {
	return cgoguard_call_outcome(cgoguard_guarded_call((void (*)(void*))fn, NULL));
}

// The entry points of the call wrappers that cmd/cgoguard (the build flag)
// writes into a guarded package's cgo output: cgo's own wrapper body becomes
// a static function fn, and the wrapper of cgo's name returns
// cgoguard_cgo_call(fn, v) (cgoguard_cgo_call_errno for the errno form
// `r, err := C.f()`, whose fn returns the C errno). They return what the
// generated Go stub reads from runtime.cgocall: 0 (or fn's errno) for a call
// that returned, CGOGUARD_PARKED + slot for a contained fault, which the stub
// turns into a panic through raiseFault (buildflag.go). A guard that cannot
// be armed (CGG_MAX_GUARD_DEPTH nested guards, a thread whose set-up failed)
// runs fn unguarded, as the program built without the flag would: a call
// that would have worked must not fail because of the flag.
//
// For a contained fault they first call back into Go (buildflag.go's
// cgoguardLockFaultThread) to lock the goroutine to this thread, the one
// that faulted, before the cgo call returns: on its way back the goroutine
// may find its P taken and would then resume on another thread, where the
// panic's deferred clean-up would wait forever for the native code's
// recursive locks (SQLite's connection mutex) that this thread holds. A
// function declared with `#cgo nocallback` must not call into Go (the
// runtime panics if it does): its wrapper passes may_call_go = 0, and its
// stub's raise locks the goroutine once back in Go, which is on the
// faulting thread unless the call lost its P (docs/build-flag.md).
//
// Not static: they are called from other packages' C objects. Hidden: they
// are never exported from the program.
extern void cgoguardLockFaultThread(void);
__attribute__((visibility("hidden"))) int cgoguard_cgo_call(void (*fn)(void*), void* v, int may_call_go) {
	int rc = cgoguard_guarded_call(fn, v);
	if (__builtin_expect(rc == 0, 1)) return 0;
	if (rc < 0) {
		fn(v);
		return 0;
	}
	if (may_call_go) cgoguardLockFaultThread();
	return rc;
}

struct cgoguard_errno_call {
	int (*fn)(void*);
	void* v;
	int errno_value;
};

static void cgoguard_errno_thunk(void* arg) {
	struct cgoguard_errno_call* c = (struct cgoguard_errno_call*)arg;
	c->errno_value = c->fn(c->v);
}

__attribute__((visibility("hidden"))) int cgoguard_cgo_call_errno(int (*fn)(void*), void* v, int may_call_go) {
	struct cgoguard_errno_call c = {fn, v, 0};
	int rc = cgoguard_guarded_call(cgoguard_errno_thunk, &c);
	if (__builtin_expect(rc == 0, 1)) return c.errno_value;
	if (rc < 0) return fn(v);
	if (may_call_go) cgoguardLockFaultThread();
	return rc;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// ErrNilFunction is returned by Call for a nil function pointer.
var ErrNilFunction = errors.New("cgoguard: nil function pointer")

type config struct {
	flags        C.uint
	symbolize    bool
	cgoTraceback bool
	decline      []string
}

// Option configures Init.
type Option func(*config)

// ContainAbort also contains SIGABRT raised by abort() (and so a failed
// assert()) inside a guarded call. The aborting code's invariants are broken
// by definition: treat the process as tainted (see Stats) and plan a restart.
// An abort from inside the C library's allocator (glibc's heap-corruption
// checks: "malloc(): corrupted top size", "free(): double free detected")
// is declined all the same, as every fault under a process-wide lock is
// (see DeclineIn): the process ends with Go's crash report.
func ContainAbort() Option { return func(c *config) { c.flags |= C.CGG_CONTAIN_ABORT } }

// Symbolize controls whether faults are symbolized without being asked
// (the default). With true, every fault comes back and is reported with its
// native functions, its Go stack and its Fingerprint, the first fault after
// start-up included (named from the symbol tables, about a millisecond the
// first time), and Init starts loading the debug information in the
// background, on the C shim's symbolizer thread (see SymbolizerReady); once
// it is loaded, faults also carry files and lines before they are returned
// and reported, at a cost of microseconds. The faulting call never waits for
// debug information: a fault before that has its files and lines from
// Symbolize or WhenSymbolized. With false, nothing in cgoguard or its
// sub-packages symbolizes a fault unless (*NativeFault).Symbolize is called:
// Frames carry only PCs and Fingerprint is empty; the cheapest fault path.
func Symbolize(on bool) Option { return func(c *config) { c.symbolize = on } }

// WithCgoTraceback registers cgoguard's native unwinder and symbolizer with
// runtime.SetCgoTraceback, so native frames appear in Go tracebacks and CPU
// profiles. The Go runtime accepts one registration per process: do not use
// this together with another cgo symbolizer (such as
// github.com/ianlancetaylor/cgosymbolizer); Init then returns an error.
func WithCgoTraceback() Option { return func(c *config) { c.cgoTraceback = true } }

// DeclineIn makes cgoguard decline, never contain, a fault in the named
// modules or functions, as it declines a fault inside the C library's
// allocator, the dynamic loader or stdio (see docs/hazards.md): the
// fault goes to the Go runtime, which ends the process with its crash
// report, where containing it would leave a lock taken and the process hung.
// For a custom allocator (jemalloc, tcmalloc) or any native library that
// holds process-wide locks while it runs.
//
// A name with a "/" or ".so" in it names a module: its path as the loader
// has it, or its file name with or without a version suffix
// ("libjemalloc.so" names "libjemalloc.so.2"); all its code is declined.
// Any other name is a function, as the modules' symbol tables spell it (C
// names; C++ names mangled), in every loaded module that defines it. Names
// accumulate over Init calls. A module loaded later (dlopen) is covered
// once Init runs again with any DeclineIn option. Init returns an error for
// an empty name.
func DeclineIn(modulesOrSymbols ...string) Option {
	return func(c *config) { c.decline = append(c.decline, modulesOrSymbols...) }
}

// declineNames hands DeclineIn's names to the C shim (before cgg_init, or
// after it: the shim then rebuilds its table of declined code at once).
func declineNames(names []string) error {
	for _, name := range names {
		cs := C.CString(name)
		var rc C.int
		if strings.Contains(name, "/") || strings.Contains(name, ".so") {
			rc = C.cgg_decline_module(cs)
		} else {
			rc = C.cgg_decline_symbol(cs)
		}
		C.free(unsafe.Pointer(cs))
		if rc != 0 {
			return fmt.Errorf("cgoguard: DeclineIn(%q): %w", name, syscall.Errno(-rc))
		}
	}
	if len(names) > 0 && initialized.Load() {
		// Rereads the loaded modules: covers those loaded since.
		if rc := C.cgg_decline_refresh(); rc != 0 {
			return fmt.Errorf("cgoguard: DeclineIn: %w", syscall.Errno(-rc))
		}
	}
	return nil
}

var (
	initMu      sync.Mutex
	initialized atomic.Bool
	// symbolizeOnReport mirrors the Symbolize option for the report path.
	symbolizeOnReport atomic.Bool
	// Guarded by initMu.
	tracebackOn        bool
	reporterRegistered bool
)

func init() {
	symbolizeOnReport.Store(true)
	initGuardedProgram()
}

// Init installs cgoguard's signal handlers (after the Go runtime's, which it
// chains to for every fault that is not a guarded native one) and registers
// the report callback. Call runs it on first use with no options; call it
// explicitly to pass options. It may be called again: flags only add
// containment, Symbolize takes the latest value.
func Init(opts ...Option) error {
	cfg := config{symbolize: true}
	for _, opt := range opts {
		opt(&cfg)
	}
	initMu.Lock()
	defer initMu.Unlock()
	if err := declineNames(cfg.decline); err != nil {
		return err
	}
	if rc := C.cgg_init(cfg.flags); rc != 0 {
		return fmt.Errorf("cgoguard: cgg_init: %w", syscall.Errno(-rc))
	}
	if !initialized.Load() {
		// cgg_init installs nothing if C code already called it, say from a
		// constructor that ran before the Go runtime installed its handlers,
		// which then replaced ours. Go back on top, chaining to the Go
		// runtime's handlers.
		if C.cgg_check_handlers() != 0 {
			if rc := C.cgg_reinstall(C.CGG_REINSTALL_CHAIN_DISPLACER); rc != 0 {
				return fmt.Errorf("cgoguard: reinstalling over the Go runtime's handlers: %w", syscall.Errno(-rc))
			}
		}
	}
	// Once per process, whatever fails later in this Init or an earlier
	// one: a second registration would deliver every fault twice.
	if !reporterRegistered {
		if id := C.cgoguard_register_reporter(); id < 0 {
			return fmt.Errorf("cgoguard: registering the report callback: %w", syscall.Errno(-id))
		}
		reporterRegistered = true
	}
	// The debug information starts loading with the first fault (or the
	// first SymbolizerReady), not here: a program that never faults runs
	// no goroutine of cgoguard's and allocates nothing for it.
	symbolizeOnReport.Store(cfg.symbolize)
	symbolizerUsable.Store(true)
	if cfg.cgoTraceback && !tracebackOn {
		if err := enableCgoTraceback(); err != nil {
			return err
		}
		tracebackOn = true
	}
	initialized.Store(true)
	return nil
}

// Call runs the C function fn (a `void fn(void*)`, e.g.
// unsafe.Pointer(C.my_func)) with arg under a guard. It returns nil when fn
// returned, or a *NativeFault when fn faulted (SIGSEGV, SIGBUS, SIGFPE,
// SIGILL, SIGTRAP; SIGABRT with ContainAbort) or threw a C++ exception; the
// fault is also delivered to OnFault subscribers. arg follows the cgo
// pointer-passing rules.
//
// A clean call allocates nothing and crosses into C once. If fn calls back
// into Go and that Go code panics, the panic reaches Call's caller unchanged;
// a fault in such Go code is the Go runtime's (an ordinary Go panic).
func Call(fn, arg unsafe.Pointer) error {
	// The clean path, for the common call with no argument, costs what
	// the guard costs and no more (measured from an outside module,
	// ci/callbench.sh): a variable pointer argument makes cgo check it at
	// run time (runtime.cgoCheckPointer, about 2.5 ns even for nil), while
	// a constant nil is not checked, so a nil arg takes a cgo call of its
	// own; everything else, first use included, goes to callChecked, which
	// keeps this function's frame small.
	if arg != nil || fn == nil || !initialized.Load() {
		return callChecked(fn, arg)
	}
	if code := runtimeCgocall(callNilEntry, uintptr(fn)); code != 0 {
		return collect(syscall.Errno(code))
	}
	return nil
}

// runtimeCgocall is runtime.cgocall, which every cgo call stub calls
// (through the same linkname) and which the runtime keeps for such use
// (go.dev/issue/67401): it runs the C function fn with its one argument word
// on the thread's system stack and returns fn's int result. Call's clean
// path calls it directly: a stub of cgo's would add a Go frame and read the
// outcome from errno, about 1.5 ns of a call that costs 25.
//
//go:linkname runtimeCgocall runtime.cgocall
//go:noescape
func runtimeCgocall(fn unsafe.Pointer, arg uintptr) int32

// recordFrames (fingerprint.go) is CGG_MAX_FRAMES: this fails to compile
// when the two differ.
const _ = uint(recordFrames-C.CGG_MAX_FRAMES) + uint(C.CGG_MAX_FRAMES-recordFrames)

// callNilEntry is cgoguard_call_nil, the C side of Call's clean path.
var callNilEntry = unsafe.Pointer(C.cgoguard_call_nil)

// callChecked is Call for a non-nil arg (checked by cgo against the
// pointer-passing rules), a nil fn and the first call.
func callChecked(fn, arg unsafe.Pointer) error {
	if fn == nil {
		return ErrNilFunction
	}
	if !initialized.Load() {
		if err := Init(); err != nil {
			return err
		}
	}
	// No deferred repair for a Go panic that unwinds out of a callback
	// through fn's frames: the guard it abandons is harmless. The handler
	// only resumes a guard whose owner frame is on the faulting stack, and
	// the next guarded call on that thread (or cgg_guard_depth) drops guards
	// whose records lie below its own frame.
	if _, err := C.cgoguard_call(C.uintptr_t(uintptr(fn)), arg); err != nil {
		return collect(err)
	}
	return nil
}

// The parked-record codes of the C side, for buildflag.go (whose preamble
// does not hold call.go's definitions). cmd/cgoguard's generated stubs test
// code >= parkedBase; a test of that command checks its copy of the value.
const (
	parkedBase  = C.CGOGUARD_PARKED
	parkedSlots = C.CGOGUARD_SLOTS
)

// collect turns the errno of a faulted or failed cgoguard_call into its
// error: for a fault, the *NativeFault built from its parked record (whose
// slot is freed here), after delivering it to OnFault subscribers.
func collect(err error) error {
	code, ok := err.(syscall.Errno)
	slot := int(code) - C.CGOGUARD_PARKED
	if !ok || slot < 0 || slot >= C.CGOGUARD_SLOTS {
		return fmt.Errorf("cgoguard: guarded call failed: %w", err)
	}
	rec := (*C.cgg_fault)(unsafe.Add(unsafe.Pointer(C.cgoguard_parked_records), slot*C.sizeof_cgg_fault))
	nf := newNativeFault(rec, false)
	atomic.AndUint64((*uint64)(unsafe.Pointer(&C.cgoguard_parked_used[slot/64])), ^(uint64(1) << (slot % 64)))
	report(nf)
	return nf
}
