// Package otelguard records cgoguard incidents in OpenTelemetry: an
// exception event and an Error status on the span in the incident's
// context, and a counter of incidents.
//
// Record is an incident.Hook, so one incident.Reporter wires it into every
// boundary at once — httpguard and the adapters built on it (ginguard,
// echoguard, zeroguard), grpcguard and safego — each of which passes the
// request's, call's or goroutine's context, where otelhttp, otelgin,
// otelgrpc and the like put the span:
//
//	rep := incident.Reporter{Logger: logger, OnIncident: otelguard.Record}
//	handler := otelhttp.NewHandler(httpguard.Middleware(mux, httpguard.WithReporter(rep)), "api")
//	srv := grpc.NewServer(grpc.StatsHandler(otelgrpc.NewServerHandler()),
//		grpc.ChainUnaryInterceptor(grpcguard.UnaryServerInterceptor(grpcguard.WithReporter(rep))))
//	safego.GoContext(ctx, work, safego.WithReporter(rep))
//
// The counter's attributes are bounded — kind, signal, origin — and never
// carry an address, an ID or a path; the incident ID is on the span event,
// where one trace holds one incident.
package otelguard

import (
	"context"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// ScopeName is the instrumentation scope of the counter.
const ScopeName = "github.com/cgoguard/cgoguard/gobindings/otelguard"

// CounterName is the name of the counter of incidents.
const CounterName = "cgoguard.incidents"

// Attribute keys of the span event and the counter.
const (
	AttrIncidentID  = attribute.Key("cgoguard.incident_id")
	AttrKind        = attribute.Key("cgoguard.kind")
	AttrSignal      = attribute.Key("cgoguard.signal")
	AttrOrigin      = attribute.Key("cgoguard.origin")
	AttrFingerprint = attribute.Key("cgoguard.fingerprint")
	AttrNativeFrame = attribute.Key("cgoguard.native_frame")
)

// Recorder records incidents with the counter of one MeterProvider.
type Recorder struct{ counter metric.Int64Counter }

// Option configures NewRecorder.
type Option func(*recorderConfig)

type recorderConfig struct{ mp metric.MeterProvider }

// WithMeterProvider sets the MeterProvider of the counter (default: the
// global one, otel.GetMeterProvider()).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *recorderConfig) { c.mp = mp }
}

// NewRecorder creates the counter of incidents. Its Record method is an
// incident.Hook.
func NewRecorder(opts ...Option) (*Recorder, error) {
	cfg := recorderConfig{}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.mp == nil {
		cfg.mp = otel.GetMeterProvider()
	}
	counter, err := cfg.mp.Meter(ScopeName).Int64Counter(CounterName,
		metric.WithDescription("Incidents contained by cgoguard: Go panics and native faults, by kind, signal and origin."),
		metric.WithUnit("{incident}"))
	if err != nil {
		return nil, fmt.Errorf("otelguard: creating the %s counter: %w", CounterName, err)
	}
	return &Recorder{counter: counter}, nil
}

var defaultRecorder = sync.OnceValue(func() *Recorder {
	r, err := NewRecorder()
	if err != nil { // the global provider only fails for a bad name, and ours is fixed
		otel.Handle(err)
		return &Recorder{}
	}
	return r
})

// Record records inc with the global MeterProvider (which may be set
// before or after the first call: the global provider forwards to the
// first one set, as it does for every instrument) and on the span in ctx.
// It is an incident.Hook. NewRecorder takes an explicit provider.
func Record(ctx context.Context, inc *incident.Incident) { defaultRecorder().Record(ctx, inc) }

// Record adds one to the counter and, if ctx holds a recording span, adds
// an "exception" event to it — the incident ID, kind, signal, origin,
// fingerprint and innermost native frame — and sets its status to Error.
func (r *Recorder) Record(ctx context.Context, inc *incident.Incident) {
	bounded := []attribute.KeyValue{AttrKind.String(string(inc.Kind)), AttrOrigin.String(inc.Origin)}
	if sig := inc.Signal(); sig != "" {
		bounded = append(bounded, AttrSignal.String(sig))
	}
	if r.counter != nil {
		r.counter.Add(ctx, 1, metric.WithAttributes(bounded...))
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	frame := innermostFrame(inc)
	attrs := append(bounded,
		attribute.String("exception.type", "cgoguard."+string(inc.Kind)),
		attribute.String("exception.message", summary(inc, frame)),
		AttrIncidentID.String(inc.ID),
		AttrFingerprint.String(inc.Fingerprint))
	if frame != "" {
		attrs = append(attrs, AttrNativeFrame.String(frame))
	}
	span.AddEvent("exception", trace.WithAttributes(attrs...))
	span.SetStatus(codes.Error, "incident "+inc.ID)
}

// innermostFrame names the frame the fault is attributed to, as
// "function (file:line)" or "function": NativeFault.Site, the name the
// clusters use (for abort(), its caller rather than the C library's abort
// machinery; for a static function of a cgo preamble, that function rather
// than cgo's wrapper it is compiled into), with the line of its frame.
func innermostFrame(inc *incident.Incident) string {
	if inc.Fault == nil {
		return ""
	}
	fr, ok := inc.Fault.SiteFrame()
	switch {
	case !ok:
		return ""
	case fr.File != "":
		return fmt.Sprintf("%s (%s:%d)", fr.Function, fr.File, fr.Line)
	default:
		return fr.Function
	}
}

// summary is the event's exception.message: for a native fault the signal
// and the function, without addresses; otherwise the panic value or error
// text (bounded by incident.Incident.Message).
func summary(inc *incident.Incident, frame string) string {
	if inc.Fault == nil {
		return inc.Message()
	}
	s := inc.Signal()
	if inc.Fault.Exception {
		s = "C++ exception: " + inc.Fault.Message
	}
	if frame != "" {
		s += " in " + frame
	}
	return s
}
