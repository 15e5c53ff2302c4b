package incident_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// A gRPC call has a full method name but no HTTP method: its record carries
// "path" and no empty "method" next to it.
func TestLogRecordOfAGRPCCallHasNoEmptyMethod(t *testing.T) {
	inc := &incident.Incident{ID: incident.NewID(""), Kind: incident.KindPanic, Value: "boom",
		Origin: incident.OriginGRPC, Path: "/pkg.Service/Method"}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).LogAttrs(t.Context(), slog.LevelError, inc.LogMessage(), inc.LogAttrs()...)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["path"] != "/pkg.Service/Method" {
		t.Errorf("path %v, want the full method name: %s", rec["path"], buf.String())
	}
	if m, ok := rec["method"]; ok {
		t.Errorf("record has method %q for a gRPC call: %s", m, buf.String())
	}
}

// On the debug page, a gRPC call's request is its full method name, with no
// HTTP method (nor a blank in its place) in front.
func TestClusterExampleOfAGRPCCallShowsItsMethodName(t *testing.T) {
	clusters := incident.NewClusters()
	defer clusters.Close()
	inc := &incident.Incident{ID: incident.NewID(""), Kind: incident.KindPanic, Value: "boom",
		Origin: incident.OriginGRPC, Path: "/pkg.Service/Method", Fingerprint: "f"}
	clusters.Record(inc)
	snap := clusters.Snapshot()
	if len(snap.Clusters) != 1 || len(snap.Clusters[0].Examples) != 1 {
		t.Fatalf("clusters %+v: want one example", snap.Clusters)
	}
	if got := snap.Clusters[0].Examples[0].Request; got != "/pkg.Service/Method" {
		t.Errorf("request %q, want %q", got, "/pkg.Service/Method")
	}
}
