package httpguard

import (
	"net/http"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// Boundary is what Middleware does with a failed request, for adapters of
// frameworks whose handlers write through the framework's own response
// writer (gin's c.Writer, echo's c.Response()), which Middleware's writer
// cannot see: the adapter tells the boundary whether the response was
// started. ginguard and echoguard are built on it; applications use
// Middleware or those adapters.
type Boundary struct{ cfg *config }

// NewBoundary returns a Boundary with Middleware's options.
func NewBoundary(opts ...Option) *Boundary { return &Boundary{cfg: newConfig(opts)} }

// Recovered answers the request r whose handler panicked with v, as
// Middleware does: an incident reported and a 500 with its ID written to w,
// a 503 with Retry-After for a quarantined call, nothing but a debug record
// for a client that went away. started says whether the response was
// already started (its header sent or part of its body written): then
// nothing is written.
//
// It returns abort = true when the connection must be aborted rather than
// the response finished: v was http.ErrAbortHandler, or the response was
// started and a truncated body must not look complete. The adapter then
// panics with http.ErrAbortHandler (after any step of its own to cut the
// connection), as Middleware does.
//
// Call it from the deferred function that recovered, on the panicking
// goroutine: the panic's stack is captured there.
func (b *Boundary) Recovered(w http.ResponseWriter, r *http.Request, v any, started bool) (abort bool) {
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler { //nolint:errorlint // the sentinel itself, raised below
				panic(p)
			}
			abort = true
		}
	}()
	b.cfg.recovered(w, r, v, started, false)
	return false
}

// WriteError answers the request r whose handler failed with err, as
// WriteError does; started says whether the response was already started
// (then the incident is reported and nothing written).
func (b *Boundary) WriteError(w http.ResponseWriter, r *http.Request, err error, started bool) {
	if err == nil {
		return
	}
	b.cfg.writeError(w, r, err, started, 1)
}

// Contains reports whether err is one a boundary answers itself rather
// than the application's error handling.
//
// Deprecated: use cgoguard.IsContained, the one predicate every boundary
// uses.
func Contains(err error) bool { return cgoguard.IsContained(err) }
