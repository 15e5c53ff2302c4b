// Package httpguard is net/http middleware that contains, per request, Go
// panics and native faults, so that one bad request costs one 500 response
// instead of the process.
//
// A handler that gets a *cgoguard.NativeFault from cgoguard.Call may simply
// panic with it, or call WriteError, which answers the same way:
//
//	mux.HandleFunc("/decode", func(w http.ResponseWriter, r *http.Request) {
//		if err := cgoguard.Call(unsafe.Pointer(C.decode), arg); err != nil {
//			httpguard.WriteError(w, r, err) // or: panic(err)
//			return
//		}
//		...
//	})
//	http.ListenAndServe("127.0.0.1:8080", httpguard.Middleware(mux))
//
// For every contained panic or fault the middleware
//
//   - answers 500, if nothing was written yet, with a short JSON body (plain
//     text when the client's Accept header prefers text) that carries an
//     incident ID and nothing else of the inside: no addresses, no stack, no
//     function or file names — an address in a response defeats ASLR. The ID
//     is also in the X-Incident-Id header;
//   - logs one log/slog record with the same ID, the request's method and
//     path, the kind, signal and fingerprint, the native frames and the Go
//     stack (see incident.Incident.LogAttrs);
//   - records it in the fault clusters (DebugHandler serves them) and calls
//     the reporter's hook, if any, with the request's context.
//
// Where incidents go is one incident.Reporter, given with WithReporter; the
// same value configures grpcguard, safego and the framework adapters, so a
// fault is logged, clustered and traced the same way on every transport:
//
//	rep := incident.Reporter{Logger: logger, OnIncident: otelguard.Record}
//	handler := httpguard.Middleware(mux, httpguard.WithReporter(rep))
//
// A panic with http.ErrAbortHandler is re-panicked, so the server aborts the
// connection as net/http intends. A client that went away (broken pipe,
// connection reset, canceled request) is not a server fault: it is logged
// at debug level only. A panic after the response was started cannot change
// the status: the incident is reported and the connection aborted, so the
// client sees a broken response rather than a truncated one that looks
// complete. A call refused by a quarantine (quarantine.ErrQuarantined) is
// answered 503 with a Retry-After header, and is not an incident.
package httpguard
