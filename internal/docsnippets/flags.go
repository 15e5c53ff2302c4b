//go:build cgo

package docsnippets

// The header directory for every C file and preamble of the package (cgo
// gathers #cgo flags package-wide), so that the snippets can include
// <cgoguard/cgoguard.h> as a user's code does.

// #cgo CFLAGS: -I${SRCDIR}/../../include
import "C"
