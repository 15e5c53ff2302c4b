package cgoguard

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// ErrNativeFault matches every contained native fault and C++ exception:
// errors.Is(err, ErrNativeFault).
var ErrNativeFault = errors.New("cgoguard: native fault")

// Frame is one frame of a native or Go stack.
type Frame struct {
	PC       uintptr // exact pc (innermost native frame) or return address
	Function string  // demangled function name, "" if unknown
	File     string  // source file, "" if unknown
	Line     int     // source line, 0 if unknown
	Module   string  // executable or shared object path ("" for Go frames)
	// Offset is PC minus the start of the function (0 if unknown); with
	// Function it names a fault site independently of load addresses.
	Offset uintptr
	// ModuleOffset is PC minus the module's load address, the address to
	// give addr2line.
	ModuleOffset uintptr
	// BuildID is the module's GNU build ID in hex ("" if it has none or for
	// Go frames). With Module and ModuleOffset it identifies the frame in a
	// stripped binary: cmd/cgoguard-symbolize finds the unstripped binary or
	// its debug file by this ID and names the frame offline.
	BuildID string
}

// NativeFault describes a fault contained inside a guarded native call. It is
// returned by Call (as an error) and delivered to OnFault subscribers, which
// share the same value and must not modify it.
type NativeFault struct {
	// Signal is the signal of the fault, or 0 for a C++ exception.
	Signal syscall.Signal
	// Exception is true for a C++ exception that escaped the guarded function.
	Exception bool
	Code      int     // si_code (SEGV_MAPERR, FPE_INTDIV, ...)
	Addr      uintptr // faulting data address (or instruction, for SIGFPE/SIGILL)
	PC        uintptr // instruction pointer at the fault
	SP        uintptr // stack pointer at the fault
	// Frames is the native stack from the faulting instruction (Frames[0]) up
	// to the guard, innermost first. For a C++ exception it is the stack at
	// the throw: Frames[0] is the call that threw (its function and line),
	// recorded before the exception unwound anything.
	Frames []Frame
	// Truncated is true when the native stack was deeper than the record holds.
	Truncated bool
	// GoStack is the Go stack of the goroutine that made the guarded call,
	// innermost first, starting at the caller of Call (empty under
	// Symbolize(false) until Symbolize is called, as are Frames' names). Faults
	// with the same Go stack share its frames (it is resolved once per
	// distinct stack): read them, never modify them.
	GoStack []Frame
	// Message is the C++ exception's type and what() text, or the fault kind
	// ("SIGSEGV: address not mapped to object").
	Message string
	// Fingerprint names the fault site stably across runs and builds of the
	// same code: a hash of function names and offsets (never raw addresses),
	// the names taken from the symbol tables, so it is set from the first
	// fault on and the same before and after files and lines arrive (see
	// Fingerprint and (*NativeFault).Symbolize). Empty under Init's
	// Symbolize(false) until Symbolize is called.
	Fingerprint string
	ID          uint64    // process-unique fault number
	ThreadID    int       // kernel thread id of the faulting thread
	Time        time.Time // when the fault was reported to Go

	// mu serializes Symbolize (see lock). It is behind a pointer so that a
	// NativeFault stays a value that can be copied (v := *nf): copies share
	// it, which only serializes their symbolization.
	mu *sync.Mutex
	// symbolized is 1 once Symbolize has filled in the names, files and
	// lines; read and written with sync/atomic's functions rather than held
	// as an atomic.Bool, which go vet's copylocks forbids copying. A copy
	// takes the state of the fault at the moment it was made.
	symbolized uint32
	named      bool      // Frames, GoStack and Fingerprint are named (mu held)
	goPCs      []uintptr // raw Go stack, resolved into GoStack by Symbolize
	// goPCsInCallback: goPCs was recorded inside the report callback and
	// starts with the callback's own frames.
	goPCsInCallback bool
}

// Error returns a single line: what happened, where, and the fingerprint.
func (f *NativeFault) Error() string {
	var b strings.Builder
	if f.Exception {
		b.WriteString("cgoguard: C++ exception: ")
		b.WriteString(f.Message)
	} else {
		fmt.Fprintf(&b, "cgoguard: native fault: %s at %#x", f.Message, f.Addr)
	}
	if top := f.Site(); top != "" {
		b.WriteString(" in ")
		b.WriteString(top)
	}
	if f.Fingerprint != "" {
		b.WriteString(" [")
		b.WriteString(f.Fingerprint)
		b.WriteString("]")
	}
	return b.String()
}

// Is reports whether target is ErrNativeFault.
func (f *NativeFault) Is(target error) bool { return target == ErrNativeFault }

// Format implements fmt.Formatter: %v and %s print Error(); %+v prints the
// whole chain innermost first, as the incident logs and the debug page do:
// the native frames from the faulting instruction up to the guard, then the
// Go frames from the guarded call's caller outward.
func (f *NativeFault) Format(s fmt.State, verb rune) {
	switch {
	case verb == 'v' && s.Flag('+'):
		io.WriteString(s, f.Error())
		io.WriteString(s, "\nnative stack (innermost first):")
		if len(f.Frames) == 0 {
			io.WriteString(s, "\n    (none recorded)")
		}
		for _, fr := range f.Frames {
			io.WriteString(s, "\n    ")
			io.WriteString(s, fr.String())
		}
		if f.Truncated {
			io.WriteString(s, "\n    (outer frames truncated)")
		}
		io.WriteString(s, "\n  <- guarded native call")
		io.WriteString(s, "\ngoroutine stack (innermost first):")
		for _, fr := range f.GoStack {
			fmt.Fprintf(s, "\n    %s\n        %s:%d", fr.Function, fr.File, fr.Line)
		}
	case verb == 'v' || verb == 's':
		io.WriteString(s, f.Error())
	case verb == 'q':
		fmt.Fprintf(s, "%q", f.Error())
	default:
		fmt.Fprintf(s, "%%!%c(*cgoguard.NativeFault=%s)", verb, f.Error())
	}
}

// String renders a native frame as "func+0xoff (file:line) [module+0xoff]".
func (fr Frame) String() string {
	var b strings.Builder
	if fr.Function != "" {
		fmt.Fprintf(&b, "%s+%#x", fr.Function, fr.Offset)
	} else {
		fmt.Fprintf(&b, "%#x", fr.PC)
	}
	if fr.File != "" {
		fmt.Fprintf(&b, " (%s:%d)", fr.File, fr.Line)
	}
	if fr.Module != "" {
		fmt.Fprintf(&b, " [%s+%#x]", filepath.Base(fr.Module), fr.ModuleOffset)
	}
	return b.String()
}

// computeFingerprint: see Fingerprint; frames are the fault's native frames
// named from the symbol tables. A C++ exception is identified by its type
// and its throw site.
func (f *NativeFault) computeFingerprint(frames []Frame) string {
	if f.Exception {
		typ, _, _ := strings.Cut(f.Message, ":")
		if len(frames) > 0 {
			// The exception type and the frames of its throw site.
			return Fingerprint("c++exception|"+typ, frames)
		}
		// No throw site was recorded (an exception that skipped the
		// unwinder's search phase): the Go call site identifies it.
		return Fingerprint("c++exception|"+typ, f.GoStack[:min(len(f.GoStack), 1)])
	}
	return SignalFingerprint(f.Signal, frames)
}

// Symbolized reports whether the fault's names are filled in (Symbolize
// has run). Once it returns true, reading Frames, GoStack and Fingerprint
// from any goroutine is safe without calling Symbolize.
func (f *NativeFault) Symbolized() bool { return atomic.LoadUint32(&f.symbolized) != 0 }

// setSymbolized records that Symbolize has filled in the names (f.lock
// held).
func (f *NativeFault) setSymbolized() { atomic.StoreUint32(&f.symbolized, 1) }

// lock locks the mutex that serializes f's symbolization and returns its
// unlock. Faults cgoguard makes have their mutex from the start; one built
// by hand gets it on first use (the first that installs one wins).
func (f *NativeFault) lock() (unlock func()) {
	p := (*unsafe.Pointer)(unsafe.Pointer(&f.mu))
	mu := (*sync.Mutex)(atomic.LoadPointer(p))
	if mu == nil {
		atomic.CompareAndSwapPointer(p, nil, unsafe.Pointer(new(sync.Mutex)))
		mu = (*sync.Mutex)(atomic.LoadPointer(p))
	}
	mu.Lock()
	return mu.Unlock
}

// Clone returns an independent copy of f, symbolized if f is: a value to
// keep (in a log queue, a cluster) that stays as it is while f is
// symbolized by another goroutine.
func (f *NativeFault) Clone() *NativeFault {
	defer f.lock()()
	c := &NativeFault{
		Signal: f.Signal, Exception: f.Exception, Code: f.Code, Addr: f.Addr, PC: f.PC, SP: f.SP,
		Frames: append([]Frame(nil), f.Frames...), Truncated: f.Truncated,
		GoStack: append([]Frame(nil), f.GoStack...), Message: f.Message, Fingerprint: f.Fingerprint,
		ID: f.ID, ThreadID: f.ThreadID, Time: f.Time,
		goPCs: f.goPCs, goPCsInCallback: f.goPCsInCallback, named: f.named,
		mu: new(sync.Mutex), symbolized: atomic.LoadUint32(&f.symbolized),
	}
	return c
}
