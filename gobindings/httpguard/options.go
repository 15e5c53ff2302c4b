package httpguard

import (
	"log/slog"
	"net/http"
	"sync"

	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
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
}

// Option configures Middleware, New and DebugHandler.
type Option func(*config)

// WithLogger sets the logger of the incident records (default:
// slog.Default(), as it is when the incident happens).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.reporter.Logger = l } }

// WithClusters sets the fault clusters incidents are recorded in and
// DebugHandler serves (default: incident.DefaultClusters()).
func WithClusters(cl *incident.Clusters) Option {
	return func(c *config) { c.reporter.Clusters = cl }
}

// OnIncident sets a callback run for every incident, after it was logged,
// on the request's goroutine (keep it quick).
func OnIncident(fn func(*incident.Incident)) Option {
	return func(c *config) { c.reporter.OnIncident = fn }
}

// WithResponder replaces DefaultResponder for the response to an incident.
func WithResponder(fn Responder) Option { return func(c *config) { c.responder = fn } }

// WithQuarantines makes DebugHandler list the sites of these quarantines.
func WithQuarantines(qs ...*quarantine.Quarantine) Option {
	return func(c *config) { c.quarantines = append(c.quarantines, qs...) }
}

func newConfig(opts []Option) *config {
	c := &config{responder: DefaultResponder}
	for _, opt := range opts {
		opt(c)
	}
	c.reporter.Clusters = c.reporter.ResolvedClusters() // start counting now
	return c
}

// defaultConfig serves WriteError calls outside the middleware.
var defaultConfig = sync.OnceValue(func() *config { return newConfig(nil) })
