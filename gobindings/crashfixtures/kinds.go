//go:build cgo

package crashfixtures

import (
	"runtime"
	"syscall"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// si_code values the kinds report (Linux, <bits/siginfo-consts.h>).
const (
	codeSegvMapErr = 1    // SEGV_MAPERR: address not mapped
	codeSegvAccErr = 2    // SEGV_ACCERR: no permission for the access
	codeBusAdrErr  = 2    // BUS_ADRERR: nonexistent physical address
	codeFpeIntDiv  = 1    // FPE_INTDIV: integer divide by zero
	codeIllIllOpc  = 1    // ILL_ILLOPC: illegal opcode (arm64 udf)
	codeIllIllOpn  = 2    // ILL_ILLOPN: illegal operand (x86-64 ud2; arm64 udf under qemu-user)
	codeTrapBrkpt  = 1    // TRAP_BRKPT: breakpoint (arm64 brk)
	codeSiKernel   = 0x80 // SI_KERNEL: sent by the kernel (x86-64 int3)
	codeSiTkill    = -6   // SI_TKILL: tgkill(), as abort() raises SIGABRT
	codeNone       = 0    // a C++ exception has no si_code
)

// stackOverflowCodes: the main thread's stack grows into an unmapped gap
// (SEGV_MAPERR); a thread stack with a PROT_NONE guard page gives
// SEGV_ACCERR.
var stackOverflowCodes = []int{codeSegvMapErr, codeSegvAccErr}

// Kind is one kind of native crash: the fixture that causes it and what a
// contained fault of that kind looks like. Every kind's fixture runs with a
// nil argument (use-after-munmap also accepts a NewAddrArg, where it stores
// the address of the page it unmapped).
type Kind struct {
	// Name is short, stable and fit for a URL path ("null-write"): the key
	// of Crashes, the subtest name of RunEach and the kind Handler fires.
	Name string
	// Does says in one line what the fixture does.
	Does string
	// Fixture is the C function to pass to cgoguard.Call.
	Fixture Fixture
	// Signal is the signal of the contained fault, or 0 for a C++
	// exception (cgoguard.NativeFault.Exception).
	Signal syscall.Signal
	// Codes lists the si_code values the kernel may report for it
	// (cgoguard.NativeFault.Code); {0} for a C++ exception.
	Codes []int
	// NeedsContainAbort is true for the kinds that end in abort(): a guarded
	// call contains them only after cgoguard.Init(cgoguard.ContainAbort());
	// without it they end the process, as they would without cgoguard.
	NeedsContainAbort bool
}

// Exception reports whether the kind is a C++ exception rather than a signal.
func (k Kind) Exception() bool { return k.Signal == 0 }

// ContainedNow reports whether a guarded call of this kind would be
// contained in this process now: C++ exceptions always are; a signal is when
// cgoguard contains it (cgoguard.Contains: SIGABRT only with ContainAbort,
// and no other library has displaced cgoguard's handler). It first makes one
// clean guarded call, which initializes cgoguard with its defaults if
// nothing did yet, as cgoguard.Call does on first use.
func (k Kind) ContainedNow() bool {
	if err := cgoguard.Call(Empty.Fn, nil); err != nil {
		return false
	}
	return k.Exception() || cgoguard.Contains(k.Signal)
}

// Matches reports whether nf is a fault of this kind: the same signal and
// one of its si_code values, or a C++ exception for the exception kinds.
func (k Kind) Matches(nf *cgoguard.NativeFault) bool {
	if nf == nil || nf.Exception != k.Exception() || nf.Signal != k.Signal {
		return false
	}
	for _, c := range k.Codes {
		if nf.Code == c {
			return true
		}
	}
	return false
}

// Kinds returns every crash kind of this architecture, in a fixed order
// (memory faults, other hardware faults, aborts, C++ exceptions). Integer
// division by zero is listed on x86-64 only: arm64 does not trap on it. The
// undefined instruction and the breakpoint are the architecture's own (ud2
// and int3 on x86-64, udf and brk on arm64), with its si_code. Each call
// returns a new slice.
func Kinds() []Kind {
	segv := func(name, does string, f Fixture, code int) Kind {
		return Kind{Name: name, Does: does, Fixture: f, Signal: syscall.SIGSEGV, Codes: []int{code}}
	}
	abort := func(name, does string, f Fixture) Kind {
		return Kind{Name: name, Does: does, Fixture: f, Signal: syscall.SIGABRT, Codes: []int{codeSiTkill},
			NeedsContainAbort: true}
	}
	exception := func(name, does string, f Fixture) Kind {
		return Kind{Name: name, Does: does, Fixture: f, Codes: []int{codeNone}}
	}
	kinds := []Kind{
		segv("null-read", "reads through a NULL pointer (address 0)", NullRead, codeSegvMapErr),
		segv("null-write", "writes a field of a NULL struct pointer (address 0x10)", NullWrite, codeSegvMapErr),
		segv("readonly-write", "writes into a read-only data page", ReadonlyWrite, codeSegvAccErr),
		segv("write-to-code", "writes into the program's own machine code", WriteToCode, codeSegvAccErr),
		segv("use-after-munmap", "reads a page after munmap() gave it back", UseAfterMunmap, codeSegvMapErr),
		segv("bad-pointer", "calls through a function pointer to an unmapped address (0x1000)",
			BadFunctionPointer, codeSegvMapErr),
		{Name: "stack-overflow", Does: "recurses without bound until the thread's stack runs out",
			Fixture: StackOverflow, Signal: syscall.SIGSEGV, Codes: stackOverflowCodes},
		segv("qsort-callback", "writes through NULL inside a qsort() comparator, under libc frames",
			FaultInQsort, codeSegvMapErr),
		{Name: "bus", Does: "reads a file mapping one page past the end of the file",
			Fixture: BusPastEOF, Signal: syscall.SIGBUS, Codes: []int{codeBusAdrErr}},
	}
	switch runtime.GOARCH {
	case "amd64":
		kinds = append(kinds,
			Kind{Name: "divide-by-zero", Does: "divides an int by zero", Fixture: DivideByZero,
				Signal: syscall.SIGFPE, Codes: []int{codeFpeIntDiv}},
			Kind{Name: "illegal-instruction", Does: "executes an undefined instruction (ud2)",
				Fixture: IllegalInstruction, Signal: syscall.SIGILL, Codes: []int{codeIllIllOpn}},
			Kind{Name: "trap", Does: "executes a breakpoint instruction (int3)", Fixture: Trap,
				Signal: syscall.SIGTRAP, Codes: []int{codeSiKernel}})
	case "arm64":
		kinds = append(kinds,
			// Linux says ILL_ILLOPC for udf; qemu-user says ILL_ILLOPN.
			Kind{Name: "illegal-instruction", Does: "executes an undefined instruction (udf)",
				Fixture: IllegalInstruction, Signal: syscall.SIGILL, Codes: []int{codeIllIllOpc, codeIllIllOpn}},
			Kind{Name: "trap", Does: "executes a breakpoint instruction (brk)", Fixture: Trap,
				Signal: syscall.SIGTRAP, Codes: []int{codeTrapBrkpt}})
	}
	return append(kinds,
		abort("abort", "calls abort()", Abort),
		abort("assert-fail", "fails an assert()", AssertFail),
		abort("noexcept-violation", "throws a C++ exception out of a noexcept function (std::terminate)",
			NoexceptViolation),
		abort("pure-virtual-call", "calls a pure virtual function from a constructor (std::terminate)",
			PureVirtualCall),
		exception("cxx-exception", "throws a std::runtime_error out of a C function", CxxThrow),
		exception("cxx-foreign-exception",
			"throws a C++ exception of a class not derived from std::exception", CxxThrowForeign),
	)
}

// KindNamed returns the kind called name on this architecture.
func KindNamed(name string) (Kind, bool) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}
