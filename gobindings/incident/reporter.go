package incident

import (
	"context"
	"fmt"
	"log/slog"
)

// Reporter sends an incident to its sinks: the fault clusters, one log
// record and an optional callback. The zero value reports to slog.Default()
// and DefaultClusters().
type Reporter struct {
	// Logger receives one record per incident, at level Error. Nil means
	// slog.Default() (as it is when the incident is reported).
	Logger *slog.Logger
	// Clusters aggregates incidents by fingerprint. Nil means
	// DefaultClusters().
	Clusters *Clusters
	// OnIncident, when set, is called with every incident after it was
	// logged, on the goroutine that contained it. A panic in it is recovered
	// and logged.
	OnIncident func(*Incident)
}

// Report records inc in the clusters, logs it and calls the callback.
func (r Reporter) Report(ctx context.Context, inc *Incident) {
	r.clusters().Record(inc)
	logger := r.logger()
	logger.LogAttrs(ctx, slog.LevelError, inc.LogMessage(), inc.LogAttrs()...)
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
	r.OnIncident(inc)
}

func (r Reporter) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

func (r Reporter) clusters() *Clusters {
	if r.Clusters != nil {
		return r.Clusters
	}
	return DefaultClusters()
}

// ResolvedClusters returns the clusters the reporter records into, resolving
// nil to DefaultClusters(). Boundaries call it when they are set up, so that
// the default clusters count native faults from then on.
func (r Reporter) ResolvedClusters() *Clusters { return r.clusters() }
