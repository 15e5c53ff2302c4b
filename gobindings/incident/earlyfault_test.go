//go:build cgo

package incident_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// childEnv names the scenario a re-executed test binary runs instead of the
// tests, in a process where cgoguard was not initialized yet.
const childEnv = "CGOGUARD_INCIDENT_TEST_CHILD"

// runScenario runs one child scenario and returns the exit status.
func runScenario(name string) int {
	switch name {
	case "lookup-of-a-fault-before-warm-up":
		fmt.Fprint(os.Stderr, lookupOfAFaultBeforeWarmUp())
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown scenario %q\n", name)
	return 2
}

// lookupOfAFaultBeforeWarmUp reports, in the process's first Call, a fault
// that comes before the debug information is loaded, then waits for the
// background symbolizer. Returns "ok\n", "skip: ...\n" or the problems.
func lookupOfAFaultBeforeWarmUp() string {
	clusters := incident.NewClusters()
	defer clusters.Close()
	reporter := incident.Reporter{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Clusters: clusters}
	err := cgoguard.Call(fx.NullWrite.Fn, nil) // the first Call: Init; the fault starts the loading
	var nf *cgoguard.NativeFault
	if !errors.As(err, &nf) {
		return fmt.Sprintf("Call = %v, want a native fault\n", err)
	}
	if nf.Symbolized() {
		return "skip: the symbolizer was ready before the first fault\n"
	}
	inc := incident.FromError(err, 0)
	inc.Origin, inc.Method, inc.Path = incident.OriginHTTP, "GET", "/decode"
	reporter.Report(context.Background(), inc)

	// Counted at once, under the fingerprint the symbol tables give.
	var problems []string
	lookup := func(when string, wantLine bool) {
		snap := clusters.Snapshot()
		if len(snap.Clusters) != 1 || len(snap.Clusters[0].Examples) != 1 || snap.Totals.NativeFaults != 1 {
			problems = append(problems, fmt.Sprintf("%s: clusters %+v: want one cluster with the fault", when, snap.Clusters))
			return
		}
		cl := snap.Clusters[0]
		if ex := cl.Examples[0]; ex.IncidentID != inc.ID || ex.Request != "GET /decode" || cl.Fingerprint != nf.Fingerprint {
			problems = append(problems, fmt.Sprintf("%s: cluster %s, example: incident %q, request %q; want %s, %q, %q",
				when, cl.Fingerprint, ex.IncidentID, ex.Request, nf.Fingerprint, inc.ID, "GET /decode"))
		}
		found, ok := clusters.LookupIncident(inc.ID)
		switch {
		case !ok:
			problems = append(problems, when+": LookupIncident did not find the incident")
		case found.Fingerprint != cl.Fingerprint:
			problems = append(problems, fmt.Sprintf("%s: LookupIncident: fingerprint %q, its cluster's %q", when, found.Fingerprint, cl.Fingerprint))
		case len(found.NativeFrames) == 0 || !strings.HasPrefix(found.NativeFrames[0], "cgg_fx_null_write+") ||
			strings.Contains(found.NativeFrames[0], ".c:") != wantLine:
			problems = append(problems, fmt.Sprintf("%s: LookupIncident: native frames %v, want them named (a line: %v)", when, found.NativeFrames, wantLine))
		}
	}
	lookup("at the fault", false)

	// The file and line arrive with the debug information.
	<-cgoguard.SymbolizerReady()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if found, ok := clusters.LookupIncident(inc.ID); ok && len(found.NativeFrames) > 0 && strings.Contains(found.NativeFrames[0], ".c:") {
			break
		}
		time.Sleep(time.Millisecond) // the symbolized copy comes from WhenSymbolized
	}
	lookup("once loaded", true)
	if len(problems) == 0 {
		return "ok\n"
	}
	return strings.Join(problems, "\n") + "\n"
}

// A fault that comes before the debug information is loaded is counted at
// once, named from the symbol tables, and the debug page's views of it
// agree: its cluster example carries the incident (ID, request) and a lookup
// by incident ID shows the named frames and the cluster's fingerprint; once
// the debug information has loaded, the lookup shows the file and line.
func TestLookupOfAFaultBeforeWarmUpIsNamedLater(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=lookup-of-a-fault-before-warm-up")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v, stderr:\n%s", err, stderr.String())
	}
	switch out := stderr.String(); {
	case strings.HasPrefix(out, "skip:"):
		t.Skip(strings.TrimSpace(out))
	case out != "ok\n":
		t.Errorf("child:\n%s", out)
	}
}
