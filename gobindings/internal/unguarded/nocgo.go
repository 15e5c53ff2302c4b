//go:build !cgo

package unguarded

// Available reports whether the fixtures are compiled in (cgo).
const Available = false

// NullWrite does nothing without cgo.
func NullWrite() {}

// Abort does nothing without cgo.
func Abort() {}

// PreambleNullWrite does nothing without cgo.
func PreambleNullWrite() {}
