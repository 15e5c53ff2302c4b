package cgoguard

// #include <cgoguard/cgoguard.h>
import "C"

import (
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/cgoguard/cgoguard/gobindings/internal/fpstack"
	"github.com/cgoguard/cgoguard/gobindings/internal/stackcache"
)

var (
	subscribersMu sync.Mutex
	// subscribers is copied on write, so reports read it without locking.
	subscribers      atomic.Pointer[[]*subscriber]
	reportsDelivered atomic.Uint64
	subscriberPanics atomic.Uint64
)

type subscriber struct {
	fn func(*NativeFault)
}

// OnFault subscribes fn to every contained fault in the process: those of
// Call and those of guards that C code arms itself (CGG_GUARD). fn runs on
// the faulting goroutine before the guarded call returns, so it should be
// quick (hand slow work to another goroutine). A panic in fn is recovered and
// counted (Counters.SubscriberPanics); other subscribers and the call are
// unaffected. cancel unsubscribes; it is idempotent.
func OnFault(fn func(*NativeFault)) (cancel func()) {
	s := &subscriber{fn: fn}
	subscribersMu.Lock()
	defer subscribersMu.Unlock()
	var next []*subscriber
	if cur := subscribers.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, s)
	subscribers.Store(&next)
	var once sync.Once
	return func() {
		once.Do(func() {
			subscribersMu.Lock()
			defer subscribersMu.Unlock()
			var rest []*subscriber
			for _, other := range *subscribers.Load() {
				if other != s {
					rest = append(rest, other)
				}
			}
			subscribers.Store(&rest)
		})
	}
}

// cgoguardGoReport is called by the C shim after a fault contained by a
// guard no Call waits for (CGG_GUARD in C code, cgg_call on a native thread),
// in ordinary context after the jump back (never from the signal handler),
// on the thread that made the guarded call. Call's own faults never come
// through here: Call reports them itself once its cgo call has returned.
//
//export cgoguardGoReport
func cgoguardGoReport(rec *C.cgg_fault) {
	report(newNativeFault(rec, true))
}

// report delivers nf to every OnFault subscriber, on the calling goroutine.
func report(nf *NativeFault) {
	reportsDelivered.Add(1)
	if subs := subscribers.Load(); subs != nil {
		for _, s := range *subs {
			deliver(s.fn, nf)
		}
	}
}

// deliver calls fn (an OnFault subscriber or a WhenSymbolized callback)
// with nf; a panic in fn is counted (Counters.SubscriberPanics), not raised.
func deliver(fn func(*NativeFault), nf *NativeFault) {
	defer func() {
		if recover() != nil {
			subscriberPanics.Add(1)
		}
	}()
	fn(nf)
}

// newNativeFault copies a C fault record into Go memory, with the raw Go
// stack of the calling goroutine (subscribers, which run before Call
// returns, need it too).
//
// inCallback says the caller is the report callback (the Go stack then
// starts with the callback's frames).
//
// Not inlined: the frame-pointer walk of the Go stack starts at this
// function's frame.
//
//go:noinline
func newNativeFault(rec *C.cgg_fault, inCallback bool) *NativeFault {
	nf := &NativeFault{
		Code:     int(rec.code),
		Addr:     uintptr(rec.addr),
		PC:       uintptr(rec.pc),
		SP:       uintptr(rec.sp),
		ID:       uint64(rec.id),
		ThreadID: int(rec.thread_id),
		Message:  C.GoString(&rec.what[0]),
		Time:     time.Now(),
		mu:       new(sync.Mutex),
	}
	if rec.signo == C.CGG_CXX_EXCEPTION {
		nf.Exception = true
	} else {
		nf.Signal = syscall.Signal(rec.signo)
	}
	n := int(rec.nframes)
	nf.Truncated = rec.truncated != 0
	nf.Frames = make([]Frame, n)
	frames := unsafe.Slice((*uintptr)(unsafe.Pointer(&rec.frames[0])), n)
	for i, pc := range frames {
		nf.Frames[i].PC = pc
	}
	// The raw Go stack, from this frame: following the frame pointers
	// (internal/fpstack) costs a load per frame where runtime.Callers costs
	// about 1 µs for a ten-frame stack, the largest part of a fault's cost on
	// the Go side. A stack that walk cannot follow (a report callback's, or
	// any that runs below a cgo callback) is captured by runtime.Callers.
	// Both lists resolve to the same frames (resolveGoStack leaves out the
	// wrappers only the frame-pointer walk sees).
	var pcs [48]uintptr
	walked := false
	if !inCallback {
		var n int
		if n, walked = fpstack.Callers(pcs[:]); walked {
			nf.goPCs = append([]uintptr(nil), pcs[:n]...)
		}
	}
	if !walked {
		nf.goPCs = callerPCs(3) // skip runtime.Callers, callerPCs, newNativeFault
	}
	nf.goPCsInCallback = inCallback
	// Symbolizing here, on the faulting goroutine, costs microseconds once
	// the symbolizer is warm; before that it would read the whole program's
	// debug information (up to a second). The symbol tables are read in a
	// millisecond: they name the native frames and make the fingerprint at
	// once, the first fault after start-up included; files and lines come
	// with Symbolize. The Go stack needs only the Go runtime's own tables
	// (once per call site: the cache). The first fault starts the loading.
	if symbolizeOnReport.Load() {
		if symbolizerIsWarm() {
			nf.Symbolize()
		} else {
			nf.nameFromSymbols()
			startWarmUp()
		}
	}
	return nf
}

// callerPCs records the Go stack of the calling goroutine as raw PCs,
// skipping `skip` frames (runtime.Callers' count: 0 is runtime.Callers);
// goStackFrames resolves them later, in Symbolize, because resolving costs
// more than the rest of the fault path.
func callerPCs(skip int) []uintptr {
	var pcs [48]uintptr
	n := runtime.Callers(skip, pcs[:])
	return append([]uintptr(nil), pcs[:n]...)
}

// goStacks holds the resolved Go stacks of faults by their PCs, one cache for
// stacks recorded inside the report callback and one for the others (the
// same PCs are trimmed differently). A storm of faults from one call site
// resolves its Go stack once.
var goStacks [2]stackcache.Cache[[]Frame]

// goStackFrames returns the Go stack below the cgo call that led to the
// report: the callback's own frames and cgoguard's Call wrapper are dropped,
// so the first frame is the code that called Call (or the cgo function that
// armed a CGG_GUARD). Faults with the same PCs share the returned frames.
func goStackFrames(pcs []uintptr, inCallback bool) []Frame {
	cache := &goStacks[0]
	if inCallback {
		cache = &goStacks[1]
	}
	return cache.Resolve(pcs, func(pcs []uintptr) []Frame { return resolveGoStack(pcs, inCallback) })
}

// resolveGoStack is goStackFrames without the cache.
func resolveGoStack(pcs []uintptr, inCallback bool) []Frame {
	frames := runtime.CallersFrames(pcs)
	var out []Frame
	pastCallback := !inCallback
	for {
		fr, more := frames.Next()
		switch {
		case !pastCallback:
			// Everything up to runtime.cgocallback runs because of the report.
			pastCallback = fr.Function == "runtime.cgocallback"
		case isGuardPlumbing(fr.Function), fpstack.IsWrapper(fr.Function, fr.File):
		default:
			out = append(out, Frame{PC: fr.PC, Function: fr.Function, File: fr.File, Line: fr.Line})
		}
		if !more {
			break
		}
	}
	// Clipped: a consumer's append to a shared stack must not write into it.
	return slices.Clip(out)
}

// isGuardPlumbing reports frames of the cgo call itself: the runtime's cgo
// entry, cgo's generated stubs (_Cfunc_f, the errno form's _C2func_f, a
// macro's _Cmacro_m), this package's Call and the build flag's raises
// (raiseFault, raiseFaultNoCallback, raise).
func isGuardPlumbing(fn string) bool {
	const pkg = "github.com/cgoguard/cgoguard/gobindings."
	return fn == "runtime.cgocall" || fn == "runtime.asmcgocall" || fn == "runtime.systemstack_switch" ||
		strings.Contains(fn, "._Cfunc_") || strings.Contains(fn, "._C2func_") || strings.Contains(fn, "._Cmacro_") ||
		fn == pkg+"Call" || strings.HasPrefix(fn, pkg+"Call.func") ||
		fn == pkg+"collect" || fn == pkg+"FaultFromRecord" ||
		fn == pkg+"raiseFault" || fn == pkg+"raiseFaultNoCallback" || fn == pkg+"raise"
}

// FaultFromRecord builds a *NativeFault from a cgg_fault record that C code
// filled in itself — the `out` argument of CGG_GUARD or cgg_call in a cgo
// preamble (see docs/go.md) — symbolized as Init configured. rec points to C
// or Go memory holding a cgg_fault; nil gives nil. The result is a copy: the
// record may be reused afterwards. (OnFault subscribers receive their own
// report of the same fault, with the same ID.)
func FaultFromRecord(rec unsafe.Pointer) *NativeFault {
	if rec == nil {
		return nil
	}
	return newNativeFault((*C.cgg_fault)(rec), false)
}
