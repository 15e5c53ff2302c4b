package incident_test

import (
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/gobindings/incident"
)

func panicHere() (inc *incident.Incident) {
	defer func() { inc = incident.FromPanic(recover()) }()
	var p *int
	_ = *p
	return nil
}

// Go panics become incidents and clusters with or without cgo (CI runs this
// with CGO_ENABLED=0 too).
func TestGoPanicIncidentsInEveryBuild(t *testing.T) {
	a, b := panicHere(), panicHere()
	if a.Kind != incident.KindPanic || len(a.Stack) == 0 || !strings.HasSuffix(a.Stack[0].Function, ".panicHere") {
		t.Fatalf("incident %+v: want a panic whose stack starts at panicHere", a)
	}
	if a.Fingerprint == "" || a.Fingerprint != b.Fingerprint {
		t.Errorf("fingerprints %q and %q: want one stable fingerprint for one site", a.Fingerprint, b.Fingerprint)
	}
	cl := incident.NewClusters()
	defer cl.Close()
	cl.Record(a)
	cl.Record(b)
	if c, ok := cl.Lookup(a.Fingerprint); !ok || c.Count != 2 {
		t.Errorf("cluster %+v (found %v), want a count of 2", c, ok)
	}
}
