package incident

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"strings"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// maxStack bounds the Go frames kept per incident.
const maxStack = 64

// fingerprintFrames is how many innermost frames identify a panic site (as
// for native faults).
const fingerprintFrames = 8

// panicStack returns the stack of the panicking goroutine from the frame
// that panicked outward. It must run inside the deferred call that
// recovered: there, the stack reads (innermost first) recover's caller and
// its helpers, runtime.gopanic, the runtime's own panic helpers
// (runtime.sigpanic, runtime.panicIndex, ...), and then the code that
// panicked. Everything up to that code is dropped.
func panicStack() []cgoguard.Frame {
	var pcs [maxStack + 16]uintptr
	n := runtime.Callers(2, pcs[:])
	all := frames(pcs[:n])
	for i, fr := range all {
		if fr.Function != "runtime.gopanic" {
			continue
		}
		rest := all[i+1:]
		for len(rest) > 0 && strings.HasPrefix(rest[0].Function, "runtime.") {
			rest = rest[1:]
		}
		return capFrames(rest)
	}
	return capFrames(all) // not called while panicking: the caller's stack
}

// callerStack returns the stack from the caller of callerStack's caller,
// skipping skip more frames.
func callerStack(skip int) []cgoguard.Frame {
	var pcs [maxStack]uintptr
	n := runtime.Callers(skip+3, pcs[:])
	return frames(pcs[:n])
}

func frames(pcs []uintptr) []cgoguard.Frame {
	out := make([]cgoguard.Frame, 0, len(pcs))
	it := runtime.CallersFrames(pcs)
	for {
		fr, more := it.Next()
		if fr.Function != "runtime.goexit" {
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

// fingerprint hashes a kind, a type name and the innermost function names
// of a Go stack: stable across runs and builds of the same code (no
// addresses, no line numbers), and distinct per panic site and value type.
func fingerprint(kind, typ string, stack []cgoguard.Frame) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s", kind, typ)
	for i, fr := range stack {
		if i == fingerprintFrames {
			break
		}
		fmt.Fprintf(h, "|%s", fr.Function)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
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
