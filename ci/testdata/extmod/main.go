// A service outside the cgoguard module that uses it as a new user does:
// `go get`, an import, `go build`. It guards its own C function with
// cgoguard.Call (native.go) and wraps a handler that panics in httpguard.
// Built without cgo (CGO_ENABLED=0) it must still compile and contain Go
// panics, while Call says that cgo is required (native_nocgo.go).
// ci/test-extmod.sh builds and runs it every way a user would.
package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/cgoguard/cgoguard/gobindings/httpguard"
)

func main() {
	if !nativeCheck() {
		os.Exit(1)
	}
	handler := httpguard.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]int
		m[r.URL.Path]++ // a Go panic: nil map
	}))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest("GET", "/panic", nil))
	fmt.Printf("Go panic: contained, status %d\n", rec.Code)
}
