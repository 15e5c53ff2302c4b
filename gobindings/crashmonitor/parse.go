package crashmonitor

import (
	"regexp"
	"strconv"
	"strings"
	"syscall"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// report is what the monitor reads out of a Go crash report.
type report struct {
	kind    string // Kind*
	message string // the report's first line: "panic: boom", "fatal error: ...", "SIGSEGV: segmentation violation"
	signal  syscall.Signal
	code    int
	addr    uint64
	pc      uint64
	// native holds the pcs of the cgo traceback (WithCgoTraceback) of the
	// crashing goroutine, innermost first, as the runtime printed them
	// (callers' pcs are call sites, return address - 1), with the names
	// the program's symbolizer gave, if any.
	native      []uint64
	nativeNames []string
	goFrames    []cgoguard.Frame // the crashing goroutine's Go frames, innermost first
}

var (
	signalLine    = regexp.MustCompile(`^(SIG[A-Z0-9]+): (.*)$`)
	pcLine        = regexp.MustCompile(`^PC=(0x[0-9a-f]+) m=\S+ sigcode=(-?\d+)(?: addr=(0x[0-9a-f]+))?`)
	goroutineLine = regexp.MustCompile(`^goroutine \d+ .*\[.*\]:$`)
	// A native frame's second line: "\tpc=0x..." or "\tfile:line pc=0x...".
	nativeFileLine = regexp.MustCompile(`^\t(?:(\S+):(\d+) )?pc=(0x[0-9a-f]+)$`)
	goFileLine     = regexp.MustCompile(`^\t(.+):(\d+)(?: |$)`)
)

// parseReport reads a Go crash report (what the runtime writes to
// SetCrashOutput's file: the same text as on stderr).
func parseReport(text string) *report {
	r := &report{}
	lines := strings.Split(text, "\n")
	i := 0
	for ; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "panic: "):
			r.kind, r.message = KindUnrecoveredPanic, l
		case strings.HasPrefix(l, "fatal error: "):
			r.kind, r.message = KindFatalError, l
		case signalLine.MatchString(l):
			m := signalLine.FindStringSubmatch(l)
			r.kind, r.message = KindSignal, l
			r.signal = signalNumber(m[1])
		default:
			continue
		}
		break
	}
	if r.kind == "" {
		// A fatal error: the runtime prints its "fatal error: ..." line
		// before it starts copying to the crash output (runtime.throw and
		// runtime.fatal print, then start dying), so the text is only on
		// stderr. The function that threw names it.
		r.kind = KindFatalError
		i = 0
	}
	inCgo := false
	for ; i < len(lines) && !goroutineLine.MatchString(lines[i]); i++ {
		if m := pcLine.FindStringSubmatch(lines[i]); m != nil && r.kind == KindSignal {
			r.pc, _ = strconv.ParseUint(m[1][2:], 16, 64)
			// Printed unsigned: SI_TKILL (-6, an abort()) is 18446744073709551610.
			if c, err := strconv.ParseUint(m[2], 10, 64); err == nil {
				r.code = int(int64(c))
			} else {
				r.code, _ = strconv.Atoi(m[2])
			}
			if m[3] != "" {
				r.addr, _ = strconv.ParseUint(m[3][2:], 16, 64)
			}
		}
		if lines[i] == "signal arrived during cgo execution" {
			inCgo = true
		}
	}
	if r.kind == KindSignal && inCgo {
		r.kind = KindNativeCrash
		if r.signal == syscall.SIGABRT {
			r.kind = KindAbort
		}
	}
	// The first goroutine printed is the one that crashed.
	sawGo := false
	for i++; i+1 < len(lines) && lines[i] != ""; i++ {
		fn, next := lines[i], lines[i+1]
		if strings.HasPrefix(fn, "created by ") {
			break
		}
		if strings.HasPrefix(fn, "\t") || strings.HasPrefix(fn, "...") {
			continue
		}
		if m := nativeFileLine.FindStringSubmatch(next); m != nil && !sawGo {
			pc, _ := strconv.ParseUint(m[3][2:], 16, 64)
			name := fn
			if name == "non-Go function" {
				name = ""
			}
			r.native = append(r.native, pc)
			r.nativeNames = append(r.nativeNames, name)
			i++
			continue
		}
		m := goFileLine.FindStringSubmatch(next)
		if m == nil {
			continue
		}
		sawGo = true
		line, _ := strconv.Atoi(m[2])
		r.goFrames = append(r.goFrames, cgoguard.Frame{Function: funcName(fn), File: m[1], Line: line})
		i++
	}
	if r.kind == KindFatalError && r.message == "" {
		r.message = "fatal error"
		if len(r.goFrames) > 0 {
			r.message += " in " + r.goFrames[0].Function
		}
	}
	return r
}

// funcName cuts the argument list off a traceback's function line:
// "main.(*T).f(0x1, ...)" -> "main.(*T).f".
func funcName(l string) string {
	if strings.HasSuffix(l, ")") {
		if i := strings.LastIndex(l, "("); i > 0 {
			return l[:i]
		}
	}
	return l
}

// signalNumber maps the runtime's signal name to its number (0 if unknown).
func signalNumber(name string) syscall.Signal {
	for sig := syscall.Signal(1); sig < 65; sig++ {
		if cgoguard.SignalName(sig) == name {
			return sig
		}
	}
	return 0
}

// siteFrames drops the frames of the Go stack that come before the code
// that failed: for a panic, everything up to the runtime's panic function
// and the runtime's helpers after it (as a recovered panic's stack is cut);
// for a fatal error or a crash in a cgo call, the runtime's and internal
// runtime packages' frames and cgo's call wrappers. The goroutine's entry
// stub (runtime.goexit) is dropped too.
func siteFrames(kind string, frames []cgoguard.Frame) []cgoguard.Frame {
	if n := len(frames); n > 0 && frames[n-1].Function == "runtime.goexit" {
		frames = frames[:n-1]
	}
	if kind == KindUnrecoveredPanic {
		for i, fr := range frames {
			if fr.Function == "panic" || fr.Function == "runtime.gopanic" {
				frames = frames[i+1:]
				break
			}
		}
	}
	for len(frames) > 0 {
		f := frames[0].Function
		if strings.HasPrefix(f, "runtime.") || strings.HasPrefix(f, "internal/runtime/") ||
			strings.Contains(f, "._Cfunc_") || strings.Contains(f, "._C2func_") {
			frames = frames[1:]
			continue
		}
		break
	}
	if len(frames) > maxStack {
		frames = frames[:maxStack]
	}
	return frames
}

const maxStack = 64

// panicType guesses the type of an unrecovered panic's value from the
// runtime's report, for the fingerprint (the report has the value's text,
// not its type): a value printed as "(T) v" or "T(v)" has type T; the
// runtime's own errors have the types the runtime panics with
// (runtime.boundsError for an index out of range, *runtime.TypeAssertionError,
// runtime.plainError for a write to a nil map, runtime.errorString for the
// other runtime errors); anything else is taken for a string (an error
// prints as its text and cannot be told from one).
func panicType(message string) string {
	v := strings.TrimPrefix(message, "panic: ")
	if i := strings.LastIndex(v, " [recovered"); i >= 0 {
		v = v[:i]
	}
	switch {
	case strings.HasPrefix(v, "("):
		if end := strings.Index(v, ")"); end > 0 {
			return v[1:end]
		}
	case strings.HasPrefix(v, "runtime error: index out of range"),
		strings.HasPrefix(v, "runtime error: slice bounds out of range"):
		return "runtime.boundsError"
	case strings.HasPrefix(v, "runtime error: "):
		return "runtime.errorString"
	case strings.HasPrefix(v, "interface conversion: "):
		return "*runtime.TypeAssertionError"
	case plainErrors[v]:
		return "runtime.plainError"
	}
	if m := namedValue.FindStringSubmatch(v); m != nil {
		return m[1]
	}
	return "string"
}

// plainErrors are the runtime's panics of type runtime.plainError (printed
// without "runtime error: ").
var plainErrors = map[string]bool{
	"assignment to entry in nil map": true,
	"close of closed channel":        true,
	"close of nil channel":           true,
	"send on closed channel":         true,
}

// namedValue is how the runtime prints a value of a named basic type:
// main.S("x"), pkg.Code(3).
var namedValue = regexp.MustCompile(`^((?:[\w.-]+/)*[\w-]+\.[A-Za-z_]\w*)\(.*\)$`)
