//go:build cgo

package httpguard_test

import (
	"net/http"
	"os"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/internal/testbinary"
)

func TestMain(m *testing.M) {
	testbinary.EnsureUnstripped() // native frames are named in these tests
	if err := cgoguard.Init(cgoguard.ContainAbort()); err != nil {
		panic(err)
	}
	<-cgoguard.SymbolizerReady() // tests read fault names right after Call
	os.Exit(m.Run())
}

// crashFixtures are the native crash fixtures the test server exposes at
// /crash/{name}: each faults (or throws) inside cgoguard.Call, and the
// handler panics with the error it gets.
var crashFixtures = fx.Crashes()

// goPanics are Go panics the test server raises at /panic/{name}.
var goPanics = map[string]func(){
	"nil-map": func() {
		var m map[string]int
		m["x"] = 1
	},
	"index": func() {
		s := []int{}
		_ = s[len(os.Args)+1]
	},
	"value": func() { panic("something went wrong at 0xdeadbeef in secret_function") },
}

// testMux is the application under the middleware: a healthy endpoint that
// runs native code, the crash fixtures, Go panics.
func testMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		arg := fx.NewIntArg(41)
		defer arg.Free()
		if err := cgoguard.Call(fx.Increment.Fn, arg.Ptr()); err != nil {
			panic(err)
		}
		if arg.Int() != 42 {
			panic("the native function did not run")
		}
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/crash/{name}", func(w http.ResponseWriter, r *http.Request) {
		f, ok := crashFixtures[r.PathValue("name")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png") // must not survive into the 500
		if err := cgoguard.Call(f.Fn, nil); err != nil {
			panic(err)
		}
		w.Write([]byte("the fixture returned?"))
	})
	mux.HandleFunc("/write-error/{name}", func(w http.ResponseWriter, r *http.Request) {
		if err := cgoguard.Call(crashFixtures[r.PathValue("name")].Fn, nil); err != nil {
			httpguard.WriteError(w, r, err)
			return
		}
		w.Write([]byte("the fixture returned?"))
	})
	mux.HandleFunc("/panic/{name}", func(w http.ResponseWriter, r *http.Request) {
		goPanics[r.PathValue("name")]()
	})
	return mux
}
