//go:build cgo

package metrics_test

import (
	"encoding/json"
	"errors"
	"expvar"
	"log/slog"
	"os"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/metrics"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

var discardLogger = slog.New(slog.DiscardHandler)

func TestMain(m *testing.M) {
	if err := cgoguard.Init(); err != nil {
		panic(err)
	}
	<-cgoguard.SymbolizerReady() // tests read fault names right after Call
	os.Exit(m.Run())
}

func TestSnapshotCountsEverySource(t *testing.T) {
	clusters := incident.NewClusters()
	defer clusters.Close()
	q := quarantine.New(quarantine.Threshold(2), quarantine.Cooldown(time.Hour))
	src := metrics.Sources{Clusters: clusters, Quarantines: []*quarantine.Quarantine{q}}
	before := metrics.Collect(src)

	site := q.Site("decoder")
	for range 2 {
		site.Call(fx.NullWrite.Fn, nil)
	}
	for range 3 {
		if !errors.Is(site.Call(fx.NullWrite.Fn, nil), quarantine.ErrQuarantined) {
			t.Fatal("not quarantined")
		}
	}
	cgoguard.Call(fx.BusPastEOF.Fn, nil)
	cgoguard.Call(fx.CxxThrow.Fn, nil)
	func() {
		defer func() {
			incident.Reporter{Clusters: clusters, Logger: discardLogger}.Report(t.Context(), incident.FromPanic(recover()))
		}()
		panic("go panic")
	}()

	s := metrics.Collect(src)
	if d := s.Contained["SIGSEGV"] - before.Contained["SIGSEGV"]; d != 2 {
		t.Errorf("SIGSEGV +%d, want +2", d)
	}
	if d := s.Contained["SIGBUS"] - before.Contained["SIGBUS"]; d != 1 {
		t.Errorf("SIGBUS +%d, want +1", d)
	}
	if d := s.Contained["cxx_exception"] - before.Contained["cxx_exception"]; d != 1 {
		t.Errorf("cxx_exception +%d, want +1", d)
	}
	if s.ContainedTotal-before.ContainedTotal != 4 || s.Panics != 1 || !s.Tainted || !s.HandlersIntact {
		t.Errorf("snapshot %+v", s)
	}
	if len(s.Clusters) != 4 || s.Clusters[0].Count != 2 || s.Clusters[0].Signal != "SIGSEGV" {
		t.Errorf("clusters %+v", s.Clusters)
	}
	if s.QuarantineRejected != 3 || len(s.Quarantine) != 1 || s.Quarantine[0].Trips != 1 {
		t.Errorf("quarantine %+v, rejected %d", s.Quarantine, s.QuarantineRejected)
	}
}

func TestExpvarMirrorsTheSnapshot(t *testing.T) {
	clusters := incident.NewClusters()
	defer clusters.Close()
	name := "cgoguard_test_" + incident.NewID(t.Name()) // -count=N publishes once per run
	metrics.Publish(name, metrics.Sources{Clusters: clusters})
	cgoguard.Call(fx.NullRead.Fn, nil)
	var got metrics.Snapshot
	if err := json.Unmarshal([]byte(expvar.Get(name).String()), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Clusters) != 1 || got.Clusters[0].Count != 1 || got.Clusters[0].Kind != incident.KindNativeFault ||
		got.Contained["SIGSEGV"] == 0 || !got.Tainted {
		t.Errorf("expvar value %+v", got)
	}
}

// In a storm the log budget keeps most incident records out of the log; the
// snapshot says how many, summed over the budgets it is given.
func TestSnapshotCountsSuppressedIncidentRecords(t *testing.T) {
	clusters := incident.NewClusters()
	defer clusters.Close()
	oneEach, twoEach := incident.NewLogBudget(1, time.Hour), incident.NewLogBudget(2, time.Hour)
	src := metrics.Sources{Clusters: clusters, LogBudgets: []*incident.LogBudget{oneEach, twoEach}}
	if s := metrics.Collect(src); s.IncidentRecordsSuppressed != 0 {
		t.Fatalf("before any incident: %d suppressed", s.IncidentRecordsSuppressed)
	}
	for _, budget := range []*incident.LogBudget{oneEach, twoEach} {
		reporter := incident.Reporter{Clusters: clusters, Logger: discardLogger, LogBudget: budget}
		for range 5 {
			reporter.Report(t.Context(), incident.FromError(cgoguard.Call(fx.NullWrite.Fn, nil), 0))
		}
	}
	// Five incidents of one fingerprint through each: 4 and 3 kept out.
	if s := metrics.Collect(src); s.IncidentRecordsSuppressed != 7 {
		t.Errorf("%d suppressed, want 7", s.IncidentRecordsSuppressed)
	}
	// Without LogBudgets the snapshot reads the default budget, which every
	// Reporter without its own uses.
	before := metrics.Collect(metrics.Sources{Clusters: clusters}).IncidentRecordsSuppressed
	reporter := incident.Reporter{Clusters: clusters, Logger: discardLogger}
	for range incident.DefaultLogRecords + 3 {
		reporter.Report(t.Context(), incident.FromError(cgoguard.Call(fx.NullRead.Fn, nil), 0))
	}
	// (At least 3: under -count the fingerprint's window may be spent already.)
	after := metrics.Collect(metrics.Sources{Clusters: clusters}).IncidentRecordsSuppressed
	if after-before < 3 || after != incident.DefaultLogBudget().Suppressed() {
		t.Errorf("the default budget: %d suppressed, was %d; the budget says %d", after, before, incident.DefaultLogBudget().Suppressed())
	}
}
