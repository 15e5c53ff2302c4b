package httpguard

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

// HeaderIncidentID is the response header that carries the incident ID.
const HeaderIncidentID = "X-Incident-Id"

// maxPath bounds the request path kept in an incident.
const maxPath = 256

// Middleware returns a handler that runs next and contains, per request, Go
// panics and native faults (see the package documentation).
func Middleware(next http.Handler, opts ...Option) http.Handler {
	return &guard{next: next, cfg: newConfig(opts)}
}

// New returns Middleware with these options in the
// func(http.Handler) http.Handler shape that routers chain.
func New(opts ...Option) func(http.Handler) http.Handler {
	cfg := newConfig(opts)
	return func(next http.Handler) http.Handler { return &guard{next: next, cfg: cfg} }
}

type guard struct {
	next http.Handler
	cfg  *config
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rw := &responseWriter{ResponseWriter: w, cfg: g.cfg}
	defer func() {
		if v := recover(); v != nil {
			g.cfg.recovered(rw.ResponseWriter, r, v, rw.started, rw.hijacked)
		}
	}()
	g.next.ServeHTTP(rw, r)
}

// recovered handles the value a handler panicked with. It runs in the
// deferred call, on the panicking goroutine, so the panic's stack is still
// there to capture. w is the writer to answer on; started says the response
// was started, hijacked that the connection is the handler's.
func (c *config) recovered(w http.ResponseWriter, r *http.Request, v any, started, hijacked bool) {
	if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
		panic(http.ErrAbortHandler) // net/http aborts the connection, without a log line
	}
	if clientGone(v, r) {
		c.logClientGone(r, v)
		return
	}
	var qe *quarantine.Error
	if err, ok := v.(error); ok && errors.As(err, &qe) {
		if started && !hijacked {
			panic(http.ErrAbortHandler)
		}
		if !hijacked {
			writeQuarantined(w, r, qe)
		}
		return
	}
	inc := incident.FromPanic(v)
	c.report(r, inc)
	switch {
	case hijacked: // the connection is the handler's: nothing to answer on
	case started:
		// The status is gone; ending normally would let net/http finish a
		// truncated body as if it were complete.
		panic(http.ErrAbortHandler)
	default:
		c.respond(w, r, inc)
	}
}

// report fills in the request's context and reports the incident.
func (c *config) report(r *http.Request, inc *incident.Incident) {
	inc.Origin = incident.OriginHTTP
	inc.Method = r.Method
	inc.Path = r.URL.Path
	if len(inc.Path) > maxPath {
		inc.Path = inc.Path[:maxPath] + "…"
	}
	c.reporter.Report(r.Context(), inc)
}

// respond clears whatever headers the handler set (a Content-Length or
// Content-Encoding for a body that will not come), sets the incident ID and
// lets the responder write.
func (c *config) respond(w http.ResponseWriter, r *http.Request, inc *incident.Incident) {
	h := w.Header()
	clear(h)
	h[HeaderIncidentID] = []string{inc.ID} // HeaderIncidentID is in canonical form
	c.responder(w, r, inc)
}

func (c *config) logClientGone(r *http.Request, v any) {
	c.reporter.ResolvedLogger().LogAttrs(r.Context(), slog.LevelDebug, "client went away",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", v))
}
