package httpguard

import (
	"net/http"
	"sync"

	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
	"github.com/cgoguard/cgoguard/gobindings/taint"
)

// Responder writes the response for a contained incident. The middleware
// has already cleared the headers the handler set and set X-Incident-Id; a
// Responder must not leak internals of inc other than inc.ID into the
// response.
type Responder func(w http.ResponseWriter, r *http.Request, inc *incident.Incident)

type config struct {
	reporter    incident.Reporter
	responder   Responder
	quarantines []*quarantine.Quarantine
	policy      *taint.Policy
}

// Option configures Middleware, New, WriteError, DebugHandler and the
// framework adapters built on this package (ginguard, echoguard, zeroguard).
type Option func(*config)

// WithReporter sets where incidents go: the logger of their records, the
// fault clusters they are counted in (and DebugHandler serves), and the hook
// called with each, with the request's context (default: the zero
// incident.Reporter — slog.Default() and incident.DefaultClusters()). The
// same Reporter value configures grpcguard and safego.
func WithReporter(r incident.Reporter) Option { return func(c *config) { c.reporter = r } }

// WithResponder replaces DefaultResponder for the response to an incident.
func WithResponder(fn Responder) Option { return func(c *config) { c.responder = fn } }

// WithQuarantines makes DebugHandler list the sites of these quarantines.
func WithQuarantines(qs ...*quarantine.Quarantine) Option {
	return func(c *config) { c.quarantines = append(c.quarantines, qs...) }
}

// WithTaintPolicy makes DebugHandler show the policy's verdict (whether
// the process is draining, and why), as ReadinessHandler answers it.
func WithTaintPolicy(p *taint.Policy) Option { return func(c *config) { c.policy = p } }

func newConfig(opts []Option) *config {
	c := &config{responder: DefaultResponder}
	return c.with(opts)
}

// with applies opts to c and resolves the clusters, so that the default
// clusters count native faults from the moment a boundary is set up.
func (c *config) with(opts []Option) *config {
	for _, opt := range opts {
		opt(c)
	}
	c.reporter.Clusters = c.reporter.ResolvedClusters()
	return c
}

// derive returns a copy of c with opts applied on top.
func (c *config) derive(opts []Option) *config {
	if len(opts) == 0 {
		return c
	}
	cp := *c
	cp.quarantines = append([]*quarantine.Quarantine(nil), c.quarantines...)
	return cp.with(opts)
}

// defaultConfig serves WriteError calls outside the middleware.
var defaultConfig = sync.OnceValue(func() *config { return newConfig(nil) })
