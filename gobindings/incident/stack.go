package incident

import (
	"fmt"
	"runtime"
	"slices"
	"strings"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/internal/stackcache"
)

// maxStack bounds the Go frames kept per incident.
const maxStack = 64

// panicStack returns the stack of the panicking goroutine from the frame
// that panicked outward. It must run inside the deferred call that
// recovered: there, the stack reads (innermost first) recover's caller and
// its helpers, runtime.gopanic, the runtime's own panic helpers
// (runtime.sigpanic, runtime.panicIndex, ...), and then the code that
// panicked. Everything up to that code is dropped.
func panicStack() []cgoguard.Frame {
	var pcs [maxStack + 16]uintptr
	n := runtime.Callers(2, pcs[:])
	return panicStacks.Resolve(pcs[:n], func(pcs []uintptr) []cgoguard.Frame {
		all := frames(pcs)
		for i, fr := range all {
			if fr.Function != "runtime.gopanic" {
				continue
			}
			rest := all[i+1:]
			for len(rest) > 0 && strings.HasPrefix(rest[0].Function, "runtime.") {
				rest = rest[1:]
			}
			return slices.Clip(capFrames(rest))
		}
		return slices.Clip(capFrames(all)) // not called while panicking: the caller's stack
	})
}

// goexitStack returns the stack of a goroutine running its deferred calls
// for runtime.Goexit, from the function that called Goexit outward. Read
// innermost first, the stack holds the deferred call and its helpers, then
// runtime.Goexit, then that function.
func goexitStack() []cgoguard.Frame {
	var pcs [maxStack + 16]uintptr
	n := runtime.Callers(2, pcs[:])
	all := frames(pcs[:n])
	for i, fr := range all {
		if fr.Function == "runtime.Goexit" {
			return capFrames(all[i+1:])
		}
	}
	return capFrames(all)
}

// callerStack returns the stack from the caller of callerStack's caller,
// skipping skip more frames.
func callerStack(skip int) []cgoguard.Frame {
	var pcs [maxStack]uintptr
	n := runtime.Callers(skip+3, pcs[:])
	return callerStacks.Resolve(pcs[:n], func(pcs []uintptr) []cgoguard.Frame { return slices.Clip(frames(pcs)) })
}

// panicStacks and callerStacks resolve each distinct stack once: a storm
// repeats the same few, and resolving PCs into functions, files and lines
// costs several times more than capturing them. The frames are shared by
// every incident of that stack, which is why Incident.Stack must not be
// modified.
var panicStacks, callerStacks stackcache.Cache[[]cgoguard.Frame]

// frames resolves pcs, without the goroutine's entry in the runtime
// (runtime.goexit, and runtime.main for the main goroutine): the runtime's
// crash report does not print it, and a stack must hash the same whether
// it was captured here or parsed from that report by the crash monitor.
func frames(pcs []uintptr) []cgoguard.Frame {
	out := make([]cgoguard.Frame, 0, len(pcs))
	it := runtime.CallersFrames(pcs)
	for {
		fr, more := it.Next()
		if fr.Function != "runtime.goexit" && fr.Function != "runtime.main" {
			out = append(out, cgoguard.Frame{PC: fr.PC, Function: fr.Function, File: fr.File, Line: fr.Line})
		}
		if !more {
			return out
		}
	}
}

func capFrames(fs []cgoguard.Frame) []cgoguard.Frame {
	if len(fs) > maxStack {
		fs = fs[:maxStack]
	}
	return fs
}

// PanicFingerprint is the fingerprint of a Go panic whose value has type
// typ (as reflect names it: "string", "*errors.errorString",
// "runtime.boundsError") and whose stack, from the function that panicked
// outwards, is stack: FromPanic's, and the crash monitor's
// (gobindings/crashmonitor) of the same panic when no recover stopped it.
func PanicFingerprint(typ string, stack []cgoguard.Frame) string {
	return fingerprint(string(KindPanic), typ, stack)
}

// fingerprint of a Go panic or error: its kind, its value's type and the
// function names of its stack (cgoguard.Fingerprint: no addresses, no line
// numbers, so stable across runs and builds of the same code).
func fingerprint(kind, typ string, stack []cgoguard.Frame) string {
	return cgoguard.Fingerprint(kind+"|"+typ, stack)
}

// goFrames drops the goroutine's entry stub (runtime.goexit), which the
// native fault's Go stack keeps, so that every stack ends at real code.
func goFrames(stack []cgoguard.Frame) []cgoguard.Frame {
	if n := len(stack); n > 0 && stack[n-1].Function == "runtime.goexit" {
		return stack[:n-1]
	}
	return stack
}

// goFrameString renders a Go frame as "function (file:line)".
func goFrameString(fr cgoguard.Frame) string {
	return fmt.Sprintf("%s (%s:%d)", fr.Function, fr.File, fr.Line)
}
