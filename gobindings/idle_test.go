//go:build cgo

package cgoguard_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

func init() {
	childScenarios["goroutines-once-idle"] = goroutinesOnceIdle
	childScenarios["first-fault-right-after-init"] = firstFaultRightAfterInit
}

// idleGoroutines waits (up to 5 s) for the goroutine count to come down to
// want and returns the last count read.
func idleGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); n != want && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	return n
}

// goroutinesOnceIdle prints the goroutine count of a fresh process before
// Init, after Init once the symbolizer is ready, after a contained fault and
// after WhenSymbolized deliveries of faults that were not symbolized yet.
func goroutinesOnceIdle() {
	before := runtime.NumGoroutine()
	if err := cgoguard.Init(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	rightAfterInit := runtime.NumGoroutine() // Init starts nothing: no waiting
	<-cgoguard.SymbolizerReady()
	afterInit := idleGoroutines(before)
	if err := cgoguard.Call(fx.NullWrite.Fn, nil); !errors.Is(err, cgoguard.ErrNativeFault) {
		fmt.Fprintln(os.Stderr, "Call:", err)
		return
	}
	afterFault := idleGoroutines(before)
	if err := cgoguard.Init(cgoguard.Symbolize(false)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	delivered := make(chan struct{}, 3)
	for i := 0; i < 3; i++ {
		var nf *cgoguard.NativeFault
		if err := cgoguard.Call(fx.NullRead.Fn, nil); !errors.As(err, &nf) {
			fmt.Fprintln(os.Stderr, "Call:", err)
			return
		}
		nf.WhenSymbolized(func(*cgoguard.NativeFault) { delivered <- struct{}{} })
	}
	for i := 0; i < 3; i++ {
		<-delivered
	}
	afterDeliveries := idleGoroutines(before)
	fmt.Fprintf(os.Stderr, "goroutines: before Init %d, right after Init %d, after Init %d, after a fault %d, after WhenSymbolized deliveries %d\n",
		before, rightAfterInit, afterInit, afterFault, afterDeliveries)
}

// With nothing to do, cgoguard runs no goroutine: runtime.NumGoroutine reads
// what the program started, in a fresh process.
func TestNoResidentGoroutine(t *testing.T) {
	code, sig, stderr := runChild(t, "goroutines-once-idle")
	if code != 0 || sig != 0 {
		t.Fatalf("child: exit %d, signal %v, stderr:\n%s", code, sig, stderr)
	}
	var before, rightAfterInit, afterInit, afterFault, afterDeliveries int
	if _, err := fmt.Sscanf(stderr, "goroutines: before Init %d, right after Init %d, after Init %d, after a fault %d, after WhenSymbolized deliveries %d",
		&before, &rightAfterInit, &afterInit, &afterFault, &afterDeliveries); err != nil {
		t.Fatalf("child stderr: %q (%v)", stderr, err)
	}
	if rightAfterInit != before || afterInit != before || afterFault != before || afterDeliveries != before {
		t.Errorf("%s", strings.TrimSpace(stderr))
	}
}

// firstFaultRightAfterInit faults at once after Init, without waiting for
// the symbolizer, and checks what the fault carries; then that the lines
// arrive without changing the fingerprint. Prints the fingerprint or what
// went wrong.
func firstFaultRightAfterInit() {
	if os.Getenv("CGOGUARD_TEST_HOLD_WARMUP") != "" {
		defer cgoguard.HoldSymbolizerWarmUp()()
	}
	nf := initAndFault()
	if nf == nil {
		return
	}
	var problems []string
	if len(nf.Frames) == 0 || nf.Frames[0].Function != fx.NullWrite.Name || nf.Fingerprint == "" {
		problems = append(problems, fmt.Sprintf("first fault: Fingerprint %q, Frames %v: want %s named and a fingerprint", nf.Fingerprint, nf.Frames, fx.NullWrite.Name))
	}
	if !strings.Contains(nf.Error(), fx.NullWrite.Name) || !strings.Contains(nf.Error(), nf.Fingerprint) {
		problems = append(problems, fmt.Sprintf("first fault: Error() = %q", nf.Error()))
	}
	early := nf.Fingerprint
	nf.Symbolize() // waits for the lines
	if nf.Fingerprint != early || nf.Frames[0].File == "" || nf.Frames[0].Line == 0 || nf.Frames[0].Function != fx.NullWrite.Name {
		problems = append(problems, fmt.Sprintf("after Symbolize: Fingerprint %q (first %q), Frames[0] %v: want the same fingerprint, a file and a line", nf.Fingerprint, early, nf.Frames[0]))
	}
	var later *cgoguard.NativeFault
	if err := cgoguard.Call(fx.NullWrite.Fn, nil); !errors.As(err, &later) || later.Fingerprint != early {
		problems = append(problems, fmt.Sprintf("a later fault at the same site: %v, want fingerprint %s", err, early))
	}
	if len(problems) > 0 {
		fmt.Fprintln(os.Stderr, strings.Join(problems, "\n"))
		return
	}
	fmt.Fprintln(os.Stderr, "fingerprint="+early)
}

// The first fault of a process is named: functions and the fingerprint come
// back from the faulting Call right after Init (file and line may come
// later, from Symbolize; the fingerprint stays the same). Also with the
// symbolizer's warm-up held, as in a program whose debug information takes
// long to load.
func TestFirstFaultIsNamed(t *testing.T) {
	var prints []string
	for _, env := range []string{"", "CGOGUARD_TEST_HOLD_WARMUP=1"} {
		code, sig, stderr := runChild(t, "first-fault-right-after-init", env)
		if code != 0 || sig != 0 || !strings.HasPrefix(stderr, "fingerprint=") {
			t.Fatalf("child (%s): exit %d, signal %v, stderr:\n%s", env, code, sig, stderr)
		}
		prints = append(prints, strings.TrimSpace(stderr))
	}
	if prints[0] != prints[1] {
		t.Errorf("the first fault's fingerprint depends on when the symbolizer is ready: %v", prints)
	}
}

// One binary under two names gives one fingerprint: `go run`, versioned
// binary names and pkg.test must not split a site into several.
func TestFingerprintDoesNotDependOnTheExecutableName(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var prints []string
	for _, name := range []string{"fp", "server-v2"} {
		copyFile(t, exe, filepath.Join(dir, name))
		cmd := exec.Command(filepath.Join(dir, name), "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=print-fingerprint")
		out, err := cmd.CombinedOutput()
		i := strings.Index(string(out), "fingerprint=")
		if err != nil || i < 0 || strings.Contains(string(out), "fingerprint=\n") {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		prints = append(prints, strings.TrimSpace(string(out[i:])))
	}
	if prints[0] != prints[1] {
		t.Errorf("the same binary as fp and as server-v2: %s vs %s", prints[0], prints[1])
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
