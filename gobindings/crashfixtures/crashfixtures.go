// Package crashfixtures exposes the C crash fixtures (tests/fixtures: native
// functions that fail on purpose, one per kind of crash) to Go tests and
// examples, as C function pointers for cgoguard.Call, plus direct unguarded
// calls for tests that must crash for real.
//
// For a service's own tests and staging: Kinds is the catalogue of crash
// kinds (what each does, its signal and si_code, whether it needs
// ContainAbort); RunEach runs a code path of the service once per kind as
// subtests and checks that the process survived and the fault arrived where
// the test expects; Handler is an opt-in HTTP endpoint that fires a chosen
// kind inside a guarded call.
//
// cgo compiles the fixtures into the program from the module's own
// tests/fixtures sources (package github.com/cgoguard/cgoguard/tests/fixtures):
// importing this package is all it takes, with no checkout, build or install.
package crashfixtures

/*
#cgo CFLAGS: -I${SRCDIR}/../../tests/fixtures -I${SRCDIR}/../../include
#include <stdlib.h>
#include "cgg_fixtures.h"
#include <cgoguard/cgoguard.h>

// Body of FaultOnNativeThread: a guarded fault on a thread that Go did not
// create; its report reaches Go's OnFault subscribers from that thread.
static void guarded_null_write(void* arg) {
	*(int*)arg = cgg_call(cgg_fx_null_write, NULL, NULL);
}

static int fault_on_native_thread(size_t stack_size, int* rc) {
	return cgg_fx_run_on_native_thread(guarded_null_write, rc, stack_size);
}

// Calls back into Go (callback.go) through cgg_fx_call_callback.
extern void crashfixturesGoCallback(void* arg);

// A CallCallback argument: the fixture calls cb.fn(cb.arg), and cb.arg
// points at the handle of the Go function to run.
typedef struct go_callback {
	cgg_fx_callback cb;
	uintptr_t handle;
} go_callback;

static go_callback* new_go_callback(uintptr_t handle) {
	go_callback* c = (go_callback*)malloc(sizeof *c);
	if (c == NULL) return NULL;
	c->cb.fn = crashfixturesGoCallback;
	c->cb.arg = &c->handle;
	c->handle = handle;
	return c;
}
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"unsafe"

	// The C code above calls cgg_call: the shim comes with the core package
	// (compiled in, or libcgoguard.so under -tags cgoguard_shared).
	_ "github.com/cgoguard/cgoguard/gobindings"
	// The fixtures themselves, compiled from tests/fixtures.
	_ "github.com/cgoguard/cgoguard/tests/fixtures"
)

// Addresses the fixtures fault at, where they are fixed.
const (
	NullReadAddr  = uintptr(C.CGG_FX_NULL_READ_ADDR)
	NullWriteAddr = uintptr(C.CGG_FX_NULL_WRITE_ADDR)
	BadCallAddr   = uintptr(C.CGG_FX_BAD_CALL_ADDR)
	// ExceptionText is the what() text of the C++ exception fixture.
	ExceptionText = C.CGG_FX_EXCEPTION_TEXT
	// NoexceptText is the what() text of the exception NoexceptViolation
	// throws through a noexcept function.
	NoexceptText = C.CGG_FX_NOEXCEPT_TEXT
)

// Fixture is one native function of the `void fn(void*)` shape.
type Fixture struct {
	Name string         // C function name, as symbolization reports it
	Fn   unsafe.Pointer // pointer to pass to cgoguard.Call
}

// Each fixture, as a C function pointer.
var (
	Empty              = Fixture{"cgg_fx_empty", unsafe.Pointer(C.cgg_fx_empty)}
	Increment          = Fixture{"cgg_fx_increment", unsafe.Pointer(C.cgg_fx_increment)}
	SetErrno           = Fixture{"cgg_fx_set_errno", unsafe.Pointer(C.cgg_fx_set_errno)}
	NullRead           = Fixture{"cgg_fx_null_read", unsafe.Pointer(C.cgg_fx_null_read)}
	NullWrite          = Fixture{"cgg_fx_null_write", unsafe.Pointer(C.cgg_fx_null_write)}
	ReadonlyWrite      = Fixture{"cgg_fx_readonly_write", unsafe.Pointer(C.cgg_fx_readonly_write)}
	BadFunctionPointer = Fixture{"cgg_fx_bad_function_pointer", unsafe.Pointer(C.cgg_fx_bad_function_pointer)}
	StackOverflow      = Fixture{"recurse_forever", unsafe.Pointer(C.cgg_fx_stack_overflow)}
	BusPastEOF         = Fixture{"cgg_fx_bus_past_eof", unsafe.Pointer(C.cgg_fx_bus_past_eof)}
	DivideByZero       = Fixture{"cgg_fx_divide_by_zero", unsafe.Pointer(C.cgg_fx_divide_by_zero)}
	IllegalInstruction = Fixture{"cgg_fx_illegal_instruction", unsafe.Pointer(C.cgg_fx_illegal_instruction)}
	Trap               = Fixture{"cgg_fx_trap", unsafe.Pointer(C.cgg_fx_trap)}
	Abort              = Fixture{"cgg_fx_abort", unsafe.Pointer(C.cgg_fx_abort)}
	AssertFail         = Fixture{"cgg_fx_assert_fail", unsafe.Pointer(C.cgg_fx_assert_fail)}
	CxxThrow           = Fixture{"cgg_fx_cxx_throw", unsafe.Pointer(C.cgg_fx_cxx_throw)}
	FaultInQsort       = Fixture{"compare_faulting", unsafe.Pointer(C.cgg_fx_fault_in_qsort_callback)}
	RaiseSegv          = Fixture{"cgg_fx_raise_segv", unsafe.Pointer(C.cgg_fx_raise_segv)}
	DeepNullWrite      = Fixture{"cgg_fx_null_write", unsafe.Pointer(C.cgg_fx_deep_null_write)}
	CallCallback       = Fixture{"cgg_fx_call_callback", unsafe.Pointer(C.cgg_fx_call_callback)}
	WriteTo            = Fixture{"cgg_fx_write_to", unsafe.Pointer(C.cgg_fx_write_to)}
	SpinThenFault      = Fixture{"cgg_fx_spin_then_fault", unsafe.Pointer(C.cgg_fx_spin_then_fault)}
	SmashedFrames      = Fixture{"cgg_fx_spin_on_smashed_frames", unsafe.Pointer(C.cgg_fx_spin_on_smashed_frames)}
	// UseAfterMunmap reads a page munmap gave back; with a NewAddrArg
	// argument it stores the page's address there first.
	UseAfterMunmap    = Fixture{"cgg_fx_use_after_munmap", unsafe.Pointer(C.cgg_fx_use_after_munmap)}
	WriteToCode       = Fixture{"cgg_fx_write_to_code", unsafe.Pointer(C.cgg_fx_write_to_code)}
	NoexceptViolation = Fixture{"cgg_fx_noexcept_violation", unsafe.Pointer(C.cgg_fx_noexcept_violation)}
	PureVirtualCall   = Fixture{"cgg_fx_pure_virtual_call", unsafe.Pointer(C.cgg_fx_pure_virtual_call)}
	// DoubleFree frees a block twice: glibc aborts inside free, where
	// cgoguard declines the fault even with ContainAbort (the allocator is
	// on the faulting stack), so it is not among Kinds.
	DoubleFree      = Fixture{"cgg_fx_double_free", unsafe.Pointer(C.cgg_fx_double_free)}
	CxxThrowInt     = Fixture{"cgg_fx_cxx_throw_int", unsafe.Pointer(C.cgg_fx_cxx_throw_int)}
	CxxThrowForeign = Fixture{"cgg_fx_cxx_throw_foreign", unsafe.Pointer(C.cgg_fx_cxx_throw_foreign)}
	// CxxThrowVia throws from cgg_fx_cxx_thrower_a when its int argument is
	// 0, else from cgg_fx_cxx_thrower_b: one entry point, two throw sites.
	CxxThrowVia = Fixture{"cgg_fx_cxx_throw_via", unsafe.Pointer(C.cgg_fx_cxx_throw_via)}
	// CxxThrowCaughtInside throws and catches inside native code, then adds
	// 1 to its int argument: nothing escapes.
	CxxThrowCaughtInside = Fixture{"cgg_fx_cxx_throw_caught_inside", unsafe.Pointer(C.cgg_fx_cxx_throw_caught_inside)}

	// The heap corruptions below make glibc's malloc fault or abort with
	// its arena lock held. cgoguard declines those faults (the allocator
	// is on the faulting stack), so each ends the process even under a
	// guard: they are for crash tests in child processes, not in Kinds.
	// Not meaningful under AddressSanitizer, whose allocator replaces
	// glibc's.

	// CorruptFastbin writes into a freed block's free-list link (a use
	// after free) and returns normally; the next malloc of
	// FastbinSize bytes in that thread's arena faults inside malloc.
	CorruptFastbin = Fixture{"cgg_fx_corrupt_fastbin", unsafe.Pointer(C.cgg_fx_corrupt_fastbin)}
	// MallocFastbinSize allocates FastbinSize bytes (and leaks them).
	MallocFastbinSize = Fixture{"cgg_fx_malloc_fastbin_size", unsafe.Pointer(C.cgg_fx_malloc_fastbin_size)}
	// CorruptFastbinThenMalloc is CorruptFastbin then MallocFastbinSize:
	// SIGSEGV inside malloc.
	CorruptFastbinThenMalloc = Fixture{"cgg_fx_corrupt_fastbin_then_malloc",
		unsafe.Pointer(C.cgg_fx_corrupt_fastbin_then_malloc)}
	// CorruptHeapThenMalloc corrupts the top chunk's size and allocates:
	// glibc aborts inside malloc ("malloc(): corrupted top size").
	CorruptHeapThenMalloc = Fixture{"cgg_fx_corrupt_heap_then_malloc",
		unsafe.Pointer(C.cgg_fx_corrupt_heap_then_malloc)}
)

// FastbinSize is the size of the blocks CorruptFastbin corrupts and
// MallocFastbinSize allocates.
const FastbinSize = int(C.CGG_FX_FASTBIN_SIZE)

// MallocFastbinSizeUnguarded calls malloc for FastbinSize bytes through
// plain cgo, unguarded (the block is leaked): after CorruptFastbin on the
// same thread, it faults inside malloc.
func MallocFastbinSizeUnguarded() { C.cgg_fx_malloc_fastbin_size(nil) }

// FaultOnNativeThread creates a thread in C (no Go, no alternate signal
// stack), runs a guarded null write on it with cgg_call, and returns
// cgg_call's result (SIGSEGV when contained).
func FaultOnNativeThread(stackSize int) (int, error) {
	var rc C.int
	if err := C.fault_on_native_thread(C.size_t(stackSize), &rc); err != 0 {
		return 0, fmt.Errorf("crashfixtures: pthread: errno %d", int(err))
	}
	return int(rc), nil
}

// CallEmpty calls the empty fixture through plain cgo, unguarded: the
// baseline guarded calls are compared against.
func CallEmpty(arg unsafe.Pointer) { C.cgg_fx_empty(arg) }

// CallEmptyTimes calls the empty fixture n times through plain cgo with a
// constant nil argument, as a user's own loop of `C.f(nil)` does: cgo checks
// no pointer at run time and no Go frame stands between the loop and the
// call. The baseline Call is measured against.
func CallEmptyTimes(n int) {
	for i := 0; i < n; i++ {
		C.cgg_fx_empty(nil)
	}
}

// CxxThrowLine is the source line of CxxThrow's throw statement (in
// tests/fixtures/fixtures_cxx.cc).
func CxxThrowLine() int { return int(C.cgg_fx_cxx_throw_line) }

// ReadonlyAddress is the address cgg_fx_readonly_write writes to.
func ReadonlyAddress() uintptr { return uintptr(C.cgg_fx_readonly_address()) }

// BusAddress is the address cgg_fx_bus_past_eof reads.
func BusAddress() uintptr { return uintptr(C.cgg_fx_bus_address()) }

// CodeAddress is the address in the fixtures' own code that
// cgg_fx_write_to_code writes to.
func CodeAddress() uintptr { return uintptr(C.cgg_fx_code_address()) }

// NullWriteUnguarded writes through a null pointer with no guard: the
// process dies exactly as it would without cgoguard.
func NullWriteUnguarded() { C.cgg_fx_null_write(nil) }

// CorruptHeapUnguarded corrupts the C heap and allocates, with no guard:
// glibc detects the corruption inside malloc and aborts with its arena lock
// held, so the process dies by SIGABRT. Whatever runs in the crash path must
// not allocate (it would wait for that lock forever).
func CorruptHeapUnguarded() { C.cgg_fx_corrupt_heap_then_malloc(nil) }

// CArg is memory in C for a fixture's argument (it survives any Go stack
// movement and follows the cgo pointer rules trivially). Free releases it.
type CArg struct{ p unsafe.Pointer }

// NewIntArg allocates a C int holding v.
func NewIntArg(v int) CArg {
	p := C.malloc(C.size_t(unsafe.Sizeof(C.int(0))))
	*(*C.int)(p) = C.int(v)
	return CArg{p}
}

// Ptr is the pointer to pass to cgoguard.Call.
func (a CArg) Ptr() unsafe.Pointer { return a.p }

// EachSampleFault calls run with four faults whose native stacks differ,
// each fixture with its argument: a null write (NullWrite), one three calls
// deep (DeepNullWrite), and a C++ exception thrown through C frames from
// either of two throwers (CxxThrowVia 0 and 1). An argument is freed once
// run returns: run makes its guarded call before it does.
func EachSampleFault(run func(fn, arg unsafe.Pointer)) {
	run(NullWrite.Fn, nil)
	depth := NewIntArg(3)
	run(DeepNullWrite.Fn, depth.Ptr())
	depth.Free()
	for which := range 2 {
		arg := NewIntArg(which)
		run(CxxThrowVia.Fn, arg.Ptr())
		arg.Free()
	}
}

// NewAddrArg allocates a C uintptr_t holding addr, for WriteTo.
func NewAddrArg(addr uintptr) CArg {
	p := C.malloc(C.size_t(unsafe.Sizeof(C.uintptr_t(0))))
	*(*C.uintptr_t)(p) = C.uintptr_t(addr)
	return CArg{p}
}

// SetAddr changes the address a NewAddrArg argument holds.
func (a CArg) SetAddr(addr uintptr) { *(*C.uintptr_t)(a.p) = C.uintptr_t(addr) }

// Addr reads the address a NewAddrArg argument holds (UseAfterMunmap stores
// the page it read there).
func (a CArg) Addr() uintptr { return uintptr(*(*C.uintptr_t)(a.p)) }

// NewLongArg allocates a C long holding v, for SpinThenFault.
func NewLongArg(v int64) CArg {
	p := C.malloc(C.size_t(unsafe.Sizeof(C.long(0))))
	*(*C.long)(p) = C.long(v)
	return CArg{p}
}

// Int reads the C int back.
func (a CArg) Int() int { return int(*(*C.int)(a.p)) }

// Free releases the C memory.
func (a CArg) Free() { C.free(a.p) }

// Callback is a C argument for the CallCallback fixture: the guarded C
// function calls fn, in Go, through it. Free releases it.
type Callback struct {
	c      *C.go_callback
	handle cgo.Handle
}

// NewCallback prepares a CallCallback argument that calls fn.
func NewCallback(fn func()) *Callback {
	h := cgo.NewHandle(fn)
	c := C.new_go_callback(C.uintptr_t(h))
	if c == nil {
		h.Delete()
		panic("crashfixtures: out of C memory")
	}
	return &Callback{c: c, handle: h}
}

// Ptr is the pointer to pass to cgoguard.Call with CallCallback.Fn.
func (cb *Callback) Ptr() unsafe.Pointer { return unsafe.Pointer(cb.c) }

// Free releases the C memory and the handle.
func (cb *Callback) Free() {
	cb.handle.Delete()
	C.free(unsafe.Pointer(cb.c))
}

// Crashes returns the fixture of every crash kind of this architecture
// (see Kinds), by the kind's name: "null-read", "null-write", ... Each call
// returns a new map.
func Crashes() map[string]Fixture {
	m := map[string]Fixture{}
	for _, k := range Kinds() {
		m[k.Name] = k.Fixture
	}
	return m
}
