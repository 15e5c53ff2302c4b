// Command cgoapp uses the binding example.com/cgobinding, a cgo package it
// did not write, the way a service does. Built with
// `go build -toolexec=cgoguard` every fault of the binding is contained;
// built without, the first one ends the process (the control).
//
//	cgoapp demo    every form of call, clean and faulting, one line each
//	cgoapp storm   64 goroutines x 50 faults
//	cgoapp crash   one fault nobody recovers
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"example.com/cgobinding"
	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/safego"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: cgoapp demo|storm|crash")
		os.Exit(2)
	}
	// Frames are named once the symbolizer has loaded the program's debug
	// information; wait for it so that every line below names them.
	if err := cgoguard.Init(); err != nil {
		fmt.Println("Init:", err)
		os.Exit(1)
	}
	select {
	case <-cgoguard.SymbolizerReady():
	case <-time.After(30 * time.Second):
		fmt.Println("symbolizer not ready after 30 s")
		os.Exit(1)
	}
	switch os.Args[1] {
	case "demo":
		demo()
	case "storm":
		storm()
	case "crash":
		h := cgobinding.Open(3)
		h.Close()
		fmt.Println("crash: calling a closed handle, nobody recovers")
		h.Count()
		fmt.Println("crash: still running")
	}
}

// contained describes a contained fault as the test checks it.
func contained(what string, err error) {
	var nf *cgoguard.NativeFault
	if !errors.As(err, &nf) {
		fmt.Printf("%s: NOT CONTAINED: %v\n", what, err)
		return
	}
	gostack := make([]string, 0, len(nf.GoStack))
	for _, fr := range nf.GoStack {
		gostack = append(gostack, fr.Function)
	}
	fmt.Printf("%s: contained %s in %s (errors.Is ErrNativeFault: %v; go stack: %s)\n",
		what, nf.Signal, nf.Site(), errors.Is(err, cgoguard.ErrNativeFault), strings.Join(gostack, " < "))
}

func demo() {
	var reported atomic.Int64
	cancel := cgoguard.OnFault(func(*cgoguard.NativeFault) { reported.Add(1) })
	defer cancel()

	// Nothing faults: every form behaves as without the flag.
	h := cgobinding.Open(5)
	h.Bump()
	n42, err42 := cgobinding.Parse("42")
	nx, errx := cgobinding.Parse("x")
	sum := 0
	h.Each(func(i int) { sum += i + 1 })
	fmt.Printf("clean: count=%d stats=%+v parse=%d,%v parse(x)=%d,%v bytes=%v each=%d\n",
		h.Count(), h.Stats(), n42, err42, nx, errx, cgobinding.Bytes(4), sum)

	// Faults, each recovered by Catch.
	var nilHandle *cgobinding.Handle
	closed := cgobinding.Open(2)
	closed.Close()
	contained("nil handle (scalar)", cgoguard.Catch(func() { nilHandle.Count() }))
	contained("nil handle (void)", cgoguard.Catch(func() { nilHandle.Bump() }))
	contained("closed handle (struct)", cgoguard.Catch(func() { closed.Stats() }))
	contained("NULL string (errno form)", cgoguard.Catch(func() { cgobinding.ParseNull() }))

	// A plain recover sees the *NativeFault itself.
	func() {
		defer func() {
			v := recover()
			err, _ := v.(error)
			fmt.Printf("recover: %T, errors.Is ErrNativeFault: %v\n", v, errors.Is(err, cgoguard.ErrNativeFault))
		}()
		closed.Count()
	}()

	// A Go panic raised in a callback crosses the guarded C frames as it
	// does without the flag; the thread's guards stay sound afterwards.
	func() {
		defer func() { fmt.Printf("callback panic: recovered %v\n", recover()) }()
		cgoguard.Catch(func() { h.Each(func(int) { panic("boom from the callback") }) })
	}()
	contained("after the callback panic", cgoguard.Catch(func() { nilHandle.Count() }))

	// A fault in a cgo call nested under a callback: the innermost guard
	// contains it, and the outer call carries on.
	visited := 0
	var nested error
	h.Each(func(i int) {
		visited++
		if i == 2 {
			nested = cgoguard.Catch(func() { closed.Count() })
		}
	})
	contained("nested under a callback", nested)
	fmt.Printf("nested: the outer call visited %d of %d items\n", visited, h.Count())

	// A Go nil dereference is still the Go runtime's.
	func() {
		defer func() {
			v := recover()
			_, isRuntime := v.(runtime.Error)
			_, isFault := v.(*cgoguard.NativeFault)
			fmt.Printf("go nil dereference: runtime.Error %v, NativeFault %v\n", isRuntime, isFault)
		}()
		cgoguard.Catch(func() {
			var p *int
			_ = *p
		})
	}()

	// httpguard: a request whose handler faults in the binding gets a 500
	// and an incident naming the C function; the others are served.
	var logBuf syncBuffer
	rep := incident.Reporter{Logger: slog.New(slog.NewJSONHandler(&logBuf, nil))}
	mux := http.NewServeMux()
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		var hd *cgobinding.Handle
		if r.URL.Query().Get("handle") == "good" {
			hd = h
		}
		fmt.Fprintf(w, "count %d\n", hd.Count())
	})
	srv := httptest.NewServer(httpguard.New(httpguard.WithReporter(rep))(mux))
	statuses := []string{}
	for _, q := range []string{"good", "nil", "good"} {
		resp, err := http.Get(srv.URL + "/count?handle=" + q)
		if err != nil {
			fmt.Println("http:", err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses = append(statuses, fmt.Sprintf("%s=%d", q, resp.StatusCode))
	}
	srv.Close()
	logged := logBuf.String()
	fmt.Printf("httpguard: %s; incident names bnd_count: %v, the handler: %v\n", strings.Join(statuses, " "),
		strings.Contains(logged, `bnd_count+`), strings.Contains(logged, "main.demo.func"))

	// safego: a goroutine whose native fault is contained and returned.
	g, _ := safego.NewGroup(context.Background(), safego.WithReporter(rep))
	g.Go(func(context.Context) error { nilHandle.Count(); return nil })
	contained("safego group", g.Wait())

	h.Close()
	fmt.Printf("OnFault subscribers saw %d faults\n", reported.Load())
}

func storm() {
	const goroutines, faults = 64, 50
	var containedN, named, reported atomic.Int64
	cancel := cgoguard.OnFault(func(*cgoguard.NativeFault) { reported.Add(1) })
	defer cancel()
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := cgobinding.Open(3)
			defer h.Close()
			var nilHandle *cgobinding.Handle
			for i := 0; i < faults; i++ {
				err := cgoguard.Catch(func() { nilHandle.Count() })
				var nf *cgoguard.NativeFault
				if errors.As(err, &nf) {
					containedN.Add(1)
					if nf.Site() == "bnd_count" {
						named.Add(1)
					}
				}
				if h.Count() != 3 {
					panic("a clean call after a fault returned a wrong result")
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("storm: %d of %d faults contained, %d named bnd_count, %d reported to OnFault\n",
		containedN.Load(), goroutines*faults, named.Load(), reported.Load())
}

// syncBuffer is a bytes.Buffer for a logger used from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
