package otelguard_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/internal/testbinary"
	"github.com/cgoguard/cgoguard/gobindings/otelguard"
	"github.com/cgoguard/cgoguard/gobindings/safego"
)

func TestMain(m *testing.M) {
	testbinary.EnsureUnstripped() // the span event names the innermost native frame
	if err := cgoguard.Init(); err != nil {
		panic(err)
	}
	<-cgoguard.SymbolizerReady() // tests read fault names right after Call
	os.Exit(m.Run())
}

// sdk is an OpenTelemetry SDK with in-memory exporters.
type sdk struct {
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	rec    *otelguard.Recorder
}

func newSDK(t *testing.T) *sdk {
	s := &sdk{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	s.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(s.spans))
	rec, err := otelguard.NewRecorder(otelguard.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(s.reader))))
	if err != nil {
		t.Fatal(err)
	}
	s.rec = rec
	return s
}

// counts returns the counter's points by their attribute set.
func (s *sdk) counts(t *testing.T) map[attribute.Distinct]metricdata.DataPoint[int64] {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := s.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[attribute.Distinct]metricdata.DataPoint[int64]{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sm.Scope.Name != otelguard.ScopeName || m.Name != otelguard.CounterName {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				out[dp.Attributes.Equivalent()] = dp
			}
		}
	}
	return out
}

func eventAttrs(ev sdktrace.Event) map[attribute.Key]string {
	out := map[attribute.Key]string{}
	for _, kv := range ev.Attributes {
		out[kv.Key] = kv.Value.Emit()
	}
	return out
}

// The one reporter, with Record as its hook, behind otelhttp: the server
// span of a crashing request carries the exception event and Error status,
// and the counter counts it by kind and signal.
func TestHTTPIncidentIsOnTheRequestSpanAndCounted(t *testing.T) {
	s := newSDK(t)
	rep := incident.Reporter{Logger: slog.New(slog.DiscardHandler), OnIncident: s.rec.Record}
	mux := http.NewServeMux()
	mux.HandleFunc("/decode", func(w http.ResponseWriter, r *http.Request) {
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); err != nil {
			panic(err)
		}
	})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) { panic("bug") })
	srv := httptest.NewServer(otelhttp.NewHandler(httpguard.Middleware(mux, httpguard.WithReporter(rep)), "api",
		otelhttp.WithTracerProvider(s.tp)))
	defer srv.Close()

	ids := map[string]string{}
	for _, path := range []string{"/decode", "/decode", "/panic"} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		ids[resp.Header.Get(httpguard.HeaderIncidentID)] = path
	}
	spans := s.spans.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3", len(spans))
	}
	for _, span := range spans {
		if span.Status().Code != codes.Error || len(span.Events()) != 1 || span.Events()[0].Name != "exception" {
			t.Errorf("span %s: status %v, events %v", span.Name(), span.Status(), span.Events())
			continue
		}
		ev := eventAttrs(span.Events()[0])
		path, ok := ids[ev[otelguard.AttrIncidentID]]
		if !ok || len(ev[otelguard.AttrFingerprint]) != 16 {
			t.Errorf("event %v does not name its incident (%v)", ev, ids)
		}
		switch path {
		case "/decode":
			if ev[otelguard.AttrKind] != "native_fault" || ev[otelguard.AttrSignal] != "SIGSEGV" ||
				!strings.HasPrefix(ev[otelguard.AttrNativeFrame], "cgg_fx_null_write") ||
				ev["exception.message"] != "SIGSEGV in "+ev[otelguard.AttrNativeFrame] {
				t.Errorf("native fault event %v", ev)
			}
		case "/panic":
			if ev[otelguard.AttrKind] != "panic" || ev["exception.message"] != "bug" || ev[otelguard.AttrSignal] != "" {
				t.Errorf("panic event %v", ev)
			}
		}
		if strings.Contains(ev["exception.message"], "0x") {
			t.Errorf("the event message holds an address: %v", ev)
		}
	}

	counts := s.counts(t)
	native := attribute.NewSet(otelguard.AttrKind.String("native_fault"), otelguard.AttrOrigin.String("http"),
		otelguard.AttrSignal.String("SIGSEGV"))
	panics := attribute.NewSet(otelguard.AttrKind.String("panic"), otelguard.AttrOrigin.String("http"))
	if len(counts) != 2 || counts[native.Equivalent()].Value != 2 || counts[panics.Equivalent()].Value != 1 {
		t.Errorf("counter points %v, want 2 native faults and 1 panic, by kind/origin/signal only", counts)
	}
}

// A goroutine's incident lands on the span of the context GoContext got.
func TestGoroutineIncidentIsOnTheCallersSpan(t *testing.T) {
	s := newSDK(t)
	done := make(chan struct{})
	rep := incident.Reporter{Logger: slog.New(slog.DiscardHandler), OnIncident: incident.Hooks(s.rec.Record,
		func(context.Context, *incident.Incident) { close(done) })}
	ctx, span := s.tp.Tracer("test").Start(context.Background(), "job")
	safego.GoContext(ctx, func(ctx context.Context) {
		if err := cgoguard.Call(fx.ReadonlyWrite.Fn, nil); err != nil {
			panic(err)
		}
	}, safego.WithReporter(rep))
	<-done
	span.End()
	got := s.spans.Ended()[0]
	if got.Status().Code != codes.Error || len(got.Events()) != 1 || eventAttrs(got.Events()[0])[otelguard.AttrOrigin] != "goroutine" {
		t.Errorf("span status %v, events %v", got.Status(), got.Events())
	}
}

// globalReader reads the global MeterProvider, which a process sets once:
// the global provider forwards the instruments made before to the first
// provider set, and only to that one.
var (
	globalOnce   sync.Once
	globalReader *sdkmetric.ManualReader
)

// Record uses the global providers: a MeterProvider set after the first
// call still gets the counts (the global provider forwards).
func TestRecordUsesTheGlobalMeterProvider(t *testing.T) {
	inc := incident.FromError(cgoguard.Call(fx.NullRead.Fn, nil), 0)
	inc.Origin = incident.OriginHTTP
	globalOnce.Do(func() {
		otelguard.Record(context.Background(), inc) // before the provider is set: no span, no error
		globalReader = sdkmetric.NewManualReader()
		otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(globalReader)))
	})
	value := func() (n int64) { // every attribute set (ExampleRecord counts too)
		var rm metricdata.ResourceMetrics
		globalReader.Collect(context.Background(), &rm)
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name == otelguard.CounterName {
					for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
						n += dp.Value
					}
				}
			}
		}
		return n
	}
	before := value()
	otelguard.Record(context.Background(), inc)
	if got := value() - before; got != 1 {
		t.Errorf("the global provider counted %d, want 1", got)
	}
}

// An abort() is named after the function that called it, as
// NativeFault.Site names it, not after the C library's abort machinery
// (raise, __pthread_kill_implementation) that is innermost on its stack.
func TestAbortEventNamesTheCaller(t *testing.T) {
	if err := cgoguard.Init(cgoguard.ContainAbort()); err != nil {
		t.Fatal(err)
	}
	s := newSDK(t)
	ctx, span := s.tp.Tracer("test").Start(context.Background(), "job")
	inc := incident.FromError(cgoguard.Call(fx.Abort.Fn, nil), 0)
	s.rec.Record(ctx, inc)
	span.End()
	got := s.spans.Ended()[0]
	if len(got.Events()) != 1 {
		t.Fatalf("events %v, want one", got.Events())
	}
	ev := eventAttrs(got.Events()[0])
	if frame := ev[otelguard.AttrNativeFrame]; !strings.HasPrefix(frame, inc.Fault.Site()+" (") ||
		!strings.HasPrefix(frame, "cgg_fx_abort") || ev["exception.message"] != "SIGABRT in "+frame {
		t.Errorf("abort event %v, want it named after %q", ev, inc.Fault.Site())
	}
}
