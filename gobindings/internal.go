package cgoguard

/*
#include <stdint.h>
#include <time.h>
#include <cgoguard/cgoguard.h>

// call.go's entry point for the call wrappers the build flag writes.
extern int cgoguard_cgo_call(void (*)(void*), void*, int);

static int cgoguard_call_as_flagged(uintptr_t fn, void* arg) {
	return cgoguard_cgo_call((void (*)(void*))fn, arg, 1);
}

// A native call that runs long enough for the runtime's monitor thread to
// hand its P to another goroutine (sysmon, which wakes every 20 us to 10 ms,
// retakes the P of a cgo call when there is other work), then writes through
// a null pointer: when the call returns, the goroutine finds its P gone and,
// unless it is locked to its thread, resumes on another one.
static void cgoguard_slow_null_write(void* arg) {
	struct timespec pause = {0, 20 * 1000 * 1000};
	nanosleep(&pause, 0);
	*(volatile int*)16 = 1;
}

static void* cgoguard_slow_null_write_fn(void) { return (void*)cgoguard_slow_null_write; }
*/
import "C"

import "unsafe"

// guardDepth is the number of guards armed on the calling thread that can
// still catch a fault (tests use it, with the goroutine locked to its
// thread, to prove no guard is left behind). A guard abandoned by a Go panic
// that unwound out of a callback through Call's C frames is inert — the
// handler never resumes a guard whose owner frame is not on the faulting
// stack, and the thread's next guarded call drops it — so it is dropped
// here first (cgg_repair_thread) rather than counted.
func guardDepth() int {
	C.cgg_repair_thread()
	return int(C.cgg_guard_depth())
}

// symbolCacheSize is the number of addresses the C shim has symbolized
// (tests use it to prove nothing was).
func symbolCacheSize() int { return int(C.cgg_symbol_cache_size()) }

// buildFlagCall runs fn(arg) as a call wrapper rewritten by the build flag
// (cmd/cgoguard) does and returns what its Go stub reads: 0, or a parked
// fault's code for raiseFault (tests use it to check that path without a
// rewritten package).
func buildFlagCall(fn, arg unsafe.Pointer) int32 {
	return int32(C.cgoguard_call_as_flagged(C.uintptr_t(uintptr(fn)), arg))
}

// slowNullWrite is cgoguard_slow_null_write (tests of the thread a fault's
// panic unwinds on use it).
func slowNullWrite() unsafe.Pointer {
	return C.cgoguard_slow_null_write_fn()
}
