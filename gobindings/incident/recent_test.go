//go:build cgo

package incident_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// LastHour counts per minute, oldest first, the current minute last; older
// occurrences fall out of it but stay in Count.
func TestClusterRatePerMinuteOverTheLastHour(t *testing.T) {
	clusters := incident.NewClusters()
	defer clusters.Close()
	if s := time.Now().Second(); s >= 58 { // keep the test within one minute
		time.Sleep(time.Duration(61-s) * time.Second)
	}
	now := time.Now()
	for _, ago := range []time.Duration{0, 0, 0, 10 * time.Minute, 10 * time.Minute, 2 * time.Hour} {
		inc := recovered(panicA)
		inc.Time = now.Add(-ago)
		clusters.Record(inc)
	}
	cl := clusters.Snapshot().Clusters[0]
	var total uint32
	for _, n := range cl.LastHour {
		total += n
	}
	if len(cl.LastHour) != 60 || cl.LastHour[59] != 3 || cl.LastHour[49] != 2 || total != 5 || cl.Count != 6 {
		t.Errorf("count %d, last hour %v: want 3 now, 2 ten minutes ago, the 2-hour-old one out", cl.Count, cl.LastHour)
	}
}

// An incident stays findable by ID after its cluster's examples moved on,
// until RecentIncidents newer ones pushed it out.
func TestLookupIncidentFindsOlderIncidentsWithinTheBound(t *testing.T) {
	clusters := incident.NewClusters(incident.ExamplesPerCluster(1), incident.RecentIncidents(3))
	defer clusters.Close()
	r := incident.Reporter{Logger: slog.New(slog.DiscardHandler), Clusters: clusters}
	var ids []string
	for range 2 {
		inc := recovered(panicA)
		r.Report(context.Background(), inc)
		ids = append(ids, inc.ID)
	}
	native := incident.FromError(cgoguard.Call(fx.NullWrite.Fn, nil), 0)
	native.Origin, native.Method, native.Path = incident.OriginHTTP, "GET", "/decode"
	r.Report(context.Background(), native)

	cl, _ := clusters.Lookup(recovered(panicA).Fingerprint)
	if cl.Examples[0].IncidentID != ids[1] {
		t.Fatalf("the cluster keeps %s, want only the latest %s", cl.Examples[0].IncidentID, ids[1])
	}
	first, ok := clusters.LookupIncident(ids[0])
	if !ok || first.Kind != incident.KindPanic || first.Message != "a" || first.Fingerprint != cl.Fingerprint ||
		!strings.Contains(first.GoStack[0], "incident_test.panicA") {
		t.Errorf("the older incident: %+v, %v", first, ok)
	}
	got, ok := clusters.LookupIncident(native.ID)
	if !ok || got.Kind != incident.KindNativeFault || got.Signal != "SIGSEGV" || got.Request != "GET /decode" ||
		len(got.NativeFrames) == 0 || !strings.Contains(got.NativeFrames[0], "cgg_fx_null_write") {
		t.Errorf("the native fault incident, innermost frame first: %+v, %v", got, ok)
	}

	newer := recovered(panicB)
	r.Report(context.Background(), newer) // the fourth: pushes out the first
	if _, ok := clusters.LookupIncident(ids[0]); ok {
		t.Error("found an incident beyond RecentIncidents")
	}
	if _, ok := clusters.LookupIncident(newer.ID); !ok {
		t.Error("the newest incident is not found")
	}
	if _, ok := clusters.LookupIncident("0123456789abcdef"); ok {
		t.Error("found an incident that never was")
	}
}
