//go:build cgo

package crashfixtures_test

import (
	"strings"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// The simplest code path: the fixture under cgoguard.Call, its error
// returned. Every kind runs, in its own subtest, and passes ExpectFault.
func TestRunEachOverAGuardedCall(t *testing.T) {
	var ran []string
	fx.RunEach(t, func(t *testing.T, k fx.Kind) error {
		ran = append(ran, k.Name)
		return cgoguard.Call(k.Fixture.Fn, nil)
	})
	want := 0
	for _, k := range fx.Kinds() {
		if k.ContainedNow() {
			want++
		}
	}
	if len(ran) != want || want == 0 {
		t.Errorf("the code path ran for %d kinds %v, want %d", len(ran), ran, want)
	}
}

// Checks given to RunEach replace ExpectFault and see each kind's error.
func TestRunEachRunsTheGivenChecks(t *testing.T) {
	var checked []string
	fx.RunEach(t,
		func(t *testing.T, k fx.Kind) error { return cgoguard.Call(k.Fixture.Fn, nil) },
		fx.ExpectFault,
		func(t *testing.T, k fx.Kind, err error) { checked = append(checked, k.Name) })
	if len(checked) != len(fx.Kinds()) {
		t.Errorf("the check ran for %v, want every kind", checked)
	}
}

// RunEach must fail a code path that loses the fault or never runs the
// fixture: run in a child process, whose failures the parent reads.
func TestRunEachReportsWhatIsWrong(t *testing.T) {
	code, sig, out := runChild(t, "runeach-failures", "^TestChildRunEach")
	if code != 1 || sig != 0 {
		t.Fatalf("child exit %d (signal %v), want 1 (tests failed):\n%s", code, sig, out)
	}
	for _, want := range []string{
		// A path that never runs the fixture.
		"--- FAIL: TestChildRunEachNeverFaults/null-write",
		"no null-write fault (SIGSEGV) was contained while the code path ran",
		"the code path returned nil, want the null-write fault (SIGSEGV) as a *cgoguard.NativeFault",
		// A path that swallows the fault: contained, but not where expected.
		"--- FAIL: TestChildRunEachSwallowsTheFault/bus",
		"the code path returned nil, want the bus fault (SIGBUS)",
		// A path that runs another fixture than the kind's.
		"--- PASS: TestChildRunEachWrongFixture/null-read",
		"--- FAIL: TestChildRunEachWrongFixture/bus",
		"no bus fault (SIGBUS) was contained",
		"the code path returned a different fault",
		// The abort kinds are skipped in a process without ContainAbort.
		"--- SKIP: TestChildRunEachSwallowsTheFault/abort",
		"abort raises SIGABRT, which this process does not contain; call cgoguard.Init(cgoguard.ContainAbort())",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("child output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("child output:\n%s", out)
	}
}

func TestChildRunEachNeverFaults(t *testing.T) {
	if !inChild("runeach-failures") {
		t.Skip("runs in a child process started by TestRunEachReportsWhatIsWrong")
	}
	fx.RunEach(t, func(t *testing.T, k fx.Kind) error { return nil })
}

func TestChildRunEachSwallowsTheFault(t *testing.T) {
	if !inChild("runeach-failures") {
		t.Skip("runs in a child process started by TestRunEachReportsWhatIsWrong")
	}
	fx.RunEach(t, func(t *testing.T, k fx.Kind) error {
		cgoguard.Call(k.Fixture.Fn, nil)
		return nil
	})
}

func TestChildRunEachWrongFixture(t *testing.T) {
	if !inChild("runeach-failures") {
		t.Skip("runs in a child process started by TestRunEachReportsWhatIsWrong")
	}
	fx.RunEach(t, func(t *testing.T, k fx.Kind) error { return cgoguard.Call(fx.NullRead.Fn, nil) })
}
