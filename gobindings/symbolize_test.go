//go:build cgo

package cgoguard_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

func init() {
	childScenarios["fault-before-symbolizer-ready"] = faultBeforeSymbolizerReady
	childScenarios["symbolize-false-end-to-end"] = symbolizeFalseEndToEnd
}

// faultBeforeSymbolizerReady faults while the symbolizer's warm-up is held
// (as when a large program's debug information is still loading), then
// checks what the caller, a subscriber and WhenSymbolized see: functions and
// the fingerprint at once, files and lines later. It prints "ok" or what
// went wrong.
func faultBeforeSymbolizerReady() {
	release := cgoguard.HoldSymbolizerWarmUp()
	if err := cgoguard.Init(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	var seen *cgoguard.NativeFault
	cancel := cgoguard.OnFault(func(nf *cgoguard.NativeFault) { seen = nf })
	named := make(chan *cgoguard.NativeFault, 1)
	cancelNamed := cgoguard.OnFault(func(nf *cgoguard.NativeFault) {
		nf.WhenSymbolized(func(c *cgoguard.NativeFault) { named <- c })
	})
	var nf *cgoguard.NativeFault
	if err := cgoguard.Call(fx.NullWrite.Fn, nil); !errors.As(err, &nf) {
		fmt.Fprintln(os.Stderr, "Call:", err)
		return
	}
	cancel()
	cancelNamed()
	var problems []string
	if nf.Symbolized() || nf.Fingerprint == "" || len(nf.Frames) == 0 || nf.Frames[0].PC != nf.PC ||
		nf.Frames[0].Function != fx.NullWrite.Name || nf.Frames[0].File != "" || nf.Frames[0].Line != 0 {
		problems = append(problems, fmt.Sprintf("fault before the symbolizer is ready: Symbolized %v, Fingerprint %q, Frames %v; want functions and a fingerprint, no lines yet", nf.Symbolized(), nf.Fingerprint, nf.Frames))
	}
	// Go's own symbol table is always there: the Go stack is named at once.
	if len(nf.GoStack) == 0 || !strings.HasSuffix(nf.GoStack[0].Function, ".faultBeforeSymbolizerReady") {
		problems = append(problems, fmt.Sprintf("fault before the symbolizer is ready: GoStack %v, want it named from the caller", nf.GoStack))
	}
	if seen != nf {
		problems = append(problems, "the subscriber saw another value than Call returned")
	}
	select {
	case <-named:
		problems = append(problems, "WhenSymbolized ran before the symbolizer was ready")
	default:
	}
	release()
	c := <-named
	<-cgoguard.SymbolizerReady()
	if c == nf || !c.Symbolized() || c.Fingerprint != nf.Fingerprint || c.Frames[0].Function != fx.NullWrite.Name || c.Frames[0].Line == 0 {
		problems = append(problems, fmt.Sprintf("WhenSymbolized gave %p (fault %p), Fingerprint %q, Frames %v: want a copy with lines and the same fingerprint", c, nf, c.Fingerprint, c.Frames))
	}
	if nf.Symbolized() || nf.Frames[0].Line != 0 {
		problems = append(problems, "WhenSymbolized changed the caller's fault")
	}
	nf.Symbolize()
	if nf.Fingerprint != c.Fingerprint {
		problems = append(problems, fmt.Sprintf("Symbolize gave fingerprint %q, the copy %q", nf.Fingerprint, c.Fingerprint))
	}
	var next *cgoguard.NativeFault
	if err := cgoguard.Call(fx.NullWrite.Fn, nil); !errors.As(err, &next) || !next.Symbolized() || next.Fingerprint != nf.Fingerprint {
		problems = append(problems, fmt.Sprintf("fault after the symbolizer is ready: %v, want it symbolized", err))
	}
	if len(problems) == 0 {
		problems = []string{"ok"}
	}
	fmt.Fprintln(os.Stderr, strings.Join(problems, "\n"))
}

// The first fault of a program whose debug information is still loading
// comes back at once, named from the symbol tables with its fingerprint;
// files and lines come from Symbolize (which waits) or WhenSymbolized (in
// the background), and later faults carry them before Call returns.
func TestFaultBeforeSymbolizerReadyIsNamedWithoutLines(t *testing.T) {
	code, sig, stderr := runChild(t, "fault-before-symbolizer-ready")
	if code != 0 || sig != 0 || stderr != "ok\n" {
		t.Errorf("child: exit %d, signal %v, stderr:\n%s", code, sig, stderr)
	}
}

// symbolizeFalseEndToEnd: with Symbolize(false), nothing symbolizes: not
// Init, not Call, not the warm-up. Prints "ok" or the problem.
func symbolizeFalseEndToEnd() {
	nf := initAndFault(cgoguard.Symbolize(false))
	if nf == nil {
		return
	}
	select {
	case <-cgoguard.SymbolizerReady():
		fmt.Fprintln(os.Stderr, "the symbolizer was warmed up with Symbolize(false)")
		return
	default:
	}
	if nf.Symbolized() || nf.Fingerprint != "" || cgoguard.SymbolCacheSize() != 0 {
		fmt.Fprintf(os.Stderr, "Symbolized %v, Fingerprint %q, %d addresses symbolized\n", nf.Symbolized(), nf.Fingerprint, cgoguard.SymbolCacheSize())
		return
	}
	fmt.Fprintln(os.Stderr, "ok")
}

func TestSymbolizeFalseSymbolizesNothing(t *testing.T) {
	code, sig, stderr := runChild(t, "symbolize-false-end-to-end")
	if code != 0 || sig != 0 || stderr != "ok\n" {
		t.Errorf("child: exit %d, signal %v, stderr:\n%s", code, sig, stderr)
	}
}
