//go:build cgo

package cgoguard_test

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// A signal sent by tgkill/kill/sigqueue is never contained and never
// dropped, even when it reaches a thread whose handler is busy with a fault:
// it goes to the Go runtime's handler, which ends the process with its crash
// report for that signal. Each run
// is a child process: a locked goroutine faults in a loop of Calls (with the
// other signal than the one sent: the kernel itself merges a sent SIGSEGV
// into a pending fault SIGSEGV of the same thread, before any handler runs;
// see tests/core/user_signal_test.cc), and the main goroutine sends the
// storm's thread one signal.
const userSignalRuns = 50

// stormFaults is how many faults the storm has had contained before the
// signal is sent, so that it is in full swing.
const stormFaults = 200

func init() {
	childScenarios["user-signal-during-storm"] = func() {
		if err := cgoguard.Init(); err != nil {
			panic(err)
		}
		sig, _ := strconv.Atoi(os.Getenv("CGOGUARD_TEST_SIGNAL"))
		storm := fx.NullRead
		if syscall.Signal(sig) == syscall.SIGSEGV {
			storm = fx.BusPastEOF
		}
		tids := make(chan int)
		go func() {
			runtime.LockOSThread()
			tids <- syscall.Gettid()
			for {
				_ = cgoguard.Call(storm.Fn, nil)
			}
		}()
		tid := <-tids
		for cgoguard.Stats().ContainedTotal < stormFaults {
			runtime.Gosched()
		}
		if err := syscall.Tgkill(os.Getpid(), tid, syscall.Signal(sig)); err != nil {
			panic(err)
		}
		// The storm faults thousands of times a second: a delivered signal
		// ends the process long before this.
		time.Sleep(500 * time.Millisecond)
	}
}

func testUserSignalDuringStorm(t *testing.T, sig syscall.Signal) {
	if fx.BusAddress() == 0 {
		t.Fatal("the SIGBUS fixture could not map its file")
	}
	var mu sync.Mutex
	died := 0
	var others []string
	var wg sync.WaitGroup
	runs := make(chan struct{}, userSignalRuns)
	for i := 0; i < userSignalRuns; i++ {
		runs <- struct{}{}
	}
	close(runs)
	for w := 0; w < 4; w++ { // four children at a time keep the test to a few seconds
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range runs {
				code, got, stderr := runChild(t, "user-signal-during-storm", "CGOGUARD_TEST_SIGNAL="+strconv.Itoa(int(sig)))
				mu.Lock()
				// The Go runtime reports a fatal signal as "SIGSEGV: segmentation
				// violation" and exits 2.
				if (code != 0 || got != 0) && strings.HasPrefix(stderr, cgoguard.SignalName(sig)+": ") {
					died++
				} else if len(others) < 3 {
					others = append(others, "exit "+strconv.Itoa(code)+" signal "+strconv.Itoa(int(got))+": "+headLine(stderr))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if died != userSignalRuns {
		t.Errorf("%d of %d runs died by %s; others: %q", died, userSignalRuns, cgoguard.SignalName(sig), others)
	} else {
		t.Logf("%d of %d runs died by %s", died, userSignalRuns, cgoguard.SignalName(sig))
	}
}

func TestTgkillSegvDuringStormKillsEveryRun(t *testing.T) {
	testUserSignalDuringStorm(t, syscall.SIGSEGV)
}

func TestTgkillBusDuringStormKillsEveryRun(t *testing.T) {
	testUserSignalDuringStorm(t, syscall.SIGBUS)
}

// headLine is the first line of s (a Go crash report names the signal there).
func headLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
