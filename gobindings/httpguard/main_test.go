package httpguard_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
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

// discard is a logger for tests that do not read the log.
var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// logCapture is a JSON slog logger whose records the test reads back, one
// decoded object per line.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (lc *logCapture) Write(p []byte) (int, error) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.buf.Write(p)
}

func newLogCapture() (*logCapture, *slog.Logger) {
	lc := &logCapture{}
	return lc, slog.New(slog.NewJSONHandler(lc, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// records decodes every line; each must be one JSON object.
func (lc *logCapture) records(t *testing.T) []map[string]any {
	t.Helper()
	lc.mu.Lock()
	defer lc.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(lc.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not one JSON record: %v\n%s", err, line)
		}
		out = append(out, rec)
	}
	return out
}

// withID returns the records that carry incident_id id.
func (lc *logCapture) withID(t *testing.T, id string) []map[string]any {
	var out []map[string]any
	for _, rec := range lc.records(t) {
		if rec["incident_id"] == id {
			out = append(out, rec)
		}
	}
	return out
}

func (lc *logCapture) atLeast(t *testing.T, level slog.Level) []map[string]any {
	var out []map[string]any
	for _, rec := range lc.records(t) {
		var l slog.Level
		if err := l.UnmarshalText([]byte(rec["level"].(string))); err != nil {
			t.Fatal(err)
		}
		if l >= level {
			out = append(out, rec)
		}
	}
	return out
}
