package metrics_test

import (
	"testing"

	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/metrics"
)

// Go panics are counted with or without cgo (CI runs this with
// CGO_ENABLED=0 too).
func TestGoPanicsAreCountedInEveryBuild(t *testing.T) {
	cl := incident.NewClusters()
	defer cl.Close()
	cl.Record(incident.FromPanic("boom"))
	cl.Record(incident.FromPanic("boom"))
	snap := metrics.Collect(metrics.Sources{Clusters: cl})
	if snap.Panics != 2 || len(snap.Clusters) != 1 || snap.Clusters[0].Count != 2 || snap.Clusters[0].Kind != incident.KindPanic {
		t.Errorf("snapshot %+v: want 2 panics in one panic cluster", snap)
	}
}
