// Package cshim compiles cgoguard's C++ shim (the C++ sources of this
// directory, the same ones CMake builds libcgoguard.so from) into a Go
// program through cgo. It has no Go API: import
// github.com/cgoguard/cgoguard/gobindings, which imports this package unless
// it is built with -tags cgoguard_shared (then it links the installed
// libcgoguard.so instead).
//
// Why a package here rather than in gobindings/: cgo compiles only the C,
// C++ and assembly files of a package's own directory, and the go command's
// build cache tracks only those files. A wrapper file elsewhere that
// #includes these sources would compile, but an edit here would then not
// rebuild it. As a package of its own, cshim/ stays the one source of truth
// for every build, with nothing copied or generated.
//
// The shim compiled in needs no shared library at run time: Boost.Stacktrace
// is header-only and libbacktrace comes from GCC's static libbacktrace.a
// (symbolize.cc), so a program that imports it also links fully static
// (-ldflags '-linkmode external -extldflags -static').
//
// The program is linked with --wrap=dl_iterate_phdr and the wrapper
// (symbolize_module_filter.cc): the symbolizer then reads the debug
// information of only the modules that hold a fault's frames (symbolize.cc
// says why); every other caller of dl_iterate_phdr reaches the loader's
// unchanged.
//
// Its C entry points are hidden (CGG_HIDDEN_API; see cgoguard.h), and so is
// everything else (-fvisibility=hidden): they are reachable from every cgo
// package of the program but never exported, so a libcgoguard.so that a C
// library brings into the same process keeps its own entry points and state.
// Each copy then contains the faults of its own guards and chains every other
// signal to the handler it found installed.
package cshim

// #cgo CPPFLAGS: -I${SRCDIR}/../include -DCGG_HIDDEN_API
// #cgo CXXFLAGS: -std=c++17 -fvisibility=hidden -fvisibility-inlines-hidden
// #cgo LDFLAGS: -lbacktrace -ldl -lpthread -Wl,--wrap=dl_iterate_phdr
import "C"
