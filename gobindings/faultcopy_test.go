//go:build cgo

package cgoguard_test

import (
	"errors"
	"fmt"
	"os"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

func init() {
	childScenarios["copy-before-symbolized"] = copyBeforeSymbolized
}

// A NativeFault is a plain value: go vet (copylocks, which the project's
// vet run enables) accepts a copy made with *nf, and the copy of a
// symbolized fault is symbolized and equal to it.
func TestNativeFaultCopiedByValue(t *testing.T) {
	var nf *cgoguard.NativeFault
	if err := cgoguard.Call(fx.NullWrite.Fn, nil); !errors.As(err, &nf) {
		t.Fatalf("Call: %v", err)
	}
	v := *nf
	if !v.Symbolized() || v.Fingerprint != nf.Fingerprint || v.Error() != nf.Error() || len(v.Frames) == 0 ||
		v.Frames[0].Function != fx.NullWrite.Name || v.Frames[0].Line == 0 {
		t.Errorf("copy of a symbolized fault: Symbolized %v, %v, Frames %v; want it as the fault", v.Symbolized(), &v, v.Frames)
	}
	v.Symbolize() // a no-op, as on the fault
	called := false
	v.WhenSymbolized(func(c *cgoguard.NativeFault) { called = c == &v })
	if !called {
		t.Error("WhenSymbolized of a symbolized copy did not call back at once with the copy")
	}
	if c := v.Clone(); !c.Symbolized() || c.Fingerprint != nf.Fingerprint {
		t.Errorf("Clone of a copy: Symbolized %v, Fingerprint %q", c.Symbolized(), c.Fingerprint)
	}
}

// A copy made before the fault is symbolized is a fault of its own:
// symbolizing it fills in its names and leaves the fault as it was, and the
// other way round.
func TestNativeFaultCopiedBeforeSymbolized(t *testing.T) {
	code, sig, stderr := runChild(t, "copy-before-symbolized")
	if code != 0 || sig != 0 || stderr != "ok\n" {
		t.Fatalf("child: exit %d, signal %v, stderr:\n%s", code, sig, stderr)
	}
}

func copyBeforeSymbolized() {
	release := cgoguard.HoldSymbolizerWarmUp()
	nf := initAndFault()
	if nf == nil {
		return
	}
	v := *nf
	release()
	var problems []string
	if v.Symbolized() || v.Fingerprint != nf.Fingerprint || v.Frames[0].Function != fx.NullWrite.Name {
		problems = append(problems, fmt.Sprintf("copy before symbolization: Symbolized %v, Fingerprint %q (fault %q), Frames %v",
			v.Symbolized(), v.Fingerprint, nf.Fingerprint, v.Frames))
	}
	named := make(chan *cgoguard.NativeFault, 1)
	v.WhenSymbolized(func(c *cgoguard.NativeFault) { named <- c })
	if c := <-named; c == &v || !c.Symbolized() || c.Frames[0].Line == 0 || c.Fingerprint != nf.Fingerprint {
		problems = append(problems, fmt.Sprintf("WhenSymbolized of the copy gave Symbolized %v, Frames %v", c.Symbolized(), c.Frames))
	}
	v.Symbolize()
	if !v.Symbolized() || v.Frames[0].Line == 0 || v.Fingerprint != nf.Fingerprint {
		problems = append(problems, fmt.Sprintf("the copy symbolized: Symbolized %v, Frames %v", v.Symbolized(), v.Frames))
	}
	if nf.Symbolized() || nf.Frames[0].Line != 0 {
		problems = append(problems, fmt.Sprintf("symbolizing the copy changed the fault: Symbolized %v, Frames %v", nf.Symbolized(), nf.Frames))
	}
	nf.Symbolize()
	if !nf.Symbolized() || nf.Frames[0].Line != v.Frames[0].Line {
		problems = append(problems, fmt.Sprintf("the fault symbolized after its copy: Symbolized %v, Frames %v", nf.Symbolized(), nf.Frames))
	}
	if len(problems) == 0 {
		problems = []string{"ok"}
	}
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, p)
	}
}
