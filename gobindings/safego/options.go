package safego

import (
	"context"
	"log/slog"

	"github.com/cgoguard/cgoguard/gobindings/incident"
)

type config struct {
	reporter incident.Reporter
	name     string
}

// Option configures Go and NewGroup.
type Option func(*config)

// Name names the goroutine or group in incident records ("goroutine").
func Name(name string) Option { return func(c *config) { c.name = name } }

// WithLogger sets the logger of the incident records (default:
// slog.Default(), as it is when the incident happens).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.reporter.Logger = l } }

// WithClusters sets the fault clusters incidents are recorded in (default:
// incident.DefaultClusters()).
func WithClusters(cl *incident.Clusters) Option {
	return func(c *config) { c.reporter.Clusters = cl }
}

// OnIncident sets a callback run for every incident, after it was logged, on
// the goroutine that panicked.
func OnIncident(fn func(*incident.Incident)) Option {
	return func(c *config) { c.reporter.OnIncident = fn }
}

func newConfig(opts []Option) *config {
	c := &config{}
	for _, opt := range opts {
		opt(c)
	}
	c.reporter.Clusters = c.reporter.ResolvedClusters() // start counting now
	return c
}

// recovered reports the value a goroutine panicked with and returns its
// incident. It must run in the deferred call that recovered.
func (c *config) recovered(v any) *incident.Incident {
	inc := incident.FromPanic(v)
	inc.Origin = incident.OriginGoroutine
	inc.Goroutine = c.name
	c.reporter.Report(context.Background(), inc)
	return inc
}
