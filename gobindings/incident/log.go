package incident

import (
	"fmt"
	"log/slog"
	"path/filepath"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// LogMessage is the message of the incident's log record.
func (inc *Incident) LogMessage() string {
	switch inc.Kind {
	case KindNativeFault:
		return "native fault contained"
	case KindPanic:
		return "panic recovered"
	case KindGoexit:
		return "goroutine ended by runtime.Goexit"
	default:
		return "error reported"
	}
}

// LogAttrs returns the attributes of the incident's one log record, flat so
// that a JSON log pipeline keeps it as one record:
//
//	incident_id, kind, origin        always
//	method, path                     HTTP requests
//	path                             gRPC calls: the full method name
//	goroutine                        named safego goroutines and groups
//	signal                           native faults ("SIGSEGV", "cxx_exception")
//	fingerprint, error               always
//	fault_id, fault_code, fault_addr, fault_pc, thread_id, tainted
//	                                 native faults
//	native_frames                    native faults: ["func+0xoff (file:line) [module+0xoff]", ...], innermost first
//	native_modules                   native faults, one per native frame: [{"module": base name, "build_id": hex
//	                                 GNU build ID, "offset": "0x..." (Frame.ModuleOffset)}, ...]; what
//	                                 cmd/cgoguard-symbolize needs to name the frames of a stripped binary offline
//	go_stack                         ["func (file:line)", ...], innermost first
//
// The record holds internals (addresses, function and file names): it is for
// operators, never for clients.
func (inc *Incident) LogAttrs() []slog.Attr {
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs,
		slog.String("incident_id", inc.ID),
		slog.String("kind", string(inc.Kind)),
		slog.String("origin", inc.Origin))
	// Each only when set: a gRPC call has a path (its full method name) but
	// no HTTP method, and an empty "method" would read as a missing one.
	if inc.Method != "" {
		attrs = append(attrs, slog.String("method", inc.Method))
	}
	if inc.Path != "" {
		attrs = append(attrs, slog.String("path", inc.Path))
	}
	if inc.Goroutine != "" {
		attrs = append(attrs, slog.String("goroutine", inc.Goroutine))
	}
	if sig := inc.Signal(); sig != "" {
		attrs = append(attrs, slog.String("signal", sig))
	}
	attrs = append(attrs,
		slog.String("fingerprint", inc.Fingerprint),
		slog.String("error", inc.Message()))
	if nf := inc.Fault; nf != nil {
		native := make([]string, len(nf.Frames), len(nf.Frames)+1)
		modules := make([]NativeModule, len(nf.Frames))
		for i, fr := range nf.Frames {
			native[i] = fr.String()
			modules[i] = NativeModule{BuildID: fr.BuildID, Offset: fmt.Sprintf("%#x", fr.ModuleOffset)}
			if fr.Module != "" {
				modules[i].Module = filepath.Base(fr.Module)
			}
		}
		if nf.Truncated {
			native = append(native, "(deeper frames truncated)")
		}
		attrs = append(attrs,
			slog.Uint64("fault_id", nf.ID),
			slog.Int("fault_code", nf.Code),
			slog.String("fault_addr", fmt.Sprintf("%#x", nf.Addr)),
			slog.String("fault_pc", fmt.Sprintf("%#x", nf.PC)),
			slog.Int("thread_id", nf.ThreadID),
			slog.Bool("tainted", cgoguard.Tainted()),
			slog.Any("native_frames", native),
			slog.Any("native_modules", modules))
	}
	goStack := inc.GoStack()
	gs := make([]string, len(goStack))
	for i, fr := range goStack {
		gs[i] = goFrameString(fr)
	}
	return append(attrs, slog.Any("go_stack", gs))
}

// NativeModule locates one native frame in its module, in an incident's log
// record (native_modules): enough to symbolize the frame offline against the
// unstripped binary or its debug file, found by BuildID.
type NativeModule struct {
	Module  string `json:"module"`   // base name of the executable or shared object ("" if unknown)
	BuildID string `json:"build_id"` // hex GNU build ID ("" if the module has none)
	Offset  string `json:"offset"`   // "0x..." the frame's address minus the module's load address
}
