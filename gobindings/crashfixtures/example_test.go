//go:build cgo

package crashfixtures_test

import (
	"log"
	"net/http"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
)

// A staging service mounts the crash endpoint on its operators' listener,
// behind httpguard, so that a fired crash goes through the same incident
// pipeline as a real one:
//
//	curl -X POST http://127.0.0.1:9090/debug/crash/null-write  # 500 + incident ID
//	curl http://127.0.0.1:9090/debug/crash/list                # the kinds, as JSON
func ExampleHandler() {
	// Without ContainAbort the abort() kinds are refused with 409.
	if err := cgoguard.Init(cgoguard.ContainAbort()); err != nil {
		log.Fatal(err)
	}
	ops := http.NewServeMux()
	ops.Handle("/debug/crash/{kind}", httpguard.Middleware(crashfixtures.Handler()))
	ops.Handle("/debug/cgoguard/", httpguard.DebugHandler())
	log.Fatal(http.ListenAndServe("127.0.0.1:9090", ops))
}
