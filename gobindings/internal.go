package cgoguard

// #include <cgoguard/cgoguard.h>
import "C"

// guardDepth is the number of guards armed on the calling thread (tests use
// it, with the goroutine locked to its thread, to prove no guard is left
// behind).
func guardDepth() int { return int(C.cgg_guard_depth()) }

// symbolCacheSize is the number of addresses the C shim has symbolized
// (tests use it to prove nothing was).
func symbolCacheSize() int { return int(C.cgg_symbol_cache_size()) }
