// Command cgoguard puts cgoguard's guard under every cgo call of packages
// whose source the user did not write (a binding such as go-sqlite3), as a
// build flag:
//
//	go build -toolexec=/abs/path/to/cgoguard ./...
//	go test -toolexec=/abs/path/to/cgoguard ./...
//	GOFLAGS=-toolexec=/abs/path/to/cgoguard go run .
//
// A native fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP; SIGABRT with
// cgoguard.ContainAbort; an escaping C++ exception) inside such a call then
// becomes a Go panic on the calling goroutine, at the C.f(...) call, whose
// value is the *cgoguard.NativeFault: recover, cgoguard.Catch, httpguard and
// safego contain it as they contain any panic. Without a fault the program
// behaves as built without the flag.
//
// # What it rewrites
//
// The go command runs every tool through cgoguard. cgoguard passes every
// tool through unchanged but two:
//
//   - cgo, for a selected package: cgoguard runs the real cgo, then rewrites
//     its output in the package's object directory (never the package's
//     source files; the module cache stays read-only). In each *.cgo2.c file,
//     every call wrapper _cgo_<hash>_Cfunc_f(void *v) (and the errno form's
//     _cgo_<hash>_C2func_f, a macro's _cgo_<hash>_Cmacro_m) keeps its body as
//     a static function, and a new wrapper of the same name runs that
//     function under the guard, armed in C through cgg_call (one guard per
//     C.f call: the signal handler's ownership walk, stale-guard rules and
//     reports are exactly cgg_call's). It returns 0 (the errno form: the
//     errno) or, for a contained fault, the code of the slot its record was
//     parked in, CGOGUARD_PARKED + slot (1<<20 and up), the scheme
//     cgoguard.Call uses, in the same code (gobindings/call.go). In
//     _cgo_gotypes.go every Go stub _Cfunc_f keeps the int32 that
//     runtime.cgocall returns and, after the cgo call has returned normally,
//     passes a code of 1<<20 or more to gobindings (raiseFault, through
//     //go:linkname), which builds the *NativeFault from the parked record,
//     delivers it to cgoguard.OnFault subscribers and panics with it. No Go
//     stack is patched and no runtime internal is read. _cgo_main.c, which
//     the go command links only to learn the package's dynamic imports, gets
//     stand-ins for gobindings' two C functions.
//   - link: a guarded package needs cgoguard's runtime
//     (github.com/cgoguard/cgoguard/gobindings) in the program. cgoguard does
//     not add it: when the link fails because it is missing, cgoguard says
//     which import to add (import _ "github.com/cgoguard/cgoguard/gobindings"
//     in package main, or in a _test.go file for a test binary).
//
// Not guarded: cgo's own helpers (C.CString, C.CBytes, C.GoString,
// C.GoStringN, C.GoBytes, C.malloc), whose code is cgo's and the Go
// runtime's — a fault there means a corrupt heap or a wild pointer handed to
// Go, where continuing is not safe, and C.malloc's failure is the runtime's
// to report; //export callbacks (Go code, whose faults are the Go
// runtime's); C variables and function pointers (no call). A callback
// called from a guarded call runs as without the flag: a Go panic in it
// crosses the guarded C frames as it does today, and a guarded call nested
// inside it is contained by its own, innermost guard.
//
// # Exact shapes
//
// The rewrite recognises cgo's output line by line, as Go 1.24 and Go 1.26
// write it (see rewrite.go and its tests, which run each toolchain's cgo).
// Anything else — a wrapper or stub it does not recognise, a stub without
// its wrapper, a use of runtime.cgocall outside a stub, gccgo — fails that
// package's build with a message naming the file and the Go version. A
// package is never built half guarded or miscompiled.
//
// # Selection
//
// By default every package of the build that uses cgo is guarded, except
// the standard library (packages under GOROOT/src, runtime/cgo among them)
// and cgoguard's own packages. CGOGUARD_PACKAGES, a comma-separated list of
// go list patterns, narrows that:
//
//   - an import path pattern ("github.com/mattn/go-sqlite3",
//     "example.com/x/...") is matched against the package's import path as
//     the go command matches it ("..." matches any string; "x/..." matches x
//     too);
//   - a relative pattern ("./...", "../lib/...") is resolved against the
//     directory the go command runs in, as go resolves it, and an absolute
//     directory pattern ("/src/app/...") is taken as it is; both match the
//     package's source directory;
//   - "all" is the default selection.
//
// # Build cache
//
// When the go command asks for the cgo tool's ID (cgo -V=full), cgoguard
// answers the real tool's line with "cgoguard=<hash of its own executable>+
// <hash of the resolved selection>" appended (for a development toolchain,
// inside the content ID of the buildID field, which go uses there). Every
// package that uses cgo is keyed by that ID, so guarded and unguarded
// objects, or objects of different selections or cgoguard builds, never
// share a cache entry, and a second identical build is all cache hits.
// Other tools' IDs are unchanged: pure Go packages are shared with builds
// without the flag.
//
// CGOGUARD_LOG=<file> appends a line per cgo and failed link step (what was
// guarded, skipped or refused); it does not change what is built.
//
// # Other commands
//
//	cgoguard symbolize -dir DIR [incident-log-file...]
//
// names the native frames of incidents logged by a stripped program (the
// same command as cgoguard-symbolize).
//
// Not supported: purego and other FFIs that do not go through cgo, gccgo,
// and builds that do not run the go command's toolchain (Bazel's rules_go).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/cgoguard/cgoguard/internal/symbolize"
)

const usage = `usage:
  go build -toolexec=/abs/path/to/cgoguard [build flags] [packages]
  cgoguard symbolize -dir DIR [-dir DIR...] [incident-log-file...]

As -toolexec, cgoguard guards every cgo call of the selected packages
(CGOGUARD_PACKAGES, comma-separated go list patterns; default: every package
that uses cgo outside the standard library). See
https://pkg.go.dev/github.com/cgoguard/cgoguard/cmd/cgoguard.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	switch arg := os.Args[1]; {
	case arg == "symbolize":
		os.Exit(symbolize.Main("cgoguard symbolize", os.Args[2:]))
	case arg == "-h" || arg == "-help" || arg == "--help" || arg == "help":
		fmt.Print(usage)
		os.Exit(0)
	case filepath.IsAbs(arg):
		os.Exit(toolexec(arg, os.Args[2:]))
	default:
		fmt.Fprintf(os.Stderr, "cgoguard: unknown command %q (as -toolexec, the go command passes an absolute tool path)\n\n%s", arg, usage)
		os.Exit(2)
	}
}
