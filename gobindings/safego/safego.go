package safego

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// Go runs fn in a new goroutine. A panic in it — a Go panic, or a panic
// with the *cgoguard.NativeFault a guarded call returned — is recovered and
// reported as an incident instead of ending the process.
// The reporter's hook gets context.Background(); GoContext passes a context
// of the caller's (a request's span, for one).
func Go(fn func(), opts ...Option) {
	GoContext(context.Background(), func(context.Context) { fn() }, opts...)
}

// GoContext runs fn(ctx) in a new goroutine, as Go does, and reports an
// incident with ctx: the reporter's hook gets ctx, so that a tracing span or
// request values in it reach the report.
func GoContext(ctx context.Context, fn func(ctx context.Context), opts ...Option) {
	cfg := newConfig(opts)
	go func() {
		returned := false
		defer func() {
			if v := recover(); v != nil {
				cfg.recovered(ctx, v)
			} else if !returned {
				cfg.goexited(ctx) // runtime.Goexit: fn never returned
			}
		}()
		fn(ctx)
		returned = true
	}()
}

// ErrGoexit matches (errors.Is) a *GoexitError.
var ErrGoexit = errors.New("safego: goroutine ended by runtime.Goexit")

// GoexitError is the error of a Group member that ended by runtime.Goexit
// without returning (t.FailNow, or a helper that "stops this worker"): its
// part of the work was not done, though nothing panicked. It is reported as
// an incident of kind incident.KindGoexit.
type GoexitError struct {
	// IncidentID is the ID of the incident it was reported as.
	IncidentID string
}

// Error returns "safego: goroutine ended by runtime.Goexit without
// returning [incident <id>]".
func (e *GoexitError) Error() string {
	return "safego: goroutine ended by runtime.Goexit without returning [incident " + e.IncidentID + "]"
}

// Is reports whether target is ErrGoexit.
func (e *GoexitError) Is(target error) bool { return target == ErrGoexit }

// PanicError is the error a Group member's Go panic becomes.
type PanicError struct {
	// Value is what the member panicked with.
	Value any
	// Stack is the panicking goroutine's stack, as runtime/debug.Stack
	// formats it.
	Stack []byte
	// IncidentID is the ID of the incident the panic was reported as.
	IncidentID string
}

// Error returns "safego: panic: <value> [incident <id>]".
func (e *PanicError) Error() string {
	return fmt.Sprintf("safego: panic: %v [incident %s]", e.Value, e.IncidentID)
}

// Unwrap returns Value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// panicError turns a recovered value into the member's error: the native
// fault itself, or a *PanicError. It must run in the deferred call that
// recovered.
func panicError(v any, inc *incident.Incident) error {
	if inc.Fault != nil {
		return inc.Fault
	}
	return &PanicError{Value: v, Stack: debug.Stack(), IncidentID: inc.ID}
}
