package cgoguard

/*
#include <errno.h>
#include <stdint.h>
#include <cgoguard/cgoguard.h>

#include <stdlib.h>
#include <string.h>

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

// The record cgoguard_call returns when it could not allocate one.
static const cgg_fault cgoguard_out_of_memory = {.signo = 0, .code = ENOMEM};

// The fault path of cgoguard_call, out of line so that the clean path's cgo
// wrapper keeps nothing for it. Returns a malloc'd record: a copy of the
// contained fault's (signo set), or, when the guarded call could not be
// made, one with signo 0 and the errno value in code. The record is copied
// because the thread-local one belongs to the thread, not to the goroutine:
// once the cgo call returns, the goroutine may resume on another thread
// while this one runs another Call that faults.
static __attribute__((noinline, cold)) cgg_fault* cgoguard_collect(int rc) {
	cgg_fault* r = (cgg_fault*)malloc(sizeof *r);
	if (r == NULL) return (cgg_fault*)&cgoguard_out_of_memory;
	if (rc < 0 && rc != CGG_CXX_EXCEPTION) {
		memset(r, 0, sizeof *r);
		r->code = -rc;
		return r;
	}
	memcpy(r, &cgoguard_call_record, sizeof *r);
	return r;
}

// Frees a record cgoguard_call returned.
static void cgoguard_release(cgg_fault* r) {
	if (r != &cgoguard_out_of_memory) free(r);
}

// One cgo crossing per Call: NULL when fn returned, else a record to hand to
// cgoguard_release (see cgoguard_collect). A single pointer-sized result
// keeps cgo's wrapper to one store. fn travels as an integer: it is a C
// function pointer, never Go memory, so cgo's pointer check (a few ns per
// pointer argument) has nothing to check.
static inline cgg_fault* cgoguard_call(uintptr_t fn, void* arg) {
	int rc = cgg_call((void (*)(void*))fn, arg, &cgoguard_call_record);
	if (__builtin_expect(rc != 0, 0)) return cgoguard_collect(rc);
	return NULL;
}
*/
import "C"

import (
	"errors"
	"fmt"
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
}

// Option configures Init.
type Option func(*config)

// ContainAbort also contains SIGABRT raised by abort() (and so a failed
// assert()) inside a guarded call. The aborting code's invariants are broken
// by definition: treat the process as tainted (see Stats) and plan a restart.
func ContainAbort() Option { return func(c *config) { c.flags |= C.CGG_CONTAIN_ABORT } }

// Symbolize controls whether faults are symbolized without being asked
// (the default). With true, Init starts loading the debug information in
// the background (see SymbolizerReady); once it is loaded, faults are
// symbolized before they are returned and reported, at a cost of
// microseconds. A fault that comes before that is returned and reported with
// raw frames: the faulting call never waits for debug information. With
// false, nothing in cgoguard or its sub-packages symbolizes a fault unless
// (*NativeFault).Symbolize is called: Frames carry only PCs and Fingerprint
// is empty; the cheapest fault path.
func Symbolize(on bool) Option { return func(c *config) { c.symbolize = on } }

// WithCgoTraceback registers cgoguard's native unwinder and symbolizer with
// runtime.SetCgoTraceback, so native frames appear in Go tracebacks and CPU
// profiles. The Go runtime accepts one registration per process: do not use
// this together with another cgo symbolizer (such as
// github.com/ianlancetaylor/cgosymbolizer); Init then returns an error.
func WithCgoTraceback() Option { return func(c *config) { c.cgoTraceback = true } }

var (
	initMu      sync.Mutex
	initialized atomic.Bool
	// symbolizeOnReport mirrors the Symbolize option for the report path.
	symbolizeOnReport atomic.Bool
	// Guarded by initMu.
	tracebackOn        bool
	reporterRegistered bool
)

func init() { symbolizeOnReport.Store(true) }

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
	symbolizeOnReport.Store(cfg.symbolize)
	if cfg.symbolize {
		startSymbolizer()
	}
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
	if r := C.cgoguard_call(C.uintptr_t(uintptr(fn)), arg); r != nil {
		return collect(r)
	}
	return nil
}

// collect turns a faulted or failed call's record into its error (and frees
// it): for a fault, the *NativeFault built from it, after delivering it to
// OnFault subscribers.
func collect(r *C.cgg_fault) error {
	defer C.cgoguard_release(r)
	if r.signo == 0 {
		return fmt.Errorf("cgoguard: guarded call failed: %w", syscall.Errno(r.code))
	}
	nf := newNativeFault(r, false)
	report(nf)
	return nf
}
