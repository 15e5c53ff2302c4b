// Command example wires otelguard into an HTTP service behind otelhttp: a
// request whose handler faults in native code (a crash fixture standing for
// your C library) gets an exception event and an Error status on its server
// span, and counts in cgoguard.incidents. It makes one healthy and one
// crashing request, prints the spans and the counter, and exits.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/otelguard"
)

func main() {
	if err := cgoguard.Init(); err != nil {
		log.Fatal(err)
	}
	<-cgoguard.SymbolizerReady()         // names for the span event (build with go build: go run strips them)
	spans := tracetest.NewSpanRecorder() // in a service: an OTLP exporter
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	reader := sdkmetric.NewManualReader()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))

	// One reporter, with otelguard.Record as its hook, for every boundary.
	rep := incident.Reporter{Logger: slog.New(slog.DiscardHandler), OnIncident: otelguard.Record}
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/crash", func(w http.ResponseWriter, r *http.Request) {
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); err != nil {
			panic(err)
		}
	})
	srv := httptest.NewServer(otelhttp.NewHandler(httpguard.Middleware(mux, httpguard.WithReporter(rep)), "api"))
	defer srv.Close()
	for _, path := range []string{"/ok", "/crash"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
	}

	for _, s := range spans.Ended() {
		fmt.Printf("span %q status %s\n", s.Name(), s.Status().Code)
		for _, ev := range s.Events() {
			fmt.Printf("  event %q\n", ev.Name)
			for _, kv := range ev.Attributes {
				fmt.Printf("    %s = %s\n", kv.Key, kv.Value.Emit())
			}
		}
	}
	var rm metricdata.ResourceMetrics
	reader.Collect(context.Background(), &rm)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != otelguard.CounterName {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				fmt.Printf("%s %v = %d\n", m.Name, dp.Attributes.ToSlice(), dp.Value)
			}
		}
	}
}
