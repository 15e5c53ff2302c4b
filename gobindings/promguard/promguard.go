// Package promguard exposes cgoguard's counters to Prometheus: contained
// native faults by signal and by fingerprint cluster, recovered panics,
// incident records kept out of the log, quarantined calls and sites, the
// tainted state. It is a module of its own
// (github.com/cgoguard/cgoguard/gobindings/promguard), so that the core
// module keeps no dependency on client_golang.
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(promguard.NewCollector(metrics.Sources{Quarantines: []*quarantine.Quarantine{q}}))
//	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// The collector reads a fresh metrics.Snapshot at every scrape. The
// cluster series are bounded by incident.MaxClusters; a cluster evicted to
// stay within it stops being exported.
package promguard

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cgoguard/cgoguard/gobindings/metrics"
)

var (
	faultsDesc = prometheus.NewDesc("cgoguard_native_faults_contained_total",
		"Native faults contained in guarded calls since the process started, by signal (cxx_exception for C++ exceptions).",
		[]string{"signal"}, nil)
	chainedDesc = prometheus.NewDesc("cgoguard_signals_chained_total",
		"Signals cgoguard passed on to the Go runtime's handler (faults in Go code, unguarded native faults, signals sent by kill).",
		nil, nil)
	panicsDesc = prometheus.NewDesc("cgoguard_panics_recovered_total",
		"Go panics recovered by httpguard and safego.", nil, nil)
	errorsDesc = prometheus.NewDesc("cgoguard_errors_reported_total",
		"Errors reported with httpguard.WriteError that were neither native faults nor quarantines.", nil, nil)
	clusterDesc = prometheus.NewDesc("cgoguard_cluster_incidents_total",
		"Contained failures per fingerprint cluster.", []string{"fingerprint", "kind", "signal"}, nil)
	clustersEvictedDesc = prometheus.NewDesc("cgoguard_clusters_evicted_total",
		"Clusters dropped to stay within the cluster cap.", nil, nil)
	suppressedDesc = prometheus.NewDesc("cgoguard_incident_records_suppressed_total",
		"Incidents the log budgets kept out of the log (each counted in a summary record instead).", nil, nil)
	rejectedDesc = prometheus.NewDesc("cgoguard_quarantine_calls_rejected_total",
		"Calls refused by a quarantined call site without entering native code.", []string{"site"}, nil)
	siteFaultsDesc = prometheus.NewDesc("cgoguard_quarantine_faults_total",
		"Native faults of calls made through a quarantine call site.", []string{"site"}, nil)
	tripsDesc = prometheus.NewDesc("cgoguard_quarantine_trips_total",
		"Times a call site was quarantined after reaching its fault threshold.", []string{"site"}, nil)
	stateDesc = prometheus.NewDesc("cgoguard_quarantine_state",
		"State of a quarantine call site: 0 closed, 1 open (quarantined), 2 half-open (probing).", []string{"site"}, nil)
	taintedDesc = prometheus.NewDesc("cgoguard_tainted",
		"1 once a signal was contained: native clean-up was skipped; plan a restart.", nil, nil)
	intactDesc = prometheus.NewDesc("cgoguard_handlers_intact",
		"0 when another library replaced cgoguard's signal handlers.", nil, nil)
)

// Collector is a prometheus.Collector of cgoguard's counters.
type Collector struct{ src metrics.Sources }

// NewCollector returns a collector reading src (nil Clusters: the default
// clusters).
func NewCollector(src metrics.Sources) *Collector { return &Collector{src: src} }

// Describe sends the descriptors of every metric the collector exports.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{faultsDesc, chainedDesc, panicsDesc, errorsDesc, clusterDesc,
		clustersEvictedDesc, suppressedDesc, rejectedDesc, siteFaultsDesc, tripsDesc, stateDesc, taintedDesc, intactDesc} {
		ch <- d
	}
}

// Collect sends the current values.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := metrics.Collect(c.src)
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for sig, n := range s.Contained {
		counter(faultsDesc, n, sig)
	}
	counter(chainedDesc, s.ChainedTotal)
	counter(panicsDesc, s.Panics)
	counter(errorsDesc, s.Errors)
	for _, cl := range s.Clusters {
		counter(clusterDesc, cl.Count, cl.Fingerprint, string(cl.Kind), cl.Signal)
	}
	counter(clustersEvictedDesc, s.ClustersEvicted)
	counter(suppressedDesc, s.IncidentRecordsSuppressed)
	for _, site := range s.Quarantine {
		if site.Name == "" {
			continue // a function's site that never faulted: nothing to say yet
		}
		counter(rejectedDesc, site.Rejected, site.Name)
		counter(siteFaultsDesc, site.Faults, site.Name)
		counter(tripsDesc, site.Trips, site.Name)
		gauge(stateDesc, float64(site.State), site.Name)
	}
	gauge(taintedDesc, boolValue(s.Tainted))
	gauge(intactDesc, boolValue(s.HandlersIntact))
}

// Register registers a collector for src with reg.
func Register(reg prometheus.Registerer, src metrics.Sources) error {
	return reg.Register(NewCollector(src))
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
