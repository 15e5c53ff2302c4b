// Package crashtest is a service's HTTP handler that runs native code, and,
// in decode_test.go, the test that proves every kind of native crash in that
// code is contained and reported: a 500 with an incident ID, an incident
// whose fault is of that kind, and a service that keeps serving. Copy the
// pattern into your service's tests.
package crashtest

import (
	"net/http"
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
)

// Service answers GET /decode by running its native decoder under a guard.
type Service struct {
	// Decode is the native decoder, a C `void decode(void*)`: in the real
	// service unsafe.Pointer(C.decode); the test puts a crash fixture here.
	Decode unsafe.Pointer
}

// Handler serves the application behind httpguard, which turns a native
// fault into a 500 with an incident ID and reports the incident.
func (s *Service) Handler(opts ...httpguard.Option) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /decode", func(w http.ResponseWriter, r *http.Request) {
		if err := cgoguard.Call(s.Decode, nil); err != nil {
			panic(err) // httpguard answers 500 and reports the fault
		}
		w.Write([]byte("decoded\n"))
	})
	return httpguard.Middleware(mux, opts...)
}
