package sentryguard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/crashmonitor"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/internal/unguarded"
	"github.com/cgoguard/cgoguard/gobindings/sentryguard"
)

// Environment of the child program (this test binary re-executed): the
// scenario and its directory, where its monitor's log, spool and Sentry
// events go.
const (
	envScenario = "SENTRYGUARD_TEST_SCENARIO"
	envDir      = "SENTRYGUARD_TEST_DIR"
)

// runScenario is the child program's main. Sentry is set up before
// crashmonitor.Start: the monitor runs the same code up to Start, and its
// hook sends through the client set up here, into events.json.
func runScenario(name string) {
	dir := os.Getenv(envDir)
	var mu sync.Mutex
	tr := &capture{sink: func(body []byte) {
		mu.Lock()
		defer mu.Unlock()
		f, err := os.OpenFile(filepath.Join(dir, "events.json"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			panic(err)
		}
		defer f.Close()
		f.Write(append(body, '\n'))
	}}
	if err := sentry.Init(sentry.ClientOptions{Dsn: "https://public@sentry.example/1", Transport: tr}); err != nil {
		panic(err)
	}
	logFile, err := os.Create(filepath.Join(dir, fmt.Sprintf("log-%d.json", os.Getpid())))
	if err != nil {
		panic(err)
	}
	rep := incident.Reporter{Logger: slog.New(slog.NewJSONHandler(logFile, nil)), OnIncident: sentryguard.Record}
	if err := crashmonitor.Start(crashmonitor.WithReporter(rep), crashmonitor.WithSpoolDir(filepath.Join(dir, "spool"))); err != nil {
		panic(err)
	}
	switch name {
	case "unguarded-null-write":
		unguarded.NullWrite()
	case "unrecovered-panic":
		panicSite(nil)
	case "recovered-panic":
		panicSite(&rep)
		crashmonitor.Exit(3) // a clean end, but one crashEvents takes for a crash
	}
	crashmonitor.Exit(0)
}

// panicSite panics; with a reporter, it recovers and reports the panic, from
// the same stack as the unrecovered panic's. Its value is a string: the
// runtime's report of an unrecovered panic does not say an error's type.
func panicSite(rep *incident.Reporter) {
	if rep != nil {
		defer func() { rep.Report(context.Background(), incident.FromPanic(recover())) }()
	}
	panic("index out of date")
}

// crashEvents runs scenario in a child process, which crashes, and returns
// the Sentry events its monitor sent and the monitor's log records.
func crashEvents(t *testing.T, scenario string) (events, records []map[string]any) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envScenario+"="+scenario, envDir+"="+dir)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the %s program did not crash:\n%s", scenario, out)
	}
	// The monitor outlives the program by as long as the hook takes.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && len(events) == 0 {
		time.Sleep(50 * time.Millisecond)
		events = readJSONLines(t, filepath.Join(dir, "events.json"))
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "log-*.json"))
	for _, l := range logs {
		records = append(records, readJSONLines(t, l)...)
	}
	if len(events) != 1 {
		t.Fatalf("%d events from the monitor, want 1; program output:\n%s", len(events), out)
	}
	return events, records
}

func readJSONLines(t *testing.T, file string) []map[string]any {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: %v: %q", file, err, line)
		}
		out = append(out, m)
	}
	return out
}

// A native fault that no guard contained crashes the program; its monitor
// sends a fatal, unhandled event with the same fingerprint as the
// contained fault of the same site, the monitor's incident ID as a tag,
// and the frames and image for server-side symbolication.
func TestMonitorCrashEventHasTheContainedFaultsFingerprint(t *testing.T) {
	if !unguarded.Available {
		t.Skip("needs cgo")
	}
	nf := cgoguard.Call(fx.NullWrite.Fn, nil).(*cgoguard.NativeFault)
	nf.Symbolize()
	events, records := crashEvents(t, "unguarded-null-write")
	ev := events[0]
	t.Logf("event: %v", ev)
	var id string
	for _, r := range records {
		if r["kind"] == crashmonitor.KindNativeCrash {
			id, _ = r["incident_id"].(string)
		}
	}
	if id == "" || path(ev, "tags", sentryguard.TagIncidentID) != id {
		t.Errorf("event tag incident_id %v, the monitor's record %q (records %v)", path(ev, "tags", sentryguard.TagIncidentID), id, records)
	}
	if fmt.Sprint(ev["fingerprint"]) != "["+nf.Fingerprint+"]" {
		t.Errorf("crash fingerprint %v, contained %s", ev["fingerprint"], nf.Fingerprint)
	}
	exc := path(ev, "exception", 0)
	if ev["level"] != "fatal" || path(exc, "mechanism", "handled") != false || path(exc, "type") != "SIGSEGV" ||
		path(ev, "tags", sentryguard.TagKind) != crashmonitor.KindNativeCrash || path(ev, "tags", sentryguard.TagOrigin) != crashmonitor.OriginCrash ||
		path(ev, "contexts", sentryguard.ContextName, "pid") == nil {
		t.Errorf("event %v", ev)
	}
	top := path(exc, "stacktrace", "frames", -1)
	if !strings.HasPrefix(fmt.Sprint(path(top, "instruction_addr")), "0x") || path(top, "package") == nil ||
		!strings.HasPrefix(fmt.Sprint(path(top, "function")), "cgg_fx_null_write") {
		t.Errorf("innermost frame %v", top)
	}
	images, _ := path(ev, "debug_meta", "images").([]any)
	if len(images) == 0 || path(images[0], "code_id") != nf.Frames[0].BuildID || path(images[0], "image_addr") == nil {
		t.Errorf("images %v, want the executable's with build ID %s", images, nf.Frames[0].BuildID)
	}
}

// An unrecovered panic: a fatal Go event with the fingerprint of the same
// panic recovered in another run.
func TestMonitorPanicEvent(t *testing.T) {
	recovered, _ := crashEvents(t, "recovered-panic")
	want := recovered[0]["fingerprint"]
	if recovered[0]["level"] != "error" || want == nil {
		t.Fatalf("the recovered panic's event %v", recovered[0])
	}
	events, _ := crashEvents(t, "unrecovered-panic")
	ev := events[0]
	if ev["level"] != "fatal" || fmt.Sprint(ev["fingerprint"]) != fmt.Sprint(want) ||
		path(ev, "tags", sentryguard.TagKind) != crashmonitor.KindUnrecoveredPanic || ev["debug_meta"] != nil {
		t.Errorf("event %v; want a fatal unrecovered panic with fingerprint %v", ev, want)
	}
}
