//go:build cgo

package incident_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// With Symbolize(false), a fault that goes through the whole incident
// pipeline (clusters, incident, log) stays unsymbolized: no layer
// symbolizes behind the caller's back. Faults of one site still share a
// cluster, keyed by address.
func TestSymbolizeFalseHoldsThroughTheIncidentPipeline(t *testing.T) {
	if err := cgoguard.Init(cgoguard.Symbolize(false)); err != nil {
		t.Fatal(err)
	}
	defer cgoguard.Init()
	clusters := incident.NewClusters()
	defer clusters.Close()
	reporter := incident.Reporter{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Clusters: clusters}
	var faults []*cgoguard.NativeFault
	for i := 0; i < 2; i++ {
		var nf *cgoguard.NativeFault
		err := cgoguard.Call(fx.NullWrite.Fn, nil)
		if !errors.As(err, &nf) {
			t.Fatalf("Call = %v, want a native fault", err)
		}
		inc := incident.FromError(err, 0)
		reporter.Report(context.Background(), inc)
		if nf.Symbolized() || nf.Fingerprint != "" || nf.Frames[0].Function != "" {
			t.Fatalf("after the incident pipeline: Symbolized %v, Fingerprint %q, Frames[0] %+v: want raw", nf.Symbolized(), nf.Fingerprint, nf.Frames[0])
		}
		if !strings.HasPrefix(inc.Fingerprint, "pc-") {
			t.Errorf("incident fingerprint %q, want an address key", inc.Fingerprint)
		}
		faults = append(faults, nf)
	}
	snap := clusters.Snapshot()
	if snap.Totals.NativeFaults != 2 || len(snap.Clusters) != 1 || snap.Clusters[0].Count != 2 {
		t.Fatalf("clusters %+v: want one cluster of 2 faults", snap)
	}
	if fp := snap.Clusters[0].Fingerprint; fp != incident.FaultKey(faults[0]) {
		t.Errorf("cluster key %q, want %q", fp, incident.FaultKey(faults[0]))
	}
	// The caller may still symbolize its own fault; the cluster's copy stays raw.
	faults[0].Symbolize()
	if faults[0].Fingerprint == "" || clusters.Snapshot().Clusters[0].Site != "" {
		t.Errorf("after Symbolize: fingerprint %q, cluster site %q", faults[0].Fingerprint, clusters.Snapshot().Clusters[0].Site)
	}
}
