package sentryguard

import (
	"fmt"
	"log/slog"
	"runtime"

	"github.com/getsentry/sentry-go"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/crashmonitor"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// Tag keys of an event. The incident ID's key is the log record's.
const (
	TagIncidentID = "incident_id"
	TagKind       = "cgoguard.kind"
	TagOrigin     = "cgoguard.origin"
	TagSignal     = "cgoguard.signal"
)

// ContextName is the name of the event's context holding the incident's
// fields.
const ContextName = "cgoguard"

// MechanismType is the exception mechanism of every event.
const MechanismType = "cgoguard"

// eventOf builds the event of inc; crash is the monitor's crash, nil for an
// incident of the live program.
func eventOf(inc *incident.Incident, crash *crashmonitor.Crash) *sentry.Event {
	ev := sentry.NewEvent()
	ev.Level = sentry.LevelError
	ev.Timestamp = inc.Time
	if inc.Fingerprint != "" {
		ev.Fingerprint = []string{inc.Fingerprint}
	}
	ev.Tags = map[string]string{TagIncidentID: inc.ID, TagKind: string(inc.Kind), TagOrigin: inc.Origin}
	if sig := inc.Signal(); sig != "" {
		ev.Tags[TagSignal] = sig
	}
	ev.Contexts[ContextName] = contextOf(inc, crash)

	handled := crash == nil
	if !handled {
		ev.Level = sentry.LevelFatal
	}
	exc := sentry.Exception{
		Type:       exceptionType(inc),
		Value:      exceptionValue(inc),
		Mechanism:  &sentry.Mechanism{Type: MechanismType, Handled: &handled},
		Stacktrace: stacktrace(inc),
	}
	if nf := inc.Fault; nf != nil {
		exc.ThreadID = uint64(nf.ThreadID)
		exc.Mechanism.Data = map[string]any{
			"signal": int(nf.Signal), "code": nf.Code, "fault_addr": addrString(nf.Addr), "fault_pc": addrString(nf.PC),
		}
		if images := debugImages(nf.Frames); len(images) > 0 {
			ev.DebugMeta = &sentry.DebugMeta{Images: images}
		}
	}
	ev.Exception = []sentry.Exception{exc}
	return ev
}

// finish completes the event once the SDK has prepared it: the SDK names
// every event's platform "go", but Sentry symbolicates the native frames
// of "native" events only; and a request from the scope (sentryhttp's)
// is richer than the incident's method and path, so those fill in only
// when there is none.
func finish(ev *sentry.Event, inc *incident.Incident) {
	if ev.DebugMeta != nil {
		ev.Platform = "native"
	}
	if ev.Request == nil && inc.Origin == incident.OriginHTTP && inc.Method != "" {
		ev.Request = &sentry.Request{Method: inc.Method, URL: inc.Path}
	}
}

// exceptionType is Sentry's issue title: the signal of a native fault, the
// panic value's or error's type, or the monitor's kind of crash.
func exceptionType(inc *incident.Incident) string {
	switch {
	case inc.Fault != nil:
		return inc.Signal()
	case inc.Kind == incident.KindPanic || inc.Kind == incident.KindError:
		return fmt.Sprintf("%T", inc.Value)
	default:
		return string(inc.Kind)
	}
}

// exceptionValue is the subtitle: for a native fault what happened
// and where (the fault site NativeFault.Site names, which Sentry's own
// title would not: it takes the innermost frame, abort()'s libc frames for
// an abort); otherwise the incident's message.
func exceptionValue(inc *incident.Incident) string {
	nf := inc.Fault
	if nf == nil {
		return inc.Message()
	}
	v := nf.Message
	if site := nf.Site(); site != "" {
		v += " in " + site
	}
	return v
}

// stacktrace holds the Go frames, outermost first as Sentry orders them,
// then, for a native fault, the native frames down to the faulting one.
func stacktrace(inc *incident.Incident) *sentry.Stacktrace {
	goStack := inc.GoStack()
	var native []cgoguard.Frame
	if inc.Fault != nil {
		native = inc.Fault.Frames
	}
	frames := make([]sentry.Frame, 0, len(goStack)+len(native))
	for i := len(goStack) - 1; i >= 0; i-- {
		fr := goStack[i]
		frames = append(frames, sentry.NewFrame(runtime.Frame{Function: fr.Function, File: fr.File, Line: fr.Line}))
	}
	for i := len(native) - 1; i >= 0; i-- {
		frames = append(frames, nativeFrame(native[i]))
	}
	if len(frames) == 0 {
		return nil
	}
	return &sentry.Stacktrace{Frames: frames}
}

// nativeFrame is a native frame as Sentry's symbolication reads it: the
// absolute instruction address and the module (an image of debug_meta),
// with whatever name, file and line cgoguard already has.
func nativeFrame(fr cgoguard.Frame) sentry.Frame {
	return sentry.Frame{
		Function:        fr.Function,
		Package:         fr.Module,
		AbsPath:         fr.File,
		Filename:        fr.File,
		Lineno:          fr.Line,
		InstructionAddr: addrString(fr.PC),
		Platform:        "native",
		InApp:           fr.Function == "" || !cgoguard.IncidentalFrame(fr.Function),
	}
}

// contextOf is the "cgoguard" context: the fields of the incident's log
// record, but the frames and modules (the stack trace and debug_meta hold
// them), plus the crashed process for a monitor record.
func contextOf(inc *incident.Incident, crash *crashmonitor.Crash) sentry.Context {
	c := sentry.Context{}
	for _, a := range inc.LogAttrs() {
		switch a.Key {
		case "native_frames", "native_modules", "go_stack":
			continue
		}
		c[a.Key] = attrValue(a.Value)
	}
	if crash != nil {
		c["pid"] = crash.PID
		c["previous_run"] = crash.Previous
	}
	return c
}

func attrValue(v slog.Value) any {
	v = v.Resolve()
	if v.Kind() == slog.KindTime {
		return v.Time()
	}
	return v.Any()
}

func addrString(v uintptr) string { return fmt.Sprintf("%#x", v) }
