package incident

import (
	"context"
	"fmt"
	"log/slog"
)

// Hook is a callback run with every incident a Reporter reports, with the
// context of the request or goroutine that contained it: the place to reach
// a tracing span (otelguard.Record is a Hook), an error tracker's hub, or
// request-scoped values.
type Hook func(ctx context.Context, inc *Incident)

// Reporter sends an incident to its sinks: the fault clusters, one log
// record (within the log budget) and an optional hook. Every boundary
// (httpguard and the framework adapters built on it, grpcguard, safego)
// takes a Reporter through its WithReporter option, so one value configures
// them all. The zero value reports to slog.Default(), DefaultClusters() and
// DefaultLogBudget().
type Reporter struct {
	// Logger receives one record per incident, at level Error, as long as
	// LogBudget admits it. Nil means slog.Default() (as it is when the
	// incident is reported).
	Logger *slog.Logger
	// LogBudget bounds the full records per fingerprint; the incidents
	// beyond it are counted in one summary record per fingerprint and
	// window. Nil means DefaultLogBudget(): DefaultLogRecords per
	// DefaultLogWindow. NewLogBudget(UnlimitedLogRecords, 0) logs every
	// incident.
	LogBudget *LogBudget
	// Clusters aggregates incidents by fingerprint. Nil means
	// DefaultClusters().
	Clusters *Clusters
	// OnIncident, when set, is called with every incident after it was
	// logged, on the goroutine that contained it (keep it quick), with the
	// request's or goroutine's context. A panic in it is recovered and
	// logged. Hooks combines several.
	OnIncident Hook
}

// Report records inc in the clusters, logs it (unless the log budget of its
// fingerprint is spent) and calls the hook. ctx is the context of the
// request or goroutine that contained inc; it is passed to the logger and
// the hook.
func (r Reporter) Report(ctx context.Context, inc *Incident) {
	r.clusters().Record(inc)
	logger := r.logger()
	if r.logBudget().admit(inc, logger) {
		logger.LogAttrs(ctx, slog.LevelError, inc.LogMessage(), inc.LogAttrs()...)
	}
	if r.OnIncident != nil {
		r.callHook(ctx, logger, inc)
	}
}

func (r Reporter) callHook(ctx context.Context, logger *slog.Logger, inc *Incident) {
	defer func() {
		if v := recover(); v != nil {
			logger.LogAttrs(ctx, slog.LevelError, "incident callback panicked",
				slog.String("incident_id", inc.ID), slog.String("panic", fmt.Sprint(v)))
		}
	}()
	r.OnIncident(ctx, inc)
}

// Hooks returns a Hook that calls each of hooks in order (nil ones are
// skipped). A hook that panics does not keep the later ones from running:
// the first panic is raised again once all have run, for the Reporter to
// log.
func Hooks(hooks ...Hook) Hook {
	return func(ctx context.Context, inc *Incident) {
		var first any
		for _, h := range hooks {
			if h == nil {
				continue
			}
			func() {
				defer func() {
					if v := recover(); v != nil && first == nil {
						first = v
					}
				}()
				h(ctx, inc)
			}()
		}
		if first != nil {
			panic(first)
		}
	}
}

func (r Reporter) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

func (r Reporter) logBudget() *LogBudget {
	if r.LogBudget != nil {
		return r.LogBudget
	}
	return DefaultLogBudget()
}

func (r Reporter) clusters() *Clusters {
	if r.Clusters != nil {
		return r.Clusters
	}
	return DefaultClusters()
}

// ResolvedLogger returns the logger the reporter logs to, resolving nil to
// slog.Default() as it is now.
func (r Reporter) ResolvedLogger() *slog.Logger { return r.logger() }

// ResolvedClusters returns the clusters the reporter records into, resolving
// nil to DefaultClusters(). Boundaries call it when they are set up, so that
// the default clusters count native faults from then on.
func (r Reporter) ResolvedClusters() *Clusters { return r.clusters() }
