// Command sqlitefault runs a native fault deep inside SQLite (a loadable
// extension's function, called by sqlite3_step under SQLite's frames and
// its connection mutex) from an httpguard-wrapped net/http handler, through
// mattn/go-sqlite3 and database/sql, and prints what a user would check:
// the response, the incident, whether other connections keep serving, the
// state the faulting connection is left in, and the recovery of
// recovery.go. Built with the flag (go build -toolexec=cgoguard), every
// fault is contained; built without it, the first one kills the process.
//
//	sqlitefault /path/to/crashext.so as-is|as-is-next|recovered|exec-on-its-goroutine
//
// Each mode is a process of its own: as-is-next leaves goroutines blocked in
// SQLite for good (the finalizer goroutine among them).
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
	"github.com/cgoguard/cgoguard/gobindings/taint"
	sqlite3 "github.com/mattn/go-sqlite3"
)

var (
	so  string
	dir string

	mu        sync.Mutex
	incidents = map[string]*incident.Incident{}
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sqlitefault /path/to/crashext.so as-is|as-is-next|recovered|exec-on-its-goroutine")
		os.Exit(2)
	}
	so = os.Args[1]
	var err error
	if dir, err = os.MkdirTemp("", "sqlitefault"); err != nil {
		panic(err)
	}
	sql.Register("sqlite3_crashext", &sqlite3.SQLiteDriver{Extensions: []string{so}})
	switch os.Args[2] {
	case "as-is":
		fmt.Println("== go-sqlite3 as it is, through database/sql")
		asIs()
	case "as-is-next":
		fmt.Println("== go-sqlite3 as it is: a fault in rows.Next")
		asIsNext()
	case "recovered":
		fmt.Println("== the recommended recovery (recovery.go)")
		recovered()
	case "exec-on-its-goroutine":
		execOnItsGoroutine()
	}
	// Not deferred: as-is-next ends with goroutines stuck in SQLite.
	os.RemoveAll(dir)
	os.Exit(0)
}

// dsn names a fresh database file in WAL mode.
func dsn(name string) string {
	return "file:" + filepath.Join(dir, name) + "?_journal_mode=WAL&_busy_timeout=300"
}

// openDB opens the named database through the crash extension's driver,
// with at most maxConns connections (0: no limit), and sets up its table.
func openDB(name string, maxConns int) *sql.DB {
	db, err := sql.Open("sqlite3_crashext", dsn(name))
	if err != nil {
		panic(err)
	}
	db.SetMaxOpenConns(maxConns)
	setup(db)
	return db
}

func setup(db *sql.DB) {
	must(db.Exec("CREATE TABLE t (x INTEGER PRIMARY KEY, y INTEGER)"))
	must(db.Exec("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100) INSERT INTO t (x) SELECT x FROM n"))
}

func must(_ any, err error) {
	if err != nil {
		panic(err)
	}
}

// server serves db: /count (a read), /write (an insert), /checkpoint, and
// the faulting statements: /crash (in the query's first step),
// /crashnext (in the 42nd row's step, with the rows open) and /crashwrite
// (in an UPDATE, inside a write transaction). A fault of the flag reaches
// the handler as a panic, or, through recovery.go's connections, as a
// *NativeFault error, which the handler re-panics for httpguard. site, when
// set, is the quarantine the faulting statements go through.
func server(db *sql.DB, site *quarantine.Site) *httptest.Server {
	mux := http.NewServeMux()
	var n int64 = 1000
	var nmu sync.Mutex
	fail := func(w http.ResponseWriter, err error) {
		if errors.Is(err, cgoguard.ErrNativeFault) {
			panic(err)
		}
		var qe *quarantine.Error
		if errors.As(err, &qe) {
			panic(err)
		}
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
	guarded := func(f func() error) error {
		if site == nil {
			return f()
		}
		return site.Do(f)
	}
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		var c int
		if err := db.QueryRowContext(r.Context(), "SELECT count(*) FROM t").Scan(&c); err != nil {
			fail(w, err)
			return
		}
		fmt.Fprint(w, c)
	})
	mux.HandleFunc("/write", func(w http.ResponseWriter, r *http.Request) {
		nmu.Lock()
		n++
		x := n
		nmu.Unlock()
		if _, err := db.ExecContext(context.WithoutCancel(r.Context()), "INSERT INTO t (x) VALUES (?)", x); err != nil {
			fail(w, err)
			return
		}
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("/checkpoint", func(w http.ResponseWriter, r *http.Request) {
		var busy, log, done int
		if err := db.QueryRowContext(r.Context(), "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &log, &done); err != nil {
			fail(w, err)
			return
		}
		fmt.Fprintf(w, "busy=%d", busy)
	})
	mux.HandleFunc("/crash", func(w http.ResponseWriter, r *http.Request) {
		var v int
		err := guarded(func() error { return db.QueryRowContext(r.Context(), "SELECT crash_at(42)").Scan(&v) })
		if err != nil {
			fail(w, err)
			return
		}
		fmt.Fprint(w, v)
	})
	mux.HandleFunc("/crashnext", func(w http.ResponseWriter, r *http.Request) {
		sum := 0
		err := guarded(func() error {
			rows, err := db.QueryContext(r.Context(), "SELECT crash_at(x) FROM t ORDER BY x")
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var v int
				if err := rows.Scan(&v); err != nil {
					return err
				}
				sum += v
			}
			return rows.Err()
		})
		if err != nil {
			fail(w, err)
			return
		}
		fmt.Fprint(w, sum)
	})
	mux.HandleFunc("/crashwrite", func(w http.ResponseWriter, r *http.Request) {
		err := guarded(func() error {
			// Without cancellation: with a context that can be cancelled,
			// go-sqlite3 steps an Exec on a goroutine of its own, where
			// the fault's panic has no recover and ends the process (see
			// execOnItsGoroutine).
			_, err := db.ExecContext(context.WithoutCancel(r.Context()), "UPDATE t SET y = crash_at(x)")
			return err
		})
		if err != nil {
			fail(w, err)
			return
		}
		fmt.Fprint(w, "ok")
	})
	rep := incident.Reporter{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnIncident: func(_ context.Context, inc *incident.Incident) {
			mu.Lock()
			incidents[inc.ID] = inc
			mu.Unlock()
		},
	}
	return httptest.NewServer(httpguard.Middleware(mux, httpguard.WithReporter(rep)))
}

// get returns the status and body of one request (status 0: no answer
// within the timeout).
func get(srv *httptest.Server, path string) (int, string, string) {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(srv.URL + path)
	if err != nil {
		return 0, err.Error(), ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b)), resp.Header.Get(httpguard.HeaderIncidentID)
}

// describe prints the response to a faulting request and its incident.
func describe(label string, srv *httptest.Server, path string) {
	status, body, id := get(srv, path)
	fmt.Printf("%s: status %d", label, status)
	mu.Lock()
	inc := incidents[id]
	mu.Unlock()
	if inc == nil || inc.Fault == nil {
		fmt.Printf(", no native-fault incident (body %q)\n", body)
		return
	}
	nf := inc.Fault
	nf.Symbolize()
	var native, gostack []string
	for _, f := range nf.Frames {
		if f.Function != "" && len(native) < 8 {
			native = append(native, f.Function)
		}
	}
	for _, f := range nf.GoStack {
		if strings.HasPrefix(f.Function, "main.") || strings.Contains(f.Function, "go-sqlite3") {
			gostack = append(gostack, f.Function)
		}
	}
	fmt.Printf(", incident %s, %v\n", id, nf.Signal)
	fmt.Printf("  native frames: %s\n", strings.Join(native, " <- "))
	fmt.Printf("  go stack: %s\n", strings.Join(gostack, " <- "))
}

// others sends n concurrent /count requests and prints how many were
// answered 200.
func others(label string, srv *httptest.Server, n int) {
	var wg sync.WaitGroup
	var okmu sync.Mutex
	ok, other := 0, ""
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, body, _ := get(srv, "/count")
			okmu.Lock()
			defer okmu.Unlock()
			if status == 200 {
				ok++
			} else {
				other = fmt.Sprintf("%d %s", status, body)
			}
		}()
	}
	wg.Wait()
	fmt.Printf("%s: %d/%d answered 200", label, ok, n)
	if other != "" {
		fmt.Printf(" (else: %s)", other)
	}
	fmt.Println()
}

func stats(label string, db *sql.DB) {
	s := db.Stats()
	fmt.Printf("%s: database/sql open %d, in use %d, idle %d\n", label, s.OpenConnections, s.InUse, s.Idle)
}

// execOnItsGoroutine runs the faulting UPDATE through ExecContext with a
// context that can be cancelled, under a recover: go-sqlite3 steps it on a
// goroutine it starts, so the fault's panic is raised there, out of reach of
// this recover (and of any middleware), and ends the process.
func execOnItsGoroutine() {
	db := openDB("exec.db", 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := cgoguardCatch(func() {
		_, err := db.ExecContext(ctx, "UPDATE t SET y = crash_at(x)")
		fmt.Println("ExecContext returned:", err)
	})
	fmt.Println("recovered on the calling goroutine:", err)
}

// cgoguardCatch returns a contained native fault raised by f as an error.
func cgoguardCatch(f func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if e, ok := v.(error); ok && errors.Is(e, cgoguard.ErrNativeFault) {
				err = e
				return
			}
			panic(v)
		}
	}()
	f()
	return nil
}

func asIs() {
	db := openDB("asis.db", 2)
	srv := server(db, nil)
	defer srv.Close()
	status, body, _ := get(srv, "/count")
	fmt.Printf("before: /count %d %s\n", status, body)
	describe("fault in the query's first step", srv, "/crash")
	others("other connections after the fault", srv, 20)
	fmt.Printf("SQLite mutex of the faulting connection, from another thread: %s\n", faultedConnMutex(so))
	stats("after the fault (pool of 2)", db)
	status, body, _ = get(srv, "/write")
	fmt.Printf("a write on another connection: %d %s\n", status, body)
	status, body, _ = get(srv, "/checkpoint")
	fmt.Printf("a checkpoint: %d %s\n", status, body)
	// Each fault keeps one connection "in use" for good.
	describe("a second fault", srv, "/crash")
	stats("after it", db)
	status, body, _ = get(srv, "/count")
	fmt.Printf("a read after two faults with a pool of 2: %d %s\n", status, firstLine(body))
	fmt.Printf("contained so far: %d\n", cgoguard.Stats().ContainedTotal)
}

// asIsNext: a fault in rows.Next with the rows open; the handler's deferred
// rows.Close runs while the fault's panic unwinds and calls into the
// poisoned connection, which database/sql then puts back into the pool.
func asIsNext() {
	db := openDB("asisnext.db", 1)
	srv := server(db, nil) // never closed: its handlers stay blocked
	describe("fault in rows.Next, the rows open (pool of 1)", srv, "/crashnext")
	stats("after it", db)
	others("reads after it, on the connection that faulted", srv, 10)
}

func recovered() {
	c := &connector{drv: &sqlite3.SQLiteDriver{Extensions: []string{so}}, dsn: dsn("recovered.db")}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(2)
	setup(db)
	// Four faults in a minute: the process should be restarted (a fault
	// inside a write leaves the database write-locked until it exits).
	policy := taint.NewPolicy(taint.AfterFaults(4, time.Minute))
	defer policy.Close()
	q := quarantine.New(quarantine.Threshold(4), quarantine.Cooldown(time.Hour))
	srv := server(db, q.Site("crash_at queries"))
	defer srv.Close()
	describe("fault in the query's first step", srv, "/crash")
	describe("fault in the query's first step, again", srv, "/crash")
	describe("fault in rows.Next, the rows open", srv, "/crashnext")
	stats("after three faults (pool of 2)", db)
	fmt.Printf("poisoned connections closed without calling SQLite: %d\n", c.leaked.Load())
	others("reads after the faults", srv, 20)
	status, body, _ := get(srv, "/write")
	fmt.Printf("a write after the read faults: %d %s\n", status, body)
	describe("fault in an UPDATE (a write transaction)", srv, "/crashwrite")
	status, body, _ = get(srv, "/write")
	fmt.Printf("a write after the write fault: %d %s\n", status, body)
	others("reads after the write fault", srv, 5)
	before := cgoguard.Stats().ContainedTotal
	status, body, _ = get(srv, "/crash")
	fmt.Printf("the faulting statement after 4 faults: %d %s (contained faults %d -> %d)\n",
		status, firstLine(body), before, cgoguard.Stats().ContainedTotal)
	stats("at the end", db)
	st := policy.Status()
	fmt.Printf("taint policy: drain %v (%s)\n", st.Drain, st.Reason)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
