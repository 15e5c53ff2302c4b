// Package zeroguard is go-zero REST middleware that contains, per request,
// Go panics and native faults with httpguard:
//
//	server := rest.MustNewServer(conf)
//	server.Use(zeroguard.Middleware(httpguard.WithReporter(rep)))
//
// A handler may panic with the *cgoguard.NativeFault it got from
// cgoguard.Call, or answer with httpguard.WriteError(w, r, err): either way
// the fault becomes one incident (log record, cluster, the reporter's hook
// with the request's context) and a 500 whose body carries the incident
// ID and nothing else. A call refused by a quarantine answers 503 with
// Retry-After. go-zero's handlers pass the response writer through, so
// httpguard sees whether the response was started: a panic after that
// aborts the connection (the client sees a cut body, not a truncated one
// that looks complete), as with plain net/http.
package zeroguard

import (
	"net/http"

	"github.com/zeromicro/go-zero/rest"

	"github.com/cgoguard/cgoguard/gobindings/httpguard"
)

// Middleware returns go-zero middleware with httpguard's options
// (httpguard.WithReporter, httpguard.WithResponder).
func Middleware(opts ...httpguard.Option) rest.Middleware {
	guard := httpguard.New(opts...)
	return func(next http.HandlerFunc) http.HandlerFunc { return guard(next).ServeHTTP }
}
