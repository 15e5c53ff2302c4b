//go:build cgo

package cgoguard

// GuardDepth exposes guardDepth to the external tests.
var GuardDepth = guardDepth

// HoldSymbolizerWarmUp makes the symbolizer's warm-up wait until release is
// called. Call it before Init, in a process that has not initialized yet.
func HoldSymbolizerWarmUp() (release func()) {
	warmUpGate = make(chan struct{})
	return func() { close(warmUpGate) }
}

// SymbolCacheSize is the number of addresses the C shim has symbolized.
func SymbolCacheSize() int { return symbolCacheSize() }

// BuildFlagCall and RaiseFault are the two halves of a call that the build
// flag (cmd/cgoguard) guards: the rewritten C wrapper and the Go stub's raise.
var (
	BuildFlagCall = buildFlagCall
	RaiseFault    = raiseFault
	SlowNullWrite = slowNullWrite
)
