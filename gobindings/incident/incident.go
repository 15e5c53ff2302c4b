package incident

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// Kind says what a boundary contained.
type Kind string

// The kinds of incident.
const (
	// KindPanic is a Go panic.
	KindPanic Kind = "panic"
	// KindNativeFault is a *cgoguard.NativeFault: a contained signal or C++
	// exception in a guarded native call.
	KindNativeFault Kind = "native_fault"
	// KindError is an error a handler reported explicitly
	// (httpguard.WriteError) that is neither a native fault nor a quarantine.
	KindError Kind = "error"
	// KindGoexit is a goroutine that ended by runtime.Goexit without
	// returning (t.FailNow, a helper that "stops this worker"): its work
	// was not done, though nothing panicked.
	KindGoexit Kind = "goexit"
)

// Origins: the kind of boundary that contained an incident.
const (
	OriginHTTP      = "http"      // httpguard, per request
	OriginGoroutine = "goroutine" // safego, per goroutine
	OriginGRPC      = "grpc"      // grpcguard, per call; Path is the full method name
)

// maxMessage bounds the panic or error text kept in an incident.
const maxMessage = 1024

// Incident is one contained failure, as a boundary reports it. Boundaries
// fill in the context fields (Origin, Method, Path, Goroutine) before
// reporting it; an Incident must not be modified once reported.
type Incident struct {
	// ID is NewID(Fingerprint): the fingerprint's prefix and 64 random bits;
	// it is the one value about the incident that may be shown to a client.
	ID   string
	Kind Kind
	Time time.Time

	// Origin is the kind of boundary (OriginHTTP, OriginGoroutine).
	Origin string
	// Method and Path describe the HTTP request, for OriginHTTP (the path
	// without its query string, which may carry secrets). For OriginGRPC,
	// Path is the full method name ("/pkg.Service/Method").
	Method, Path string
	// Goroutine names the safego goroutine or group, when it was given a name.
	Goroutine string

	// Fault is the native fault, for KindNativeFault.
	Fault *cgoguard.NativeFault
	// Value is the panic value (KindPanic) or the error (KindError); for a
	// native fault, the value the handler panicked with or returned.
	Value any
	// Stack is the Go stack where the panic or error happened, innermost
	// first, for KindPanic and KindError. A native fault's Go stack is
	// Fault.GoStack. Incidents of the same stack share its frames (they are
	// resolved once per stack): read them, never modify them.
	Stack []cgoguard.Frame
	// Fingerprint names the failure site stably across runs: the fault's own
	// for native faults, a hash of the panic site's functions and the
	// value's type for panics and errors.
	Fingerprint string
}

// GoStack returns the incident's Go frames, innermost first, as its log
// record lists them: Stack, or for a native fault Fault.GoStack without the
// goroutine's entry stub (runtime.goexit), so that every stack ends at real
// code. The frames are shared: read them, never modify them.
func (inc *Incident) GoStack() []cgoguard.Frame {
	if inc.Fault != nil {
		return goFrames(inc.Fault.GoStack)
	}
	return inc.Stack
}

// FromPanic builds the incident for the value v that recover returned. Call
// it from the deferred function that recovered, on the panicking goroutine:
// the Go stack is captured from there (the panicking frames are still on
// it). A v that is or wraps a *cgoguard.NativeFault gives a KindNativeFault
// incident.
func FromPanic(v any) *Incident {
	inc := &Incident{Time: time.Now(), Value: v}
	if err, ok := v.(error); !ok || !inc.setFault(err) {
		inc.Kind = KindPanic
		inc.Stack = panicStack()
		inc.Fingerprint = fingerprint(string(KindPanic), typeName(v), inc.Stack)
	}
	inc.ID = NewID(inc.Fingerprint)
	return inc
}

// FromGoexit builds the incident of a goroutine that is ending by
// runtime.Goexit. Call it from a deferred function of that goroutine, where
// recover returned nil although the function did not return: the stack is
// captured from there, starting at the function that called Goexit.
func FromGoexit() *Incident {
	inc := &Incident{Time: time.Now(), Kind: KindGoexit}
	inc.Stack = goexitStack()
	inc.Fingerprint = fingerprint(string(KindGoexit), "", inc.Stack)
	inc.ID = NewID(inc.Fingerprint)
	return inc
}

// FromError builds the incident for an error that code reports explicitly.
// skip is the number of callers above FromError's caller to leave out of
// the stack (0: the stack starts at the function that called FromError).
// A *cgoguard.NativeFault (or an error wrapping one) gives a KindNativeFault
// incident; anything else KindError.
func FromError(err error, skip int) *Incident {
	inc := &Incident{Time: time.Now(), Value: err}
	if !inc.setFault(err) {
		inc.Kind = KindError
		inc.Stack = callerStack(skip)
		inc.Fingerprint = fingerprint(string(KindError), typeName(err), inc.Stack)
	}
	inc.ID = NewID(inc.Fingerprint)
	return inc
}

func (inc *Incident) setFault(err error) bool {
	var nf *cgoguard.NativeFault
	if !errors.As(err, &nf) {
		return false
	}
	// Never symbolized here: this runs on the faulting goroutine, and the
	// first symbolization of a large program takes up to a second. A fault
	// from before the symbolizer was ready (or with Symbolize(false)) is
	// logged with raw frames and keyed by address (FaultKey).
	inc.Kind = KindNativeFault
	inc.Fault = nf
	inc.Fingerprint = FaultKey(nf)
	return true
}

// Signal names the incident's signal: "SIGSEGV", "SIGBUS", ... for a
// native fault, "cxx_exception" for a C++ exception, "" otherwise.
func (inc *Incident) Signal() string {
	if inc.Fault == nil {
		return ""
	}
	return FaultSignal(inc.Fault)
}

// Message is a one-line description for operators: the fault's Error(), the
// panic value or the error text (cut at 1 KiB). It may contain internals
// (addresses, function names): never send it to a client.
func (inc *Incident) Message() string {
	switch {
	case inc.Kind == KindGoexit:
		return "goroutine ended by runtime.Goexit without returning"
	case inc.Fault != nil:
		return inc.Fault.Error()
	case inc.Value == nil:
		return ""
	default:
		return truncate(fmt.Sprint(inc.Value), maxMessage)
	}
}

// FaultSignal names a native fault's signal as Incident.Signal does:
// "SIGSEGV", ..., or "cxx_exception".
func FaultSignal(nf *cgoguard.NativeFault) string {
	if nf.Exception {
		return "cxx_exception"
	}
	return cgoguard.SignalName(nf.Signal)
}

// typeName is fmt's %T of v, without fmt.
func typeName(v any) string {
	if v == nil {
		return "<nil>"
	}
	return reflect.TypeOf(v).String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
