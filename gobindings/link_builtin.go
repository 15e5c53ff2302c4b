//go:build cgo && !cgoguard_shared && !cgoguard_pkgconfig

package cgoguard

// Default linkage: the shim is compiled into the program by cgo, from this
// module's own cshim/ sources (package cshim; see its doc for how and why).
// Nothing is installed and no shared library of cgoguard or Boost is needed
// at run time. -tags cgoguard_shared links the installed libcgoguard.so
// instead (link_shared.go).

// #cgo CFLAGS: -I${SRCDIR}/../include
import "C"

import _ "github.com/cgoguard/cgoguard/cshim"

// shimCompiledIn: the shim is part of this program (see isShimFrame).
const shimCompiledIn = true
