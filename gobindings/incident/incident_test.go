//go:build cgo

package incident_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/internal/testbinary"
	"github.com/cgoguard/cgoguard/gobindings/internal/testlog"
)

func TestMain(m *testing.M) {
	testbinary.EnsureUnstripped() // native frames are named in these tests
	if scenario := os.Getenv(childEnv); scenario != "" {
		os.Exit(runScenario(scenario)) // a fresh process: before cgoguard.Init
	}
	if err := cgoguard.Init(); err != nil {
		panic(err)
	}
	<-cgoguard.SymbolizerReady() // tests read fault names right after Call
	os.Exit(m.Run())
}

// An ID is its fingerprint's prefix and 64 random bits: distinct for every
// incident of one fingerprint, and the same prefix for all of them.
func TestNewIDIsTheFingerprintsPrefixAndRandomHex(t *testing.T) {
	for _, tc := range []struct{ fingerprint, prefix string }{
		{"4952b62a8cd3fc38", "4952b62a"},
		{"pc-00ab12cd34ef5678", "00ab12cd"}, // an early fault's FaultKey
		{"timed", incident.IDPrefix("timed")},
		{"", incident.IDPrefix("")},
	} {
		seen := map[string]bool{}
		for range 10_000 {
			id := incident.NewID(tc.fingerprint)
			if !testlog.IncidentID.MatchString(id) || !strings.HasPrefix(id, tc.prefix+"-") || seen[id] {
				t.Fatalf("fingerprint %q: id %q, want prefix %q (seen before: %v)", tc.fingerprint, id, tc.prefix, seen[id])
			}
			seen[id] = true
		}
	}
	if a, b := incident.IDPrefix("timed"), incident.IDPrefix("shared"); a == b || len(a) != 8 {
		t.Errorf("prefixes of two fingerprints %q, %q", a, b)
	}
}

// recovered runs f and returns the incident of its panic, built where a
// boundary builds it: in the deferred call that recovered.
func recovered(f func()) (inc *incident.Incident) {
	defer func() { inc = incident.FromPanic(recover()) }()
	f()
	return nil
}

func panicA()          { panic("a") }
func panicB()          { panic("b") }
func panicAnError()    { panic(errors.New("a")) }
func panicIndex(i int) { _ = []int{}[i] }

func TestPanicFingerprintNamesTheSite(t *testing.T) {
	a1, a2 := recovered(panicA), recovered(panicA)
	if a1.Kind != incident.KindPanic || len(a1.Fingerprint) != 16 || a1.Fingerprint != a2.Fingerprint {
		t.Errorf("same site: %q %q", a1.Fingerprint, a2.Fingerprint)
	}
	if b := recovered(panicB); b.Fingerprint == a1.Fingerprint {
		t.Error("different sites share a fingerprint")
	}
	if e := recovered(panicAnError); e.Fingerprint == a1.Fingerprint {
		t.Error("a different value type at a similar site shares a fingerprint")
	}
	if !strings.HasSuffix(a1.Stack[0].Function, ".panicA") {
		t.Errorf("the stack should start at the panicking function, not the runtime: %v", a1.Stack[0])
	}
	idx := recovered(func() { panicIndex(3) })
	if !strings.HasSuffix(idx.Stack[0].Function, ".panicIndex") || !strings.Contains(idx.Message(), "index out of range") {
		t.Errorf("runtime panic: %v, %q", idx.Stack[0], idx.Message())
	}
}

func TestNativeFaultPanicIsANativeFaultIncident(t *testing.T) {
	err := cgoguard.Call(fx.ReadonlyWrite.Fn, nil)
	inc := recovered(func() { panic(fmt.Errorf("saving: %w", err)) })
	var nf *cgoguard.NativeFault
	errors.As(err, &nf)
	if inc.Kind != incident.KindNativeFault || inc.Fault != nf || inc.Fingerprint != nf.Fingerprint ||
		inc.Signal() != "SIGSEGV" || inc.Stack != nil {
		t.Errorf("incident %+v", inc)
	}
	if e := incident.FromError(err, 0); e.Kind != incident.KindNativeFault || e.Fault != nf {
		t.Errorf("FromError: %+v", e)
	}
	plain := incident.FromError(errors.New("disk full"), 0)
	if plain.Kind != incident.KindError || !strings.HasSuffix(plain.Stack[0].Function, "TestNativeFaultPanicIsANativeFaultIncident") {
		t.Errorf("FromError(plain): %+v", plain)
	}
}

// The log record is one flat JSON object with the documented keys.
func TestLogRecordShape(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	clusters := incident.NewClusters()
	defer clusters.Close()
	var hooked *incident.Incident
	r := incident.Reporter{Logger: logger, Clusters: clusters, OnIncident: func(_ context.Context, inc *incident.Incident) {
		hooked = inc
		panic("a broken hook")
	}}
	inc := incident.FromError(cgoguard.Call(fx.NullWrite.Fn, nil), 0)
	inc.Origin, inc.Method, inc.Path = incident.OriginHTTP, "POST", "/upload"
	r.Report(context.Background(), inc)

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || hooked != inc {
		t.Fatalf("want the record and the hook's panic record:\n%s", buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"incident_id", "kind", "origin", "method", "path", "signal", "fingerprint", "error",
		"fault_id", "fault_code", "fault_addr", "fault_pc", "thread_id", "tainted", "native_frames", "native_modules", "go_stack"} {
		if _, ok := rec[key]; !ok {
			t.Errorf("record lacks %q: %s", key, lines[0])
		}
	}
	if rec["fault_addr"] != "0x10" || rec["path"] != "/upload" || rec["msg"] != "native fault contained" {
		t.Errorf("record %s", lines[0])
	}
	frames := rec["native_frames"].([]any)
	if !strings.Contains(frames[0].(string), "cgg_fx_null_write") {
		t.Errorf("native_frames %v", frames)
	}
	if !strings.Contains(lines[1], "incident callback panicked") || !strings.Contains(lines[1], inc.ID) {
		t.Errorf("the hook's panic was not logged: %s", lines[1])
	}
}

// An exception's log record names where it was thrown, and two throw sites
// under one call site are two clusters.
func TestExceptionLogRecordNamesTheThrowSite(t *testing.T) {
	var buf bytes.Buffer
	clusters := incident.NewClusters()
	defer clusters.Close()
	r := incident.Reporter{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), Clusters: clusters}
	r.Report(context.Background(), incident.FromError(cgoguard.Call(fx.CxxThrow.Fn, nil), 0))
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	frames, _ := rec["native_frames"].([]any)
	want := fmt.Sprintf("fixtures_cxx.cc:%d)", fx.CxxThrowLine())
	if rec["signal"] != "cxx_exception" || len(frames) == 0 ||
		!strings.HasPrefix(frames[0].(string), fx.CxxThrow.Name+"+") || !strings.Contains(frames[0].(string), want) {
		t.Errorf("want native_frames[0] = %s+... (...%s ..., got record %s", fx.CxxThrow.Name, want, buf.String())
	}

	for which := range 2 {
		arg := fx.NewIntArg(which)
		r.Report(context.Background(), incident.FromError(cgoguard.Call(fx.CxxThrowVia.Fn, arg.Ptr()), 0))
		arg.Free()
	}
	var throwers []string
	for _, c := range clusters.Snapshot().Clusters {
		if c.Signal == "cxx_exception" && strings.Contains(c.Site, "thrower") {
			throwers = append(throwers, c.Site)
		}
	}
	if len(throwers) != 2 {
		t.Errorf("want one cluster per thrower, got %v", throwers)
	}
}

func TestClustersAreBounded(t *testing.T) {
	clusters := incident.NewClusters(incident.MaxClusters(2), incident.ExamplesPerCluster(2))
	defer clusters.Close()
	r := incident.Reporter{Logger: slog.New(slog.DiscardHandler), Clusters: clusters}
	report := func(f func()) *incident.Incident {
		inc := recovered(f)
		r.Report(context.Background(), inc)
		return inc
	}
	a := report(panicA)
	for range 4 {
		report(panicA)
	}
	b := report(panicB)
	if snap := clusters.Snapshot(); len(snap.Clusters) != 2 || snap.Clusters[0].Count != 5 ||
		len(snap.Clusters[0].Examples) != 2 || snap.Clusters[1].Count != 1 {
		t.Fatalf("snapshot %+v", snap)
	}
	// A third fingerprint evicts the least recently seen (panicA's).
	c := report(panicAnError)
	snap := clusters.Snapshot()
	if snap.Totals.Evicted != 1 || snap.Totals.Clusters != 2 || snap.Totals.Panics != 7 {
		t.Errorf("totals %+v", snap.Totals)
	}
	if _, ok := clusters.Lookup(a.Fingerprint); ok {
		t.Error("the least recently seen cluster was kept")
	}
	for _, inc := range []*incident.Incident{b, c} {
		if cl, ok := clusters.Lookup(inc.Fingerprint); !ok || cl.Examples[0].IncidentID != inc.ID {
			t.Errorf("cluster of %s: %+v", inc.Message(), cl)
		}
	}
}

// After Close, native faults are no longer counted.
func TestCloseStopsCountingFaults(t *testing.T) {
	clusters := incident.NewClusters()
	cgoguard.Call(fx.NullRead.Fn, nil)
	clusters.Close()
	cgoguard.Call(fx.NullRead.Fn, nil)
	if n := clusters.Snapshot().Totals.NativeFaults; n != 1 {
		t.Errorf("%d faults counted, want 1", n)
	}
}

// Hooks runs every hook with the context, in order, even after one panics;
// the Reporter logs that panic.
func TestHooksRunInOrderPastAPanic(t *testing.T) {
	type key struct{}
	var buf bytes.Buffer
	var calls []string
	rec := func(name string) incident.Hook {
		return func(ctx context.Context, inc *incident.Incident) {
			calls = append(calls, name+":"+ctx.Value(key{}).(string))
		}
	}
	r := incident.Reporter{
		Logger:   slog.New(slog.NewJSONHandler(&buf, nil)),
		Clusters: incident.NewClusters(),
		OnIncident: incident.Hooks(rec("a"), nil,
			func(context.Context, *incident.Incident) { panic("hook b broke") }, rec("c")),
	}
	defer r.Clusters.Close()
	inc := incident.FromError(errors.New("x"), 0)
	r.Report(context.WithValue(context.Background(), key{}, "v"), inc)
	if strings.Join(calls, ",") != "a:v,c:v" {
		t.Errorf("hooks ran as %v, want a and c with the context value", calls)
	}
	if !strings.Contains(buf.String(), "hook b broke") {
		t.Errorf("the panic was not logged: %s", buf.String())
	}
}

//go:noinline
func panicAtLine(second bool) {
	if second {
		panic("second")
	}
	panic("first")
}

// Stacks are resolved once per distinct stack: the same site gives the same
// frames, and another line of the same function its own lines (and the same
// fingerprint, which hashes function names only).
func TestPanicStackPerSite(t *testing.T) {
	var incs []*incident.Incident
	for _, second := range []bool{false, false, true} {
		incs = append(incs, recovered(func() { panicAtLine(second) }))
	}
	a1, a2, b := incs[0], incs[1], incs[2]
	if a1.Stack[0].Function != b.Stack[0].Function || !strings.HasSuffix(a1.Stack[0].Function, ".panicAtLine") {
		t.Fatalf("innermost frames %v and %v", a1.Stack[0], b.Stack[0])
	}
	if a1.Stack[0].Line != a2.Stack[0].Line || a1.Stack[0].Line == b.Stack[0].Line || b.Stack[0].Line != a1.Stack[0].Line-2 {
		t.Errorf("lines: %d %d %d", a1.Stack[0].Line, a2.Stack[0].Line, b.Stack[0].Line)
	}
	if a1.Fingerprint != a2.Fingerprint || a1.Fingerprint != b.Fingerprint {
		t.Errorf("fingerprints %s %s %s: want one per function chain (lines do not count)", a1.Fingerprint, a2.Fingerprint, b.Fingerprint)
	}
}
