//go:build cgo

package cgoguard_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// runChildWithin runs a child scenario with extraEnv added to its
// environment and kills it after d; timedOut tells.
func runChildWithin(t *testing.T, d time.Duration, scenario string, extraEnv ...string) (exited0 bool, timedOut bool, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+scenario, "GOTRACEBACK=single"), extraEnv...)
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
	if err != nil && errBuf.Len() == 0 {
		errBuf.WriteString("(no output; " + err.Error() + ")")
	}
	return err == nil, false, errBuf.String()
}

// childOutcomes counts how the runs of a scenario ended.
type childOutcomes struct {
	reported int // died with every expected report on stderr
	hung     int // killed at the deadline
	failures []string
}

// runChildrenFourAtATime runs scenario runs times, four children at a time,
// each killed after d, and sorts how each ended.
func runChildrenFourAtATime(t *testing.T, runs int, d time.Duration, scenario string, extraEnv []string, reports []string) childOutcomes {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	var o childOutcomes
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for run := w; run < runs; run += 4 {
				exited0, timedOut, stderr := runChildWithin(t, d, scenario, extraEnv...)
				mu.Lock()
				switch {
				case timedOut:
					o.hung++
					o.failures = append(o.failures, "hung (killed after "+d.String()+"): "+headLine(stderr))
				case exited0:
					o.failures = append(o.failures, "exited 0: "+survivalLine(stderr))
				case !containsAll(stderr, reports):
					o.failures = append(o.failures, "ended without the crash report: "+headLine(stderr))
				default:
					o.reported++
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	return o
}

// expectEveryRunReports runs scenario runs times (runChildrenFourAtATime)
// and fails t unless every run died with each of reports on stderr: none
// hung, none ended cleanly, none ended without them.
func expectEveryRunReports(t *testing.T, runs int, d time.Duration, scenario string, extraEnv []string, reports []string) {
	t.Helper()
	o := runChildrenFourAtATime(t, runs, d, scenario, extraEnv, reports)
	if o.reported != runs {
		t.Errorf("%d of %d runs died with %q, %d hung; the others: %q", o.reported, runs, reports, o.hung, o.failures)
	}
}

// containsAll reports whether s contains every one of subs.
func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// survivalLine returns the line from which a child that should have died
// tells how it survived (reportSurvival), or its first line without one.
func survivalLine(stderr string) string {
	if i := strings.Index(stderr, "survived: "); i >= 0 {
		line, _, _ := strings.Cut(stderr[i:], "\n")
		return line
	}
	return headLine(stderr)
}

// initAndFault starts a child scenario: Init with opts, then a guarded null
// write. It returns the contained fault, or prints what went wrong on stderr
// and returns nil.
func initAndFault(opts ...cgoguard.Option) *cgoguard.NativeFault {
	if err := cgoguard.Init(opts...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return nil
	}
	var nf *cgoguard.NativeFault
	if err := cgoguard.Call(fx.NullWrite.Fn, nil); !errors.As(err, &nf) {
		fmt.Fprintln(os.Stderr, "Call:", err)
		return nil
	}
	return nf
}
