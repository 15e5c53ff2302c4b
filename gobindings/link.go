//go:build !cgoguard_pkgconfig

package cgoguard

// Default linkage: the headers come from this module's own include/ (so they
// always match the Go code), the library from the repository's build/ (for
// `make test`) or, when that does not exist, from the compiler's default
// search path, where `make install` puts it (/usr/local/lib). Build with
// -tags cgoguard_pkgconfig to locate an installation through pkg-config
// instead (for a PREFIX outside the default search path).

// #cgo CFLAGS: -I${SRCDIR}/../include
// #cgo LDFLAGS: -L${SRCDIR}/../build -Wl,-rpath,${SRCDIR}/../build -lcgoguard
import "C"
