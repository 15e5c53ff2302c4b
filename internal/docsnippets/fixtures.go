//go:build cgo

package docsnippets

import (
	"net/http"

	"github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
)

// mountCrashEndpoint is the staging snippet of docs/crash-fixtures.md.
func mountCrashEndpoint(ops *http.ServeMux) {
	ops.Handle("/debug/crash/{kind}", httpguard.Middleware(crashfixtures.Handler()))
	// curl -X POST http://127.0.0.1:9090/debug/crash/null-write   -> 500 + incident
	// curl http://127.0.0.1:9090/debug/crash/list                 -> the kinds, as JSON
}
