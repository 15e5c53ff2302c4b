// Package metrics gathers cgoguard's counters in one snapshot — contained
// faults by signal and by fingerprint cluster, recovered panics, quarantined
// calls, the tainted state — and mirrors them in expvar. The promguard
// module (gobindings/promguard, a module of its own so that this one keeps
// no dependency) exposes the same snapshot to Prometheus.
package metrics

import (
	"expvar"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

// Sources names what a snapshot reads besides cgoguard.Stats.
type Sources struct {
	// Clusters is the aggregator to read; nil means incident.DefaultClusters().
	Clusters *incident.Clusters
	// Quarantines lists the quarantines whose sites to report.
	Quarantines []*quarantine.Quarantine
	// LogBudgets lists the incident log budgets whose suppressed records to
	// count; nil means incident.DefaultLogBudget(), the one every Reporter
	// without its own uses.
	LogBudgets []*incident.LogBudget
}

// Snapshot is every counter at one moment. Counters never decrease, except
// that a cluster evicted from Clusters (see incident.MaxClusters) disappears.
type Snapshot struct {
	// Contained counts native faults contained in the process since start,
	// by signal name ("SIGSEGV", ..., "cxx_exception"), from cgoguard.Stats.
	Contained      map[string]uint64 `json:"contained"`
	ContainedTotal uint64            `json:"contained_total"`
	// ChainedTotal counts signals cgoguard passed on to the Go runtime.
	ChainedTotal uint64 `json:"chained_total"`
	// Panics counts Go panics recovered by httpguard and safego; Errors the
	// errors reported with httpguard.WriteError.
	Panics uint64 `json:"panics"`
	Errors uint64 `json:"errors"`
	// Clusters counts incidents per fingerprint cluster.
	Clusters        []ClusterCount `json:"clusters"`
	ClustersEvicted uint64         `json:"clusters_evicted"`
	// Quarantine has the counts of every quarantined call site;
	// QuarantineRejected sums their refused calls.
	Quarantine         []quarantine.SiteStats `json:"quarantine"`
	QuarantineRejected uint64                 `json:"quarantine_rejected"`
	// IncidentRecordsSuppressed counts the incidents the log budgets kept out
	// of the log (each is counted in a summary record instead): in a crash
	// storm, how much the log did not show.
	IncidentRecordsSuppressed uint64 `json:"incident_records_suppressed"`
	// Tainted is true once any signal was contained (cgoguard.Tainted).
	Tainted bool `json:"tainted"`
	// HandlersIntact is false when another library replaced cgoguard's
	// signal handlers.
	HandlersIntact bool `json:"handlers_intact"`
}

// ClusterCount is one cluster's count.
type ClusterCount struct {
	Fingerprint string        `json:"fingerprint"`
	Kind        incident.Kind `json:"kind"`
	Signal      string        `json:"signal,omitempty"`
	Count       uint64        `json:"count"`
}

// Collect takes a snapshot.
func Collect(src Sources) Snapshot {
	stats := cgoguard.Stats()
	cl := src.Clusters
	if cl == nil {
		cl = incident.DefaultClusters()
	}
	clusters := cl.Snapshot()
	s := Snapshot{
		Contained:       make(map[string]uint64, len(stats.Contained)+1),
		ContainedTotal:  stats.ContainedTotal,
		ChainedTotal:    stats.ChainedTotal,
		Panics:          clusters.Totals.Panics,
		Errors:          clusters.Totals.Errors,
		ClustersEvicted: clusters.Totals.Evicted,
		Clusters:        make([]ClusterCount, 0, len(clusters.Clusters)),
		Tainted:         stats.Tainted,
		HandlersIntact:  stats.HandlersIntact,
	}
	for sig, n := range stats.Contained {
		s.Contained[cgoguard.SignalName(sig)] = n
	}
	if stats.CxxExceptions > 0 {
		s.Contained["cxx_exception"] = stats.CxxExceptions
	}
	for _, c := range clusters.Clusters {
		s.Clusters = append(s.Clusters, ClusterCount{Fingerprint: c.Fingerprint, Kind: c.Kind, Signal: c.Signal, Count: c.Count})
	}
	budgets := src.LogBudgets
	if budgets == nil {
		budgets = []*incident.LogBudget{incident.DefaultLogBudget()}
	}
	for _, b := range budgets {
		s.IncidentRecordsSuppressed += b.Suppressed()
	}
	for _, q := range src.Quarantines {
		for _, site := range q.Sites() {
			s.Quarantine = append(s.Quarantine, site)
			s.QuarantineRejected += site.Rejected
		}
	}
	return s
}

// Expvar returns an expvar.Var whose value is a fresh Snapshot, as JSON.
func Expvar(src Sources) expvar.Var {
	return expvar.Func(func() any { return Collect(src) })
}

// Publish publishes Expvar(src) under name (expvar.Publish panics if the
// name is taken). expvar serves its variables at /debug/vars on
// http.DefaultServeMux once imported, as it always does; mount
// expvar.Handler() elsewhere to serve them on another mux.
func Publish(name string, src Sources) { expvar.Publish(name, Expvar(src)) }
