package cgoguard

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
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
	// to the guard, innermost first. Exceptions carry none: the throwing
	// frames are gone by the time the exception reaches the guard.
	Frames []Frame
	// Truncated is true when the native stack was deeper than the record holds.
	Truncated bool
	// GoStack is the Go stack of the goroutine that made the guarded call,
	// innermost first, starting at the caller of Call (empty until
	// symbolized; see Symbolize). Until then Frames carry PC only.
	GoStack []Frame
	// Message is the C++ exception's type and what() text, or the fault kind
	// ("SIGSEGV: address not mapped to object").
	Message string
	// Fingerprint names the fault site stably across runs and builds of the
	// same code: a hash of function names and offsets (never raw addresses).
	// Empty until symbolized (see (*NativeFault).Symbolize).
	Fingerprint string
	ID          uint64    // process-unique fault number
	ThreadID    int       // kernel thread id of the faulting thread
	Time        time.Time // when the fault was reported to Go

	mu         sync.Mutex  // serializes Symbolize
	symbolized atomic.Bool // Symbolize has filled in the names
	goPCs      []uintptr   // raw Go stack, resolved into GoStack by Symbolize
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
	if top := f.topFunction(); top != "" {
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
// whole chain, Go frames from the outermost down to the guarded call, then
// the native frames from the guard down to the faulting instruction.
func (f *NativeFault) Format(s fmt.State, verb rune) {
	switch {
	case verb == 'v' && s.Flag('+'):
		io.WriteString(s, f.Error())
		io.WriteString(s, "\ngoroutine stack (outermost first):")
		for i := len(f.GoStack) - 1; i >= 0; i-- {
			fr := f.GoStack[i]
			fmt.Fprintf(s, "\n    %s\n        %s:%d", fr.Function, fr.File, fr.Line)
		}
		io.WriteString(s, "\n  -> guarded native call")
		io.WriteString(s, "\nnative stack (outermost first):")
		if len(f.Frames) == 0 {
			io.WriteString(s, "\n    (none recorded)")
		}
		for i := len(f.Frames) - 1; i >= 0; i-- {
			io.WriteString(s, "\n    ")
			io.WriteString(s, f.Frames[i].String())
		}
		if f.Truncated {
			io.WriteString(s, "\n    (deeper frames truncated)")
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

func (f *NativeFault) topFunction() string {
	if len(f.Frames) > 0 && f.Frames[0].Function != "" {
		return f.Frames[0].Function
	}
	if len(f.Frames) > 1 && f.Frames[1].Function != "" {
		return f.Frames[1].Function // a call through a bad pointer: name the caller
	}
	return ""
}

// fingerprintFrames is how many innermost native frames identify a site.
const fingerprintFrames = 8

// computeFingerprint hashes the fault kind and the innermost named frames.
// Only names and offsets enter the hash, so the result does not depend on
// where modules were loaded (ASLR).
func (f *NativeFault) computeFingerprint() string {
	h := sha256.New()
	if f.Exception {
		// The native stack is gone; the exception type and the Go call site
		// identify the site.
		typ, _, _ := strings.Cut(f.Message, ":")
		fmt.Fprintf(h, "c++exception|%s", typ)
		if len(f.GoStack) > 0 {
			fmt.Fprintf(h, "|%s", f.GoStack[0].Function)
		}
	} else {
		fmt.Fprintf(h, "signal|%d", int(f.Signal))
		for i, fr := range f.Frames {
			if i == fingerprintFrames {
				break
			}
			switch {
			case fr.Function != "":
				fmt.Fprintf(h, "|%s!%s+%x", filepath.Base(fr.Module), fr.Function, fr.Offset)
			case fr.Module != "":
				fmt.Fprintf(h, "|%s+%x", filepath.Base(fr.Module), fr.ModuleOffset)
			default:
				h.Write([]byte("|?")) // no module: a wild pc, not stable, not hashed
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
