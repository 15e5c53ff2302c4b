package cgoguard

// #include <cgoguard/cgoguard.h>
import "C"

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
