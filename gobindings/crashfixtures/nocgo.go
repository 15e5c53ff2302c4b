//go:build !cgo

// Without cgo (CGO_ENABLED=0) this package is empty: the crash fixtures are
// C functions, which such a build cannot hold.
package crashfixtures
