//go:build cgo && (cgoguard_shared || cgoguard_pkgconfig)

package cgoguard

// Shared linkage (-tags cgoguard_shared): the program links the installed
// libcgoguard.so, found through pkg-config (set PKG_CONFIG_PATH for a PREFIX
// outside pkg-config's default path), instead of compiling the shim in. For
// processes whose own C code links libcgoguard.so too and should share one
// copy of it. The .pc file's Libs carry an rpath, so the program finds the
// library at run time. cgoguard_pkgconfig is the former name of this tag and
// still works.

// #cgo pkg-config: cgoguard
import "C"

// shimCompiledIn: the shim is libcgoguard.so (see isShimFrame).
const shimCompiledIn = false
