//go:build cgo

package cgoguard_test

import (
	"runtime"
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

func expectCrashReportEveryRun(t *testing.T, scenario string, reports ...string) {
	t.Helper()
	expectEveryRunReports(t, crashRuns, crashDeadline, scenario, nil, reports)
}

func TestUnguardedFaultWhileSymbolizingEndsTheProcess(t *testing.T) {
	expectCrashReportEveryRun(t, "crash-while-symbolizing", "SIGSEGV: segmentation violation")
}

func TestHeapCorruptionDetectedInMallocEndsTheProcess(t *testing.T) {
	expectCrashReportEveryRun(t, "crash-in-malloc", "malloc(): corrupted top size", "SIGABRT: abort")
}
