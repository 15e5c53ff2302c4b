//go:build cgo

package cgoguard_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// With WithCgoTraceback, the Go runtime calls cgoguard's symbolizer while it
// prints the crash report of a fault in C code, from its signal handler. A
// crash that happens while the malloc lock or the symbolizer's own lock is
// held must still end the process, with Go's crash report, within seconds:
// each scenario runs crashRuns times, each run in a child process that is
// killed if it has not ended after crashDeadline.
const (
	crashRuns     = 10
	crashDeadline = 10 * time.Second
)

func init() {
	// An unguarded native fault while other goroutines symbolize native pcs
	// (through the same symbolizer, from runtime.CallersFrames) in a loop.
	childScenarios["crash-while-symbolizing"] = func() {
		if err := cgoguard.Init(cgoguard.WithCgoTraceback()); err != nil {
			panic(err)
		}
		base := uintptr(fx.Empty.Fn)
		for g := 0; g < 4; g++ {
			go func(g int) {
				for i := g; ; i += 4 {
					frames := runtime.CallersFrames([]uintptr{base + uintptr(i%8192)})
					frames.Next()
				}
			}(g)
		}
		time.Sleep(50 * time.Millisecond)
		fx.NullWriteUnguarded()
	}
	// A heap corruption that glibc detects inside malloc: it aborts with
	// its arena lock held.
	childScenarios["crash-in-malloc"] = func() {
		if err := cgoguard.Init(cgoguard.WithCgoTraceback()); err != nil {
			panic(err)
		}
		fx.CorruptHeapUnguarded()
	}
}

// runChildWithin runs a child scenario and kills it after d; timedOut tells.
func runChildWithin(t *testing.T, d time.Duration, scenario string) (exited bool, timedOut bool, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+scenario, "GOTRACEBACK=single")
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	err := cmd.Run()
	if ctx.Err() != nil {
		return false, true, errBuf.String()
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("running child %s: %v", scenario, err)
	}
	return err == nil, false, errBuf.String()
}

func expectCrashReportEveryRun(t *testing.T, scenario string, reports ...string) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	ok := 0
	var failures []string
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for run := w; run < crashRuns; run += 4 {
				exited0, timedOut, stderr := runChildWithin(t, crashDeadline, scenario)
				mu.Lock()
				switch {
				case timedOut:
					failures = append(failures, "hung (killed after "+crashDeadline.String()+"): "+headLine(stderr))
				case exited0 || !containsAll(stderr, reports):
					failures = append(failures, "ended without the crash report: "+headLine(stderr))
				default:
					ok++
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	if ok != crashRuns {
		t.Errorf("%d of %d runs ended with %q; the others: %q", ok, crashRuns, reports, failures)
	}
}

func TestUnguardedFaultWhileSymbolizingEndsTheProcess(t *testing.T) {
	expectCrashReportEveryRun(t, "crash-while-symbolizing", "SIGSEGV: segmentation violation")
}

func TestHeapCorruptionDetectedInMallocEndsTheProcess(t *testing.T) {
	expectCrashReportEveryRun(t, "crash-in-malloc", "malloc(): corrupted top size", "SIGABRT: abort")
}
