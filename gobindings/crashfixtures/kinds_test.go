//go:build cgo

package crashfixtures_test

import (
	"errors"
	"os"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// Every kind's fixture, run under cgoguard.Call with a nil argument, is
// contained as its catalogue entry says.
func TestEveryKindIsContainedAsCatalogued(t *testing.T) {
	for _, k := range fx.Kinds() {
		t.Run(k.Name, func(t *testing.T) {
			err := cgoguard.Call(k.Fixture.Fn, nil)
			var nf *cgoguard.NativeFault
			if !errors.As(err, &nf) || !errors.Is(err, cgoguard.ErrNativeFault) {
				t.Fatalf("Call returned %v, want a *NativeFault", err)
			}
			if !k.Matches(nf) {
				t.Errorf("fault %v (signal %v, code %d, exception %v) does not match the kind (signal %v, codes %v)",
					nf, nf.Signal, nf.Code, nf.Exception, k.Signal, k.Codes)
			}
			if k.NeedsContainAbort != (k.Signal == syscall.SIGABRT) {
				t.Errorf("NeedsContainAbort %v for signal %v", k.NeedsContainAbort, k.Signal)
			}
			if !k.ContainedNow() {
				t.Error("ContainedNow is false in a process with ContainAbort")
			}
		})
	}
}

func TestKindMatchesOnlyItsOwnFaults(t *testing.T) {
	nullWrite, _ := fx.KindNamed("null-write")
	abort, _ := fx.KindNamed("abort")
	exception, _ := fx.KindNamed("cxx-exception")
	segv := &cgoguard.NativeFault{Signal: syscall.SIGSEGV, Code: 1}
	accErr := &cgoguard.NativeFault{Signal: syscall.SIGSEGV, Code: 2}
	thrown := &cgoguard.NativeFault{Exception: true}
	if !nullWrite.Matches(segv) || nullWrite.Matches(accErr) || nullWrite.Matches(thrown) || nullWrite.Matches(nil) {
		t.Error("null-write must match SIGSEGV/SEGV_MAPERR only")
	}
	if abort.Matches(segv) || !exception.Matches(thrown) || exception.Matches(segv) {
		t.Error("abort and cxx-exception match the wrong faults")
	}
}

func TestCrashesIsTheCatalogueByName(t *testing.T) {
	crashes := fx.Crashes()
	kinds := fx.Kinds()
	if len(crashes) != len(kinds) {
		t.Fatalf("Crashes has %d entries, Kinds %d", len(crashes), len(kinds))
	}
	url := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	for _, k := range kinds {
		if crashes[k.Name] != k.Fixture {
			t.Errorf("Crashes()[%q] = %v, want %v", k.Name, crashes[k.Name], k.Fixture)
		}
		if !url.MatchString(k.Name) || k.Does == "" || len(k.Codes) == 0 {
			t.Errorf("kind %+v: want a lower-case dashed name, a description and codes", k)
		}
		if got, ok := fx.KindNamed(k.Name); !ok || got.Name != k.Name {
			t.Errorf("KindNamed(%q) = %v, %v", k.Name, got, ok)
		}
	}
	if _, ok := fx.KindNamed("no-such-kind"); ok {
		t.Error("KindNamed found a kind that does not exist")
	}
}

func TestUseAfterMunmapFaultsAtTheUnmappedPage(t *testing.T) {
	page := fx.NewAddrArg(0)
	defer page.Free()
	var nf *cgoguard.NativeFault
	if !errors.As(cgoguard.Call(fx.UseAfterMunmap.Fn, page.Ptr()), &nf) {
		t.Fatal("not contained")
	}
	if page.Addr() == 0 || nf.Addr != page.Addr() || page.Addr()%uintptr(os.Getpagesize()) != 0 {
		t.Errorf("fault at %#x, the fixture unmapped the page at %#x", nf.Addr, page.Addr())
	}
}

func TestWriteToCodeFaultsAtTheCode(t *testing.T) {
	var nf *cgoguard.NativeFault
	if !errors.As(cgoguard.Call(fx.WriteToCode.Fn, nil), &nf) {
		t.Fatal("not contained")
	}
	if nf.Addr != fx.CodeAddress() || nf.Code != 2 {
		t.Errorf("fault at %#x code %d, want SEGV_ACCERR at the code address %#x", nf.Addr, nf.Code, fx.CodeAddress())
	}
}

func TestForeignExceptionNamesItsClass(t *testing.T) {
	var nf *cgoguard.NativeFault
	if !errors.As(cgoguard.Call(fx.CxxThrowForeign.Fn, nil), &nf) || !nf.Exception {
		t.Fatal("not contained as an exception")
	}
	if want := "cgg_fx::LegacyError: exception not derived from std::exception"; nf.Message != want {
		t.Errorf("Message = %q, want %q", nf.Message, want)
	}
}

// The table of crash kinds in docs/crash-fixtures.md lists every kind of the catalogue, and
// says "ContainAbort" exactly for those that need it.
func TestReadmeTableListsEveryKind(t *testing.T) {
	readme, err := os.ReadFile("../../docs/crash-fixtures.md")
	if err != nil {
		t.Skip("no docs/crash-fixtures.md next to the module:", err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(readme), "\n") {
		if m := regexp.MustCompile("^\\| `([a-z0-9-]+)` \\|").FindStringSubmatch(line); m != nil {
			rows[m[1]] = line
		}
	}
	for _, k := range fx.Kinds() {
		row, ok := rows[k.Name]
		if !ok {
			t.Errorf("docs/crash-fixtures.md has no table row for kind %s", k.Name)
			continue
		}
		if strings.Contains(row, "ContainAbort") != k.NeedsContainAbort {
			t.Errorf("docs/crash-fixtures.md row of %s: ContainAbort mentioned %v, want %v:\n%s",
				k.Name, !k.NeedsContainAbort, k.NeedsContainAbort, row)
		}
	}
}

// Each architecture lists the hardware faults it has: the undefined
// instruction and the breakpoint everywhere (ud2 and int3, udf and brk),
// integer division by zero only where it traps (x86-64; arm64 returns 0).
func TestKindsListTheArchitecturesHardwareFaults(t *testing.T) {
	for name, want := range map[string]bool{
		"illegal-instruction": true,
		"trap":                true,
		"divide-by-zero":      runtime.GOARCH == "amd64",
	} {
		if _, ok := fx.KindNamed(name); ok != want {
			t.Errorf("on %s, KindNamed(%q) found = %v, want %v", runtime.GOARCH, name, ok, want)
		}
	}
}
