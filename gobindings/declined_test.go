//go:build cgo

package cgoguard_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// A fault inside malloc, with the arena lock held, must never be contained:
// the jump out skips the unlock, and the next malloc of any thread in that
// arena (cgoguard's own report path included) waits forever. cgoguard
// declines it, and the process ends with Go's crash report. Each scenario
// runs declinedRuns times, each in a child process killed after
// declinedDeadline; every run must end with the report.
const (
	declinedRuns     = 20
	declinedDeadline = 10 * time.Second
)

// mallocTries bounds the allocations a scenario makes until one meets the
// corrupted block. The child runs with one arena for all threads
// (runDeclinedChild), so runtime threads may free blocks of the same size
// onto the fastbin above the corrupted one between the corruption and the
// allocation (cgo's thread start-up frees blocks of about that size). A
// malloc takes the top block and refills the tcache with up to 7 more: with
// more than that above it, the corrupted block is met by a later malloc.
const mallocTries = 64

func init() {
	// A use-after-free write that leaves glibc's free list corrupted, then
	// the next guarded calls allocate: malloc faults.
	childScenarios["declined-next-call"] = func() {
		if err := cgoguard.Init(); err != nil {
			panic(err)
		}
		runtime.LockOSThread() // one thread, one arena
		if err := cgoguard.Call(fx.CorruptFastbin.Fn, nil); err != nil {
			panic(err)
		}
		var err error
		for try := 0; try < mallocTries && err == nil; try++ {
			err = cgoguard.Call(fx.MallocFastbinSize.Fn, nil)
		}
		symbolizeAsReportsDo(err)
		reportSurvival(err)
	}
	// A guarded call that corrupts and allocates (malloc faults inside the
	// call), then the same goroutine allocates through plain cgo.
	childScenarios["declined-goroutine-malloc"] = func() {
		if err := cgoguard.Init(); err != nil {
			panic(err)
		}
		runtime.LockOSThread()
		err := cgoguard.Call(fx.CorruptFastbinThenMalloc.Fn, nil)
		for try := 0; try < mallocTries && err == nil; try++ {
			err = cgoguard.Call(fx.MallocFastbinSize.Fn, nil)
		}
		fx.MallocFastbinSizeUnguarded()
		reportSurvival(err)
	}
	// The fault is symbolized on another goroutine (another thread, whose
	// symbolizer allocates).
	childScenarios["declined-symbolize-elsewhere"] = func() {
		if err := cgoguard.Init(cgoguard.Symbolize(false)); err != nil {
			panic(err)
		}
		runtime.LockOSThread()
		err := cgoguard.Call(fx.CorruptFastbinThenMalloc.Fn, nil)
		for try := 0; try < mallocTries && err == nil; try++ {
			err = cgoguard.Call(fx.MallocFastbinSize.Fn, nil)
		}
		done := make(chan struct{})
		go func() { symbolizeAsReportsDo(err); close(done) }()
		<-done
		reportSurvival(err)
	}
	// glibc's own heap-corruption check aborts inside malloc with its lock
	// held ("malloc(): corrupted top size"): declined under ContainAbort too.
	childScenarios["declined-contain-abort"] = func() {
		if err := cgoguard.Init(cgoguard.ContainAbort()); err != nil {
			panic(err)
		}
		runtime.LockOSThread()
		err := cgoguard.Call(fx.CorruptHeapThenMalloc.Fn, nil)
		cgoguard.Call(fx.Empty.Fn, nil)
		symbolizeAsReportsDo(err)
	}
}

func init() {
	// A function the program names with DeclineIn: its fault is declined.
	childScenarios["declined-by-name"] = func() {
		if err := cgoguard.Init(cgoguard.DeclineIn("cgg_fx_null_write")); err != nil {
			panic(err)
		}
		cgoguard.Call(fx.NullWrite.Fn, nil)
	}
	// Named after Init: the next Init rebuilds the table.
	childScenarios["declined-module-after-init"] = func() {
		if err := cgoguard.Init(); err != nil {
			panic(err)
		}
		if err := cgoguard.Call(fx.NullRead.Fn, nil); err == nil {
			panic("the null read was not contained")
		}
		if err := cgoguard.Init(cgoguard.DeclineIn("libcgg_fixtures.so", "cgg_fx_null_read")); err != nil {
			panic(err)
		}
		cgoguard.Call(fx.NullRead.Fn, nil)
	}
}

func TestDeclineInNamesAFunctionWhoseFaultsAreDeclined(t *testing.T) {
	t.Parallel()
	for _, scenario := range []string{"declined-by-name", "declined-module-after-init"} {
		exited0, timedOut, stderr := runDeclinedChild(t, scenario)
		if exited0 || timedOut || !strings.Contains(stderr, "SIGSEGV: segmentation violation") {
			t.Errorf("%s: exited 0: %v, hung: %v, stderr: %s", scenario, exited0, timedOut, headLine(stderr))
		}
	}
}

func TestDeclineInRejectsAnEmptyName(t *testing.T) {
	if err := cgoguard.Init(cgoguard.DeclineIn("")); err == nil {
		t.Error("Init(DeclineIn(\"\")) returned nil")
	}
	if s := cgoguard.Stats(); s.DeclinedTotal != 0 || len(s.Declined) != 0 {
		t.Errorf("declined %d (%v) in a process that declined nothing", s.DeclinedTotal, s.Declined)
	}
}

// symbolizeAsReportsDo names the frames of a contained fault, as a service's
// fault log does (the symbolizer allocates: debug information, caches).
func symbolizeAsReportsDo(err error) {
	var nf *cgoguard.NativeFault
	if errors.As(err, &nf) {
		nf.Symbolize()
	}
}

// reportSurvival tells, on stderr, how a declined scenario came to end
// cleanly: no allocation met the corruption (err is nil), or a fault was
// contained that should have been declined (its frames follow).
func reportSurvival(err error) {
	var nf *cgoguard.NativeFault
	if !errors.As(err, &nf) {
		fmt.Fprintf(os.Stderr, "survived: no allocation met the corrupted block (%v)\n", err)
		return
	}
	nf.Symbolize()
	fmt.Fprintf(os.Stderr, "survived: contained %+v\n", nf)
}

// declinedChildEnv gives the child one malloc arena for all threads, as in
// a process with more threads than arenas (glibc makes 8 per core; threads
// beyond share them).
var declinedChildEnv = []string{"MALLOC_ARENA_MAX=1"}

// runDeclinedChild runs a child scenario in declinedChildEnv and kills it
// after declinedDeadline; timedOut tells.
func runDeclinedChild(t *testing.T, scenario string) (exited0 bool, timedOut bool, stderr string) {
	t.Helper()
	return runChildWithin(t, declinedDeadline, scenario, declinedChildEnv...)
}

// expectDeclinedEveryRun runs scenario declinedRuns times, four children at
// a time, and checks that every run ended with each of reports on stderr.
func expectDeclinedEveryRun(t *testing.T, scenario string, reports ...string) {
	t.Helper()
	if raceEnabled {
		// The race runtime replaces C's malloc and free with its own
		// allocator: there is no glibc arena to corrupt, and a run may end
		// cleanly. The plain build runs these cases.
		t.Skip("the race runtime replaces glibc's allocator")
	}
	// Every run must die with the report: none may hang, and none may end
	// cleanly (a child that does says why on stderr: reportSurvival).
	expectEveryRunReports(t, declinedRuns, declinedDeadline, scenario, declinedChildEnv, reports)
}

func TestFaultInMallocThenNextCallIsDeclined(t *testing.T) {
	t.Parallel()
	expectDeclinedEveryRun(t, "declined-next-call", "SIGSEGV: segmentation violation")
}

func TestFaultInMallocThenGoroutineMallocsIsDeclined(t *testing.T) {
	t.Parallel()
	expectDeclinedEveryRun(t, "declined-goroutine-malloc", "SIGSEGV: segmentation violation")
}

func TestFaultInMallocSymbolizedElsewhereIsDeclined(t *testing.T) {
	t.Parallel()
	expectDeclinedEveryRun(t, "declined-symbolize-elsewhere", "SIGSEGV: segmentation violation")
}

func TestGlibcHeapCorruptionAbortIsDeclinedUnderContainAbort(t *testing.T) {
	t.Parallel()
	expectDeclinedEveryRun(t, "declined-contain-abort", "malloc(): corrupted top size", "SIGABRT: abort")
}
