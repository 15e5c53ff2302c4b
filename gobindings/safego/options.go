package safego

import (
	"context"

	"github.com/cgoguard/cgoguard/gobindings/incident"
)

type config struct {
	reporter incident.Reporter
	name     string
}

// Option configures Go, GoContext and NewGroup.
type Option func(*config)

// Name names the goroutine or group in incident records ("goroutine").
func Name(name string) Option { return func(c *config) { c.name = name } }

// WithReporter sets where incidents go: the logger of their records, the
// fault clusters they are counted in, and the hook called with each, with
// the goroutine's context (default: the zero incident.Reporter —
// slog.Default() and incident.DefaultClusters()). It is the same Reporter
// that httpguard.WithReporter and grpcguard.WithReporter take.
func WithReporter(r incident.Reporter) Option { return func(c *config) { c.reporter = r } }

func newConfig(opts []Option) *config {
	c := &config{}
	for _, opt := range opts {
		opt(c)
	}
	c.reporter.Clusters = c.reporter.ResolvedClusters() // start counting now
	return c
}

// recovered reports the value a goroutine panicked with and returns its
// incident. It must run in the deferred call that recovered; ctx is the
// goroutine's context, passed to the reporter's hook.
func (c *config) recovered(ctx context.Context, v any) *incident.Incident {
	inc := incident.FromPanic(v)
	c.report(ctx, inc)
	return inc
}

// goexited reports a goroutine that is ending by runtime.Goexit and
// returns its incident. It must run in a deferred call of that goroutine.
func (c *config) goexited(ctx context.Context) *incident.Incident {
	inc := incident.FromGoexit()
	c.report(ctx, inc)
	return inc
}

func (c *config) report(ctx context.Context, inc *incident.Incident) {
	inc.Origin = incident.OriginGoroutine
	inc.Goroutine = c.name
	c.reporter.Report(ctx, inc)
}
