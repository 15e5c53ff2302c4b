// Package sentryguard sends cgoguard incidents to Sentry through the
// sentry-go SDK: contained native faults, Go panics and errors that a
// boundary reports, and the crashes the crash monitor records.
//
// Record is an incident.Hook, so one incident.Reporter wires it into every
// boundary at once — httpguard and the adapters built on it (ginguard,
// echoguard, zeroguard), grpcguard and safego — and into the crash monitor:
//
//	sentry.Init(sentry.ClientOptions{Dsn: dsn, Release: version})
//	rep := incident.Reporter{Logger: logger, OnIncident: sentryguard.Record}
//	crashmonitor.Start(crashmonitor.WithReporter(rep)) // after sentry.Init: the monitor runs the same code up to here
//	defer crashmonitor.Shutdown()
//	handler := sentryhttp.New(sentryhttp.Options{}).Handle(httpguard.Middleware(mux, httpguard.WithReporter(rep)))
//
// Each incident becomes one event:
//
//   - one exception whose stack trace holds the Go frames and, inside them,
//     the native frames, each with its absolute instruction_addr and its
//     module as package, so that Sentry symbolicates them server-side
//     against the debug files uploaded for their build IDs;
//   - debug_meta with one ELF image per native module: its build ID as
//     code_id, the debug_id Sentry derives from it, and its load address;
//   - the incident's fingerprint as Sentry's grouping fingerprint, so one
//     fault site is one Sentry issue whether a guard contained it or it
//     crashed the process;
//   - the incident ID as the tag incident_id (the ID a client saw in its
//     error response, and the one in the log record), kind, origin and
//     signal as tags, and a "cgoguard" context with the incident's fields.
//
// The event is sent through the hub in the hook's context — sentryhttp,
// sentrygin, sentryecho and the other Sentry integrations put one, carrying
// the request, into each request's context — or else through the hub given
// to NewRecorder, or the current hub. It is captured on a clone of that hub,
// so nothing of the incident stays in the hub's scope for later events.
// In the crash monitor (crashmonitor.FromContext) the event is fatal and
// unhandled, and Record flushes the client before it returns: the monitor
// ends right after its hook.
package sentryguard

import (
	"context"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/cgoguard/cgoguard/gobindings/crashmonitor"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// DefaultFlushTimeout bounds how long Record waits, in the crash monitor,
// for the client to send the event. It is below the monitor's default hook
// timeout (10 s).
const DefaultFlushTimeout = 5 * time.Second

// Recorder sends incidents to Sentry.
type Recorder struct {
	hub          *sentry.Hub
	flushTimeout time.Duration
}

// Option configures NewRecorder.
type Option func(*Recorder)

// WithHub sets the hub used when the hook's context carries none (default:
// sentry.CurrentHub() at the time of each incident).
func WithHub(hub *sentry.Hub) Option { return func(r *Recorder) { r.hub = hub } }

// WithFlushTimeout sets how long Record waits in the crash monitor for the
// event to be sent (default DefaultFlushTimeout).
func WithFlushTimeout(d time.Duration) Option { return func(r *Recorder) { r.flushTimeout = d } }

// NewRecorder returns a Recorder. Its Record method is an incident.Hook.
func NewRecorder(opts ...Option) *Recorder {
	r := &Recorder{flushTimeout: DefaultFlushTimeout}
	for _, opt := range opts {
		opt(r)
	}
	return r
}

var defaultRecorder = NewRecorder()

// Record sends inc to Sentry with the default Recorder. It is an
// incident.Hook.
func Record(ctx context.Context, inc *incident.Incident) { defaultRecorder.Record(ctx, inc) }

// Record sends inc to Sentry as one event (see Event) through the hub of
// ctx, else the Recorder's hub, else the current hub; with no client bound
// to that hub it does nothing. In the crash monitor it waits until the
// event is sent or the flush timeout has passed.
func (r *Recorder) Record(ctx context.Context, inc *incident.Incident) {
	hub := sentry.GetHubFromContext(ctx)
	if hub == nil {
		hub = r.hub
	}
	if hub == nil {
		hub = sentry.CurrentHub()
	}
	if hub.Client() == nil {
		return
	}
	crash, inMonitor := crashmonitor.FromContext(ctx)
	// A clone: the event processor below, and whatever the SDK records
	// about this capture, stay out of the scope that later events share.
	hub = hub.Clone()
	hub.Scope().AddEventProcessor(func(ev *sentry.Event, _ *sentry.EventHint) *sentry.Event {
		finish(ev, inc)
		return ev
	})
	hub.CaptureEvent(eventOf(inc, crash))
	if inMonitor {
		hub.Flush(r.flushTimeout)
	}
}
