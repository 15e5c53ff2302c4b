package sentryguard_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/getsentry/sentry-go"
	sentryhttp "github.com/getsentry/sentry-go/http"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/internal/testbinary"
	"github.com/cgoguard/cgoguard/gobindings/safego"
	"github.com/cgoguard/cgoguard/gobindings/sentryguard"
)

func TestMain(m *testing.M) {
	if name := os.Getenv(envScenario); name != "" {
		runScenario(name)
		os.Exit(0)
	}
	testbinary.EnsureUnstripped() // the events name the fixtures' frames
	if err := cgoguard.Init(); err != nil {
		panic(err)
	}
	<-cgoguard.SymbolizerReady()
	os.Exit(m.Run())
}

// serve runs the handler behind sentryhttp and httpguard, with Record as
// the reporter's hook, and returns the response's incident ID.
func serve(t *testing.T, hub *sentry.Hub, handler http.HandlerFunc, target string) string {
	t.Helper()
	rep := incident.Reporter{Logger: slog.New(slog.DiscardHandler), OnIncident: sentryguard.Record}
	h := sentryhttp.New(sentryhttp.Options{}).Handle(httpguard.Middleware(handler, httpguard.WithReporter(rep)))
	req := httptest.NewRequest("GET", target, nil)
	req = req.WithContext(sentry.SetHubOnContext(req.Context(), hub))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", w.Code)
	}
	id := w.Header().Get(httpguard.HeaderIncidentID)
	if id == "" {
		t.Fatal("the response names no incident")
	}
	return id
}

// A contained native fault in a request: one event, on the request's hub,
// with the native frames as instruction addresses in their module, the
// module's build ID and load address in debug_meta, the incident ID as a
// tag and the fingerprint as Sentry's.
func TestContainedNativeFaultEvent(t *testing.T) {
	hub, tr := newHub(t)
	var fault *cgoguard.NativeFault
	id := serve(t, hub, func(w http.ResponseWriter, r *http.Request) {
		err := cgoguard.Call(fx.NullWrite.Fn, nil)
		fault, _ = err.(*cgoguard.NativeFault)
		panic(err)
	}, "/decode?token=secret")
	events := tr.all()
	if len(events) != 1 || fault == nil {
		t.Fatalf("%d events, fault %v; want one event of a native fault", len(events), fault)
	}
	ev := events[0]
	t.Logf("event: %v", ev)
	if ev["platform"] != "native" || ev["level"] != "error" {
		t.Errorf("platform %v, level %v; want native, error", ev["platform"], ev["level"])
	}
	if path(ev, "tags", sentryguard.TagIncidentID) != id || path(ev, "tags", sentryguard.TagKind) != "native_fault" ||
		path(ev, "tags", sentryguard.TagSignal) != "SIGSEGV" || path(ev, "tags", sentryguard.TagOrigin) != "http" {
		t.Errorf("tags %v; want incident_id %s, native_fault, SIGSEGV, http", ev["tags"], id)
	}
	if fp := fmt.Sprint(ev["fingerprint"]); fp != "["+fault.Fingerprint+"]" || len(fault.Fingerprint) != 16 {
		t.Errorf("fingerprint %s, want [%s]", fp, fault.Fingerprint)
	}
	exc := path(ev, "exception", 0)
	if path(exc, "type") != "SIGSEGV" || !strings.Contains(fmt.Sprint(path(exc, "value")), "in cgg_fx_null_write") ||
		path(exc, "mechanism", "handled") != true || path(exc, "mechanism", "type") != sentryguard.MechanismType {
		t.Errorf("exception %v", exc)
	}

	// The innermost frame (Sentry's last) is the faulting instruction in
	// the executable, whose image debug_meta describes.
	top := path(exc, "stacktrace", "frames", -1)
	exe, _ := os.Executable()
	want := fault.Frames[0]
	if path(top, "instruction_addr") != fmt.Sprintf("%#x", want.PC) || path(top, "package") != exe ||
		path(top, "platform") != "native" || !strings.HasPrefix(fmt.Sprint(path(top, "function")), "cgg_fx_null_write") {
		t.Errorf("innermost frame %v, want cgg_fx_null_write at %#x in %s", top, want.PC, exe)
	}
	images, _ := path(ev, "debug_meta", "images").([]any)
	var image any
	for _, im := range images {
		if path(im, "code_file") == exe {
			image = im
		}
	}
	if image == nil || path(image, "type") != "elf" || path(image, "code_id") != want.BuildID || want.BuildID == "" ||
		path(image, "image_addr") != fmt.Sprintf("%#x", want.PC-want.ModuleOffset) ||
		!(imageSize(image) > float64(want.ModuleOffset)) || // the pc lies inside the image
		!strings.HasPrefix(want.BuildID, debugIDBytes(fmt.Sprint(path(image, "debug_id")))) {
		t.Errorf("images %v; want the executable's, build ID %s", images, want.BuildID)
	}
	// Outer frames are the Go handler's, named as the Go SDK names them; the
	// goroutine's entry stub is left out, as in the incident's log record.
	var handler bool
	for _, fr := range path(exc, "stacktrace", "frames").([]any) {
		if path(fr, "module") == "github.com/cgoguard/cgoguard/gobindings/sentryguard_test" &&
			strings.HasPrefix(fmt.Sprint(path(fr, "function")), "TestContainedNativeFaultEvent") {
			handler = true
		}
		if path(fr, "module") == "runtime" && path(fr, "function") == "goexit" {
			t.Errorf("the stack holds runtime.goexit: %v", fr)
		}
	}
	if !handler {
		t.Errorf("no frame of the handler in %v", path(exc, "stacktrace", "frames"))
	}
	// The request comes from sentryhttp's scope, its query string held back
	// by the SDK's defaults; the incident's fields are in the context.
	if path(ev, "request", "method") != "GET" || !strings.Contains(fmt.Sprint(path(ev, "request", "url")), "/decode") {
		t.Errorf("request %v", ev["request"])
	}
	if c := path(ev, "contexts", sentryguard.ContextName); path(c, "incident_id") != id || path(c, "path") != "/decode" ||
		path(c, "fault_addr") != "0x0" && path(c, "fault_addr") != fmt.Sprintf("%#x", fault.Addr) {
		t.Errorf("context %v", c)
	}
}

// imageSize is an image's image_size (0 when there is none).
func imageSize(image any) float64 {
	size, _ := path(image, "image_size").(float64)
	return size
}

// debugIDBytes undoes the GUID byte order of a debug ID: its hex digits as
// the build ID's first 16 bytes.
func debugIDBytes(id string) string {
	h := strings.ReplaceAll(id, "-", "")
	if len(h) != 32 {
		return "not a debug id: " + id
	}
	swap := func(s string) string {
		var b strings.Builder
		for i := len(s) - 2; i >= 0; i -= 2 {
			b.WriteString(s[i : i+2])
		}
		return b.String()
	}
	return swap(h[0:8]) + swap(h[8:12]) + swap(h[12:16]) + h[16:]
}

// A Go panic in a goroutine: a Go event (no native frames, no debug_meta)
// with the panic's type and value and the goroutine's name, on the hub of
// the context the goroutine was started with.
func TestGoPanicEvent(t *testing.T) {
	hub, tr := newHub(t)
	done := make(chan struct{})
	rep := incident.Reporter{Logger: slog.New(slog.DiscardHandler), OnIncident: incident.Hooks(sentryguard.Record,
		func(context.Context, *incident.Incident) { close(done) })}
	ctx := sentry.SetHubOnContext(context.Background(), hub)
	safego.GoContext(ctx, func(context.Context) { panicWithAnError() }, safego.WithReporter(rep), safego.Name("indexer"))
	<-done
	events := tr.all()
	if len(events) != 1 {
		t.Fatalf("%d events, want 1", len(events))
	}
	ev := events[0]
	exc := path(ev, "exception", 0)
	if ev["platform"] != "go" || ev["debug_meta"] != nil || path(exc, "type") != "*errors.errorString" ||
		path(exc, "value") != "index out of date" || path(ev, "tags", sentryguard.TagKind) != "panic" ||
		path(ev, "contexts", sentryguard.ContextName, "goroutine") != "indexer" {
		t.Errorf("event %v", ev)
	}
	if fn := path(exc, "stacktrace", "frames", -1, "function"); fn != "panicWithAnError" {
		t.Errorf("innermost frame %v, want panicWithAnError", path(exc, "stacktrace", "frames", -1))
	}
	if fp, _ := ev["fingerprint"].([]any); len(fp) != 1 || len(fmt.Sprint(fp[0])) != 16 {
		t.Errorf("fingerprint %v", ev["fingerprint"])
	}
}

//go:noinline
func panicWithAnError() { panic(errIndex) }

var errIndex = fmt.Errorf("index out of date")

// Nothing of an incident stays in the hub: the next event of the same hub
// carries no tag, context, fingerprint or image of it, and the hub's scope
// is as it was.
func TestNothingOfTheFaultLeaksIntoTheHub(t *testing.T) {
	hub, tr := newHub(t)
	hub.Scope().SetTag("service", "api")
	rec := sentryguard.NewRecorder(sentryguard.WithHub(hub))
	rec.Record(context.Background(), incident.FromError(cgoguard.Call(fx.NullRead.Fn, nil), 0))
	hub.CaptureMessage("after")
	events := tr.all()
	if len(events) != 2 {
		t.Fatalf("%d events, want 2", len(events))
	}
	if path(events[0], "tags", "service") != "api" || path(events[0], "tags", sentryguard.TagIncidentID) == nil {
		t.Errorf("the incident's event lacks the scope's or its own tags: %v", events[0]["tags"])
	}
	after := events[1]
	if tags, _ := after["tags"].(map[string]any); len(tags) != 1 || tags["service"] != "api" {
		t.Errorf("the next event's tags %v, want the scope's alone", after["tags"])
	}
	if after["fingerprint"] != nil || after["debug_meta"] != nil || path(after, "contexts", sentryguard.ContextName) != nil ||
		after["platform"] != "go" || after["exception"] != nil {
		t.Errorf("the next event carries the incident: %v", after)
	}
}

// With no client on any hub, Record sends nothing and does not fail.
func TestRecordWithoutAClient(t *testing.T) {
	rec := sentryguard.NewRecorder(sentryguard.WithHub(sentry.NewHub(nil, sentry.NewScope())))
	rec.Record(context.Background(), incident.FromError(cgoguard.Call(fx.NullRead.Fn, nil), 0))
}
