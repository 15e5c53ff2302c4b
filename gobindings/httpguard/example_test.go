//go:build cgo

package httpguard_test

import (
	"log"
	"log/slog"
	"net/http"
	"os"
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// A handler calls native code through cgoguard.Call; the middleware turns a
// fault into a 500 with an incident ID, logged as one JSON record.
func ExampleMiddleware() {
	decode := fx.NullWrite.Fn // stands for unsafe.Pointer(C.your_function)
	mux := http.NewServeMux()
	mux.HandleFunc("/decode", func(w http.ResponseWriter, r *http.Request) {
		var frame [64]byte
		if err := cgoguard.Call(decode, unsafe.Pointer(&frame)); err != nil {
			httpguard.WriteError(w, r, err) // or: panic(err)
			return
		}
		w.Write(frame[:])
	})
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	app := httpguard.Middleware(mux, httpguard.WithReporter(incident.Reporter{Logger: logger}))

	// Operators only: the fault clusters, on a mux of your choosing.
	ops := http.NewServeMux()
	ops.Handle("/", app)
	ops.Handle("/debug/cgoguard/", httpguard.DebugHandler())
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", ops))
}
