package otelguard_test

import (
	"context"
	"fmt"
	"log/slog"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/otelguard"
	"github.com/cgoguard/cgoguard/gobindings/safego"
)

// Record is a hook: one Reporter carries it to every boundary. Here a
// goroutine's fault lands on the span of the context it was started with.
func ExampleRecord() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	rep := incident.Reporter{Logger: slog.New(slog.DiscardHandler), OnIncident: otelguard.Record}

	ctx, span := tp.Tracer("example").Start(context.Background(), "reindex")
	g, _ := safego.NewGroup(ctx, safego.WithReporter(rep))
	g.Go(func(ctx context.Context) error {
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); err != nil {
			panic(err)
		}
		return nil
	})
	g.Wait()
	span.End()

	got := spans.Ended()[0]
	ev := got.Events()[0]
	for _, kv := range ev.Attributes {
		if kv.Key == otelguard.AttrKind || kv.Key == otelguard.AttrSignal || kv.Key == otelguard.AttrOrigin {
			fmt.Println(kv.Key, kv.Value.Emit())
		}
	}
	fmt.Println(got.Status().Code, ev.Name)
	// Output:
	// cgoguard.kind native_fault
	// cgoguard.origin goroutine
	// cgoguard.signal SIGSEGV
	// Error exception
}
