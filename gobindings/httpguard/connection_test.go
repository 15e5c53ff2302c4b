package httpguard_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/internal/testlog"
)

// newServer serves h. sl captures what net/http itself logs (panics it
// recovered, superfluous WriteHeader calls); done receives a value each time
// h has returned (or panicked), so a test knows the middleware has finished
// with a request whatever the client saw.
func newServer(t *testing.T, h http.Handler) (srv *httptest.Server, sl *testlog.Sink, done <-chan struct{}) {
	sl = &testlog.Sink{}
	doneCh := make(chan struct{}, 16)
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { doneCh <- struct{}{} }()
		h.ServeHTTP(w, r)
	}))
	srv.Config.ErrorLog = log.New(sl, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, sl, doneCh
}

func wait(t *testing.T, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler never returned")
	}
}

func TestErrAbortHandlerAbortsTheConnection(t *testing.T) {
	logs, logger := newLogCapture()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) })
	srv, serverLog, done := newServer(t, httpguard.Middleware(mux, httpguard.WithReporter(incident.Reporter{Logger: logger})))

	resp, err := srv.Client().Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got a response (%d), want the connection aborted", resp.StatusCode)
	}
	wait(t, done)
	if recs := logs.Records(t); len(recs) != 0 {
		t.Errorf("ErrAbortHandler was logged: %v", recs)
	}
	if s := serverLog.String(); s != "" {
		t.Errorf("net/http logged: %s", s)
	}
}

// A client that hangs up while the handler streams to it: the handler's
// write fails with a broken pipe or reset, and the handler panics with that
// error. That is the client's doing, not a server fault.
func TestClientThatWentAwayIsNotLoggedAsAFault(t *testing.T) {
	logs, logger := newLogCapture()
	mux := http.NewServeMux()
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for {
			if _, err := w.Write(chunk); err != nil {
				panic(err) // what `must(w.Write(...))` code does
			}
			w.(http.Flusher).Flush()
		}
	})
	srv, serverLog, done := newServer(t, httpguard.Middleware(mux, httpguard.WithReporter(incident.Reporter{Logger: logger})))

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, "GET /stream HTTP/1.1\r\nHost: test\r\n\r\n")
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(status, "200") {
		t.Fatalf("status line %q, %v", status, err)
	}
	conn.(*net.TCPConn).SetLinger(0) // close with a reset
	conn.Close()

	wait(t, done)
	if recs := atLeast(t, logs, slog.LevelInfo); len(recs) != 0 {
		t.Errorf("a client that went away was logged as a fault: %v", recs)
	}
	var gone int
	for _, rec := range logs.Records(t) {
		if rec["msg"] == "client went away" && rec["path"] == "/stream" {
			gone++
		}
	}
	if gone != 1 {
		t.Errorf("want one debug record for the departed client, got %v", logs.Records(t))
	}
	if s := serverLog.String(); strings.Contains(s, "panic") {
		t.Errorf("net/http logged a panic: %s", s)
	}
}

// The response was started (200 and part of the body sent) when the handler
// panicked: the middleware must not write a second header, and the client
// must see a broken response, not a truncated one that looks complete.
func TestPanicAfterHeadersWritesNoSecondHeader(t *testing.T) {
	logs, logger := newLogCapture()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		panic("too late")
	})
	srv, serverLog, done := newServer(t, httpguard.Middleware(mux, httpguard.WithReporter(incident.Reporter{Logger: logger})))

	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	wait(t, done)
	if resp.StatusCode != 200 || string(body) != "partial" || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("got %d %q, %v; want 200, the partial body, then an unexpected EOF", resp.StatusCode, body, err)
	}
	if resp.Header.Get(httpguard.HeaderIncidentID) != "" {
		t.Error("an incident header on a response started before the panic")
	}
	recs := atLeast(t, logs, slog.LevelError)
	if len(recs) != 1 || recs[0]["kind"] != "panic" || recs[0]["error"] != "too late" {
		t.Errorf("want the panic logged once, got %v", recs)
	}
	if s := serverLog.String(); strings.Contains(s, "superfluous") || strings.Contains(s, "panic") {
		t.Errorf("net/http logged: %s", s)
	}
}

// A handler that hijacked the connection and then panics is reported, and
// nothing is written on a connection the middleware no longer owns.
func TestPanicAfterHijackIsReportedOnly(t *testing.T) {
	logs, logger := newLogCapture()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		buf.WriteString("HTTP/1.1 101 Switching Protocols\r\n\r\nhello")
		buf.Flush()
		conn.Close()
		panic("after hijack")
	})
	srv, serverLog, done := newServer(t, httpguard.Middleware(mux, httpguard.WithReporter(incident.Reporter{Logger: logger})))
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: test\r\n\r\n")
	got, _ := io.ReadAll(conn)
	if string(got) != "HTTP/1.1 101 Switching Protocols\r\n\r\nhello" {
		t.Errorf("the connection carried %q", got)
	}
	wait(t, done)
	if recs := atLeast(t, logs, slog.LevelError); len(recs) != 1 || recs[0]["error"] != "after hijack" {
		t.Errorf("want the panic logged once, got %v", recs)
	}
	if s := serverLog.String(); s != "" {
		t.Errorf("net/http logged: %s", s)
	}
}
