//go:build cgo

package incident_test

import (
	"context"
	"log/slog"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// The per-incident cost a boundary adds to a contained panic or fault, from
// recover to the reported incident (clusters, log budget, a discarding
// logger): the part of a crashing request that is not the crash itself.

// BenchmarkPanicBare is the baseline: a panic and its recover, nothing else.
func BenchmarkPanicBare(b *testing.B) {
	for range b.N {
		func() {
			defer func() { _ = recover() }()
			panicA()
		}()
	}
}

// BenchmarkPanicIncident adds the incident: Go stack, fingerprint, ID,
// clusters and the log budget (spent after the first records).
func BenchmarkPanicIncident(b *testing.B) {
	clusters := incident.NewClusters()
	defer clusters.Close()
	r := incident.Reporter{Logger: slog.New(slog.DiscardHandler), Clusters: clusters,
		LogBudget: incident.NewLogBudget(incident.DefaultLogRecords, 0)}
	b.ResetTimer()
	for range b.N {
		inc := recovered(panicA)
		r.Report(context.Background(), inc)
	}
}

// BenchmarkFaultIncident is a contained native fault returned by
// cgoguard.Call, panicked with and reported as an incident.
func BenchmarkFaultIncident(b *testing.B) {
	clusters := incident.NewClusters()
	defer clusters.Close()
	r := incident.Reporter{Logger: slog.New(slog.DiscardHandler), Clusters: clusters,
		LogBudget: incident.NewLogBudget(incident.DefaultLogRecords, 0)}
	b.ResetTimer()
	for range b.N {
		err := cgoguard.Call(fx.NullWrite.Fn, nil)
		inc := recovered(func() { panic(err) })
		r.Report(context.Background(), inc)
	}
}

// BenchmarkFaultBare is the baseline of BenchmarkFaultIncident: the fault
// and its return from cgoguard.Call.
func BenchmarkFaultBare(b *testing.B) {
	for range b.N {
		_ = cgoguard.Call(fx.NullWrite.Fn, nil)
	}
}
