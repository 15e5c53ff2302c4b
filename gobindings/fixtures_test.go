//go:build cgo

package cgoguard_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// si_code values (Linux, <bits/siginfo-consts.h>).
const (
	segvMapErr = 1
	segvAccErr = 2
	busAdrErr  = 2
	fpeIntDiv  = 1
	illIllOpc  = 1
	illIllOpn  = 2
	siKernel   = 0x80
	trapBrkpt  = 1
	siTkill    = -6
)

func TestEveryFixtureIsContained(t *testing.T) {
	deep := fx.NewIntArg(16)
	defer deep.Free()
	unmapped := fx.NewAddrArg(0)
	defer unmapped.Free()
	// The undefined instruction (ud2, udf) and the breakpoint (int3, brk)
	// differ per architecture; arm64's brk reports its own address.
	illCodes, trapCodes, trapAddr := []int{illIllOpn}, []int{siKernel}, fixed(0)
	if runtime.GOARCH == "arm64" {
		// udf: Linux says ILL_ILLOPC; qemu-user, which runs the arm64 tests
		// in CI, says ILL_ILLOPN.
		illCodes, trapCodes, trapAddr = []int{illIllOpc, illIllOpn}, []int{trapBrkpt}, atPC
	}
	cases := []struct {
		fx       fx.Fixture
		arg      unsafe.Pointer
		signal   syscall.Signal
		code     int   // -1: any
		codes    []int // accepted values, instead of code
		addr     func(nf *cgoguard.NativeFault) uintptr
		amd64    bool
		function string
	}{
		{fx: fx.NullRead, signal: syscall.SIGSEGV, code: segvMapErr, addr: fixed(fx.NullReadAddr)},
		{fx: fx.NullWrite, signal: syscall.SIGSEGV, code: segvMapErr, addr: fixed(fx.NullWriteAddr)},
		{fx: fx.ReadonlyWrite, signal: syscall.SIGSEGV, code: segvAccErr, addr: fixed(fx.ReadonlyAddress())},
		{fx: fx.BadFunctionPointer, signal: syscall.SIGSEGV, code: segvMapErr, addr: fixed(fx.BadCallAddr)},
		{fx: fx.StackOverflow, signal: syscall.SIGSEGV, code: -1},
		{fx: fx.BusPastEOF, signal: syscall.SIGBUS, code: busAdrErr, addr: fixed(fx.BusAddress())},
		{fx: fx.DivideByZero, signal: syscall.SIGFPE, code: fpeIntDiv, addr: atPC, amd64: true},
		{fx: fx.IllegalInstruction, signal: syscall.SIGILL, codes: illCodes, addr: atPC},
		{fx: fx.Trap, signal: syscall.SIGTRAP, codes: trapCodes, addr: trapAddr},
		{fx: fx.Abort, signal: syscall.SIGABRT, code: siTkill, addr: fixed(0)},
		{fx: fx.AssertFail, signal: syscall.SIGABRT, code: siTkill, addr: fixed(0)},
		{fx: fx.FaultInQsort, signal: syscall.SIGSEGV, code: segvMapErr, addr: fixed(fx.NullWriteAddr)},
		{fx: fx.DeepNullWrite, arg: deep.Ptr(), signal: syscall.SIGSEGV, code: segvMapErr, addr: fixed(fx.NullWriteAddr), function: "deep"},
		{fx: fx.UseAfterMunmap, arg: unmapped.Ptr(), signal: syscall.SIGSEGV, code: segvMapErr, addr: func(*cgoguard.NativeFault) uintptr { return unmapped.Addr() }},
		{fx: fx.WriteToCode, signal: syscall.SIGSEGV, code: segvAccErr, addr: fixed(fx.CodeAddress())},
		{fx: fx.NoexceptViolation, signal: syscall.SIGABRT, code: siTkill, addr: fixed(0)},
		{fx: fx.PureVirtualCall, signal: syscall.SIGABRT, code: siTkill, addr: fixed(0)},
	}
	for _, c := range cases {
		t.Run(c.fx.Name, func(t *testing.T) {
			if c.amd64 && runtime.GOARCH != "amd64" {
				t.Skip("arm64 does not trap on integer division by zero")
			}
			err := cgoguard.Call(c.fx.Fn, c.arg)
			var nf *cgoguard.NativeFault
			if !errors.As(err, &nf) {
				t.Fatalf("Call returned %v, want *NativeFault", err)
			}
			if !errors.Is(err, cgoguard.ErrNativeFault) {
				t.Error("errors.Is(err, ErrNativeFault) is false")
			}
			if nf.Signal != c.signal {
				t.Errorf("Signal = %v, want %v", nf.Signal, c.signal)
			}
			if c.codes != nil && !slices.Contains(c.codes, nf.Code) {
				t.Errorf("Code = %d, want one of %v", nf.Code, c.codes)
			}
			if c.codes == nil && c.code != -1 && nf.Code != c.code {
				t.Errorf("Code = %d, want %d", nf.Code, c.code)
			}
			if c.addr != nil && nf.Addr != c.addr(nf) {
				t.Errorf("Addr = %#x, want %#x", nf.Addr, c.addr(nf))
			}
			if nf.PC == 0 || len(nf.Frames) == 0 || nf.Frames[0].PC != nf.PC {
				t.Errorf("PC = %#x, frames %v: want frames[0] at the faulting pc", nf.PC, nf.Frames)
			}
			want := c.fx.Name
			if c.function != "" {
				want = c.function
			}
			if !frameNamed(nf.Frames, want) {
				t.Errorf("no native frame names %q:\n%+v", want, nf)
			}
			if nf.Fingerprint == "" || strings.Contains(nf.Error(), "\n") {
				t.Errorf("Fingerprint %q, Error() %q: want a fingerprint and one line", nf.Fingerprint, nf.Error())
			}
		})
	}
}

func fixed(addr uintptr) func(*cgoguard.NativeFault) uintptr {
	return func(*cgoguard.NativeFault) uintptr { return addr }
}

// For SIGFPE and SIGILL (and arm64's SIGTRAP) the kernel reports the faulting
// instruction.
func atPC(nf *cgoguard.NativeFault) uintptr { return nf.PC }

func TestBadFunctionPointerNamesTheCaller(t *testing.T) {
	var nf *cgoguard.NativeFault
	if !errors.As(cgoguard.Call(fx.BadFunctionPointer.Fn, nil), &nf) {
		t.Fatal("not contained")
	}
	if nf.PC != fx.BadCallAddr {
		t.Errorf("PC = %#x, want the bad target %#x", nf.PC, fx.BadCallAddr)
	}
	if len(nf.Frames) < 2 || nf.Frames[1].Function != fx.BadFunctionPointer.Name {
		t.Errorf("frame 1 should be the caller %s:\n%+v", fx.BadFunctionPointer.Name, nf)
	}
}

func TestCxxExceptionCarriesItsMessage(t *testing.T) {
	err := cgoguard.Call(fx.CxxThrow.Fn, nil)
	var nf *cgoguard.NativeFault
	if !errors.As(err, &nf) {
		t.Fatalf("Call returned %v, want *NativeFault", err)
	}
	if !nf.Exception || nf.Signal != 0 {
		t.Errorf("Exception = %v, Signal = %v: want an exception, no signal", nf.Exception, nf.Signal)
	}
	if !strings.Contains(nf.Message, fx.ExceptionText) || !strings.Contains(nf.Message, "std::runtime_error") {
		t.Errorf("Message = %q, want the type and %q", nf.Message, fx.ExceptionText)
	}
	if !errors.Is(err, cgoguard.ErrNativeFault) {
		t.Error("errors.Is(err, ErrNativeFault) is false")
	}
}

func TestForeignExceptionCarriesItsType(t *testing.T) {
	var nf *cgoguard.NativeFault
	if !errors.As(cgoguard.Call(fx.CxxThrowForeign.Fn, nil), &nf) {
		t.Fatal("the foreign exception was not contained")
	}
	if !nf.Exception || nf.Signal != 0 || nf.Code != 0 || nf.Addr != 0 {
		t.Errorf("Exception %v, Signal %v, Code %d, Addr %#x: want an exception with no signal",
			nf.Exception, nf.Signal, nf.Code, nf.Addr)
	}
	if want := "cgg_fx::LegacyError: exception not derived from std::exception"; nf.Message != want {
		t.Errorf("Message = %q, want %q", nf.Message, want)
	}
}

func init() {
	childScenarios["contains-by-init"] = func() {
		report := func(when string) {
			println(fmt.Sprintf("%s segv=%v abrt=%v trap=%v", when,
				cgoguard.Contains(syscall.SIGSEGV), cgoguard.Contains(syscall.SIGABRT),
				cgoguard.Contains(syscall.SIGTRAP)))
		}
		report("before")
		if err := cgoguard.Init(); err != nil {
			panic(err)
		}
		report("init")
		if err := cgoguard.Init(cgoguard.ContainAbort()); err != nil {
			panic(err)
		}
		report("abort")
	}
}

// Contains follows the options of every Init so far; a fresh process shows
// each step.
func TestContainsFollowsInit(t *testing.T) {
	code, _, stderr := runChild(t, "contains-by-init")
	want := "before segv=false abrt=false trap=false\n" +
		"init segv=true abrt=false trap=true\n" +
		"abort segv=true abrt=true trap=true\n"
	if code != 0 || stderr != want {
		t.Errorf("child exit %d, stderr:\n%s\nwant:\n%s", code, stderr, want)
	}
	if cgoguard.Contains(0) || cgoguard.Contains(64) {
		t.Error("Contains reports true for a signal number out of range")
	}
}

const overflowOnMainThread = "stack-overflow-on-main-thread"

func init() {
	if os.Getenv(childEnv) == overflowOnMainThread {
		// Locked during init, the main goroutine stays on the process's
		// main thread, whose stack the kernel places at a random offset
		// in every process.
		runtime.LockOSThread()
	}
	childScenarios[overflowOnMainThread] = func() {
		if err := cgoguard.Init(); err != nil {
			panic(err)
		}
		var nf *cgoguard.NativeFault
		if !errors.As(cgoguard.Call(fx.StackOverflow.Fn, nil), &nf) {
			panic("the stack overflow was not contained")
		}
		top := nf.Frames[0]
		println(fmt.Sprintf("fingerprint=%s top=%s+%#x", nf.Fingerprint, top.Function, top.Offset))
	}
}

// One unbounded recursion is one site, whichever of its instructions first
// touched the end of the stack. Where that happens depends on where the
// thread's stack began, which differs from thread to thread and, for the
// main thread, from run to run: the processes here each overflow on their
// main thread.
func TestStackOverflowHasOneFingerprintWhereverTheStackBegins(t *testing.T) {
	const runs = 48
	fingerprints, tops := map[string]int{}, map[string]int{}
	for range runs {
		code, _, stderr := runChild(t, overflowOnMainThread)
		var fp, top string
		if _, err := fmt.Sscanf(strings.TrimSpace(stderr), "fingerprint=%s top=%s", &fp, &top); code != 0 || err != nil || fp == "" {
			t.Fatalf("child exit %d, stderr:\n%s", code, stderr)
		}
		fingerprints[fp]++
		tops[top]++
	}
	if len(fingerprints) != 1 {
		t.Errorf("%d runs of one recursion gave %d fingerprints %v (innermost frames %v)", runs, len(fingerprints), fingerprints, tops)
	}
	t.Logf("innermost frames over %d runs: %v", runs, tops)
}

func TestCxxExceptionNamesItsThrowSite(t *testing.T) {
	var nf *cgoguard.NativeFault
	if !errors.As(cgoguard.Call(fx.CxxThrow.Fn, nil), &nf) {
		t.Fatal("not contained")
	}
	nf.Symbolize()
	if len(nf.Frames) == 0 {
		t.Fatalf("no native frames recorded at the throw:\n%+v", nf)
	}
	top := nf.Frames[0]
	if top.Function != fx.CxxThrow.Name || !strings.HasSuffix(top.File, "tests/fixtures/fixtures_cxx.cc") ||
		top.Line != fx.CxxThrowLine() {
		t.Errorf("Frames[0] = %v, want %s at fixtures_cxx.cc:%d", top, fx.CxxThrow.Name, fx.CxxThrowLine())
	}
	if len(top.BuildID) != 40 || top.ModuleOffset == 0 {
		t.Errorf("Frames[0] build ID %q, module offset %#x: want the module's GNU build ID and the offset in it",
			top.BuildID, top.ModuleOffset)
	}
	if !strings.Contains(nf.Error(), " in "+fx.CxxThrow.Name) {
		t.Errorf("Error() = %q, want it to name the throwing function", nf.Error())
	}
}

// The same entry point, the same exception type and text, two throwing
// functions: two fingerprints. The Call is the same line both times.
func TestCxxExceptionsFromTwoThrowersHaveTwoFingerprints(t *testing.T) {
	var prints [2]string
	for which := range prints {
		arg := fx.NewIntArg(which)
		var nf *cgoguard.NativeFault
		ok := errors.As(cgoguard.Call(fx.CxxThrowVia.Fn, arg.Ptr()), &nf)
		arg.Free()
		if !ok {
			t.Fatal("not contained")
		}
		nf.Symbolize()
		want := []string{"cgg_fx_cxx_thrower_a", "cgg_fx_cxx_thrower_b"}[which]
		if len(nf.Frames) < 2 || nf.Frames[0].Function != want || nf.Frames[1].Function != fx.CxxThrowVia.Name {
			t.Errorf("frames of thrower %d:\n%+v\nwant %s called from %s", which, nf, want, fx.CxxThrowVia.Name)
		}
		prints[which] = nf.Fingerprint
	}
	if prints[0] == "" || prints[0] == prints[1] {
		t.Errorf("fingerprints %q and %q: want two different ones", prints[0], prints[1])
	}
}

func TestCxxExceptionCaughtInNativeCodeLeavesNoTrace(t *testing.T) {
	var reports atomic.Int64
	cancel := cgoguard.OnFault(func(*cgoguard.NativeFault) { reports.Add(1) })
	defer cancel()
	before := cgoguard.Stats()
	caught := fx.NewIntArg(0)
	defer caught.Free()
	if err := cgoguard.Call(fx.CxxThrowCaughtInside.Fn, caught.Ptr()); err != nil {
		t.Fatalf("Call = %v, want nil", err)
	}
	if caught.Int() != 1 {
		t.Errorf("the native catch block ran %d times, want 1", caught.Int())
	}
	after := cgoguard.Stats()
	if after.CxxExceptions != before.CxxExceptions || after.ContainedTotal != before.ContainedTotal {
		t.Errorf("stats moved: exceptions %d -> %d, contained %d -> %d",
			before.CxxExceptions, after.CxxExceptions, before.ContainedTotal, after.ContainedTotal)
	}
	if n := reports.Load(); n != 0 {
		t.Errorf("%d fault reports for an exception that never left native code", n)
	}
}

func TestCleanCallReturnsNil(t *testing.T) {
	counter := fx.NewIntArg(41)
	defer counter.Free()
	if err := cgoguard.Call(fx.Increment.Fn, counter.Ptr()); err != nil {
		t.Fatalf("Call = %v", err)
	}
	if counter.Int() != 42 {
		t.Errorf("the function did not run: counter = %d", counter.Int())
	}
	if err := cgoguard.Call(nil, nil); !errors.Is(err, cgoguard.ErrNilFunction) {
		t.Errorf("Call(nil) = %v, want ErrNilFunction", err)
	}
}

// C code may leave errno set on a normal return; Call must not take that
// for a failure.
func TestCleanCallThatLeavesErrnoSetReturnsNil(t *testing.T) {
	for i := 0; i < 3; i++ {
		if err := cgoguard.Call(fx.SetErrno.Fn, nil); err != nil {
			t.Fatalf("Call = %v, want nil", err)
		}
	}
}

func TestCleanCallAllocatesNothing(t *testing.T) {
	allocs := testing.AllocsPerRun(1000, func() {
		if err := cgoguard.Call(fx.Empty.Fn, nil); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("a clean Call allocates %.1f times, want 0", allocs)
	}
}

func TestGoStackStartsAtTheCaller(t *testing.T) {
	var nf *cgoguard.NativeFault
	if !errors.As(cgoguard.Call(fx.NullWrite.Fn, nil), &nf) {
		t.Fatal("not contained")
	}
	if len(nf.GoStack) == 0 || !strings.HasSuffix(nf.GoStack[0].Function, "TestGoStackStartsAtTheCaller") {
		t.Fatalf("GoStack should start at this test:\n%+v", nf)
	}
	full := formatPlus(nf)
	for _, want := range []string{"TestGoStackStartsAtTheCaller", "guarded native call", "cgg_fx_null_write", "fixtures.c"} {
		if !strings.Contains(full, want) {
			t.Errorf("%%+v lacks %q:\n%s", want, full)
		}
	}
	// Innermost first, as the incident logs and the debug page print a
	// stack: below the one-line summary, the faulting native function comes
	// before the Go caller, and the Go caller before the test runner.
	_, chain, _ := strings.Cut(full, "\n")
	if strings.Index(chain, "cgg_fx_null_write") > strings.Index(chain, "TestGoStackStartsAtTheCaller") ||
		strings.Index(chain, "TestGoStackStartsAtTheCaller") > strings.Index(chain, "testing.tRunner") {
		t.Errorf("%%+v is not ordered innermost first:\n%s", full)
	}
}

func TestFingerprintIsStablePerSite(t *testing.T) {
	fp := func(f fx.Fixture) string {
		var nf *cgoguard.NativeFault
		if !errors.As(cgoguard.Call(f.Fn, nil), &nf) {
			t.Fatalf("%s not contained", f.Name)
		}
		return nf.Fingerprint
	}
	a, b, c := fp(fx.NullWrite), fp(fx.NullWrite), fp(fx.NullRead)
	if a != b {
		t.Errorf("same site, different fingerprints: %s %s", a, b)
	}
	if a == c {
		t.Errorf("different sites, same fingerprint %s", a)
	}
}

func init() {
	childScenarios["print-fingerprint"] = func() {
		var nf *cgoguard.NativeFault
		if errors.As(cgoguard.Call(fx.NullWrite.Fn, nil), &nf) {
			nf.Symbolize() // the first fault may come before the symbolizer is ready
			println("fingerprint=" + nf.Fingerprint)
		}
	}
}

// Across runs the load addresses change (ASLR); the fingerprint must not.
func TestFingerprintIsStableAcrossRuns(t *testing.T) {
	var seen []string
	for i := 0; i < 2; i++ {
		code, _, stderr := runChild(t, "print-fingerprint")
		if code != 0 || !strings.Contains(stderr, "fingerprint=") || strings.Contains(stderr, "fingerprint=\n") {
			t.Fatalf("child exit %d, stderr %q", code, stderr)
		}
		seen = append(seen, strings.TrimSpace(stderr[strings.Index(stderr, "fingerprint="):]))
	}
	if seen[0] != seen[1] {
		t.Errorf("fingerprints differ across runs: %v", seen)
	}
}

func TestFaultOnNativeThreadReachesSubscribers(t *testing.T) {
	got := make(chan *cgoguard.NativeFault, 1)
	cancel := cgoguard.OnFault(func(nf *cgoguard.NativeFault) {
		select {
		case got <- nf:
		default:
		}
	})
	defer cancel()
	rc, err := fx.FaultOnNativeThread(256 * 1024)
	if err != nil {
		t.Fatal(err)
	}
	if syscall.Signal(rc) != syscall.SIGSEGV {
		t.Fatalf("cgg_call on the native thread returned %d, want SIGSEGV", rc)
	}
	select {
	case nf := <-got:
		if nf.Addr != fx.NullWriteAddr || !frameNamed(nf.Frames, "cgg_fx_null_write") {
			t.Errorf("report from the native thread:\n%+v", nf)
		}
	default:
		t.Fatal("no report reached Go from the native thread")
	}
}

func formatPlus(nf *cgoguard.NativeFault) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%+v", nf)
	return b.String()
}
