package cgoguard

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// fingerprintFrames is how many innermost frames identify a site.
const fingerprintFrames = 8

// Fingerprint names a failure site stably across runs and rebuilds: a hash
// (16 hex digits) of what failed (a fault kind, a panic's kind and type) and
// of the innermost frames (at most 8) that belong to the site. A native frame
// enters as module!function+offset (module+offset when it has no name, "?"
// when it lies in no module); a Go frame as its function name. No address
// enters the hash, so module load addresses (ASLR) do not change it.
//
// The module is a shared object's file name (libfoo.so.1: a library's name
// is its identity), but never the running program's own: a native frame of
// the executable enters as "<program>", so one binary gives one fingerprint
// whatever it is called (go run's temporary names, versioned names such as
// server-v2, pkg.test). Go frames carry no module at all.
//
// A native fault's fingerprint hashes its frames as the symbol tables name
// them (the dynamic symbol table, else the module's ELF symbol table or its
// separate debug file's), never the debug information: so it is known from
// the first fault after start-up on, before the debug information has
// loaded, and stays the same once files and lines arrive.
//
// A native stack that an unbounded recursion ran out of (cut at the fault
// record's 64 frames, its outer frames to that end one cycle of calls
// repeated at least four times) is hashed as that cycle alone: which
// instruction of the recursion met the end of the stack depends on where the
// thread's stack began, so the innermost frames would split one recursion
// into several sites.
//
// Frames that say nothing about the site are left out (see IncidentalFrame):
// the wrappers cgo generates, whose names carry a hash of the Go source
// (_cgo_<hash>_Cfunc_f changes when only a Go comment changes), and the C
// library's abort machinery (abort, raise, __pthread_kill_implementation,
// __assert_fail, ...), which every abort() shares. A fault in cgo's wrapper
// itself is in the static preamble function f compiled into it: that frame
// enters as f, as NativeFault.Site names it.
//
// NativeFault.Fingerprint and the incident package's fingerprints of Go
// panics and errors both come from here.
func Fingerprint(what string, frames []Frame) string {
	if cycle := recursionCycle(frames); cycle != nil {
		what, frames = what+"|recursion", cycle
	}
	buf := make([]byte, 0, 512)
	buf = append(buf, what...)
	n := 0
	for i, fr := range frames {
		if n == fingerprintFrames {
			break
		}
		fn, ok := siteFunction(i, fr.Function)
		if !ok {
			continue
		}
		n++
		buf = append(buf, '|')
		switch {
		case fr.Module == "" && fn != "": // a Go frame
			buf = append(buf, fn...)
		case fn != "":
			buf = append(append(append(buf, moduleKey(fr.Module)...), '!'), fn...)
			buf = append(append(buf, '+'), strconv.FormatUint(uint64(fr.Offset), 16)...)
		case fr.Module != "":
			buf = append(buf, moduleKey(fr.Module)...)
			buf = append(append(buf, '+'), strconv.FormatUint(uint64(fr.ModuleOffset), 16)...)
		default:
			buf = append(buf, '?') // a wild pc: not stable, not hashed
		}
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:8])
}

// Recursions longer than this many functions, or repeated fewer than
// recursionRepeats times, are not recognised as one (see recursionCycle).
const (
	maxRecursionPeriod = 8
	recursionRepeats   = 4
)

// recordFrames is how many frames a fault record holds (CGG_MAX_FRAMES,
// checked against the header in call.go): a stack that deep was cut there.
const recordFrames = 64

// recursionCycle recognises a native stack that an unbounded recursion ran
// out of: the record cut it at its limit (recordFrames), and its outermost
// frames, to that end, are one cycle of native calls (f calling f, or f calling g calling f, each by the
// same call site) repeated at least recursionRepeats times. It returns that
// cycle in its smallest rotation (so that it does not matter which of its
// calls was innermost), or nil.
//
// Such a stack overflows at whichever of the cycle's stack accesses first
// reaches the end of the stack (a store into a frame, the push of a return
// address, a callee's frame), and which one that is depends on where the
// thread's stack began: it differs between threads and, for a main thread,
// between runs. The frames inside the last turn of the cycle therefore say
// nothing stable; the cycle names the site. A stack the record holds whole
// is never one, even when the guarded function is itself the recursion
// (its outermost frame is then the stack's last): a shallow recursion
// keeps its faulting instruction.
func recursionCycle(frames []Frame) []Frame {
	if len(frames) < recordFrames {
		return nil
	}
	bestStart, bestPeriod := len(frames), 0
	for period := 1; period <= maxRecursionPeriod && period < len(frames); period++ {
		start := len(frames) - period
		for start > 0 && sameSite(frames[start-1], frames[start-1+period]) {
			start--
		}
		if len(frames)-start >= recursionRepeats*period && start < bestStart {
			bestStart, bestPeriod = start, period
		}
	}
	if bestPeriod == 0 {
		return nil
	}
	cycle := frames[bestStart : bestStart+bestPeriod]
	first := 0
	for i, fr := range cycle {
		if fr.Module == "" || IncidentalFrame(fr.Function) {
			return nil // a recursion in Go code is its own site; glue is no site
		}
		if rotationLess(cycle, i, first) {
			first = i
		}
	}
	return append(append([]Frame(nil), cycle[first:]...), cycle[:first]...)
}

// sameSite reports whether two frames enter a fingerprint alike: the same
// module, function and offsets (two return addresses of one call site).
func sameSite(a, b Frame) bool {
	return a.Module == b.Module && a.Function == b.Function && a.Offset == b.Offset && a.ModuleOffset == b.ModuleOffset
}

// rotationLess reports whether cycle rotated to begin at i orders before it
// rotated to begin at j, frame by frame as the fingerprint names them
// (moduleKey, function, offsets).
func rotationLess(cycle []Frame, i, j int) bool {
	for k := range cycle {
		a, b := cycle[(i+k)%len(cycle)], cycle[(j+k)%len(cycle)]
		if sameSite(a, b) {
			continue
		}
		if ma, mb := moduleKey(a.Module), moduleKey(b.Module); ma != mb {
			return ma < mb
		}
		if a.Function != b.Function {
			return a.Function < b.Function
		}
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		return a.ModuleOffset < b.ModuleOffset
	}
	return false
}

// SignalFingerprint is the fingerprint of a native fault raised by sig whose
// native frames, innermost first and named from the symbol tables, are
// frames: NativeFault.Fingerprint of a contained fault, and the crash
// monitor's (gobindings/crashmonitor) of the same fault when it crashed an
// unguarded process, so that one site has one fingerprint either way.
func SignalFingerprint(sig syscall.Signal, frames []Frame) string {
	return Fingerprint("signal|"+strconv.Itoa(int(sig)), frames)
}

// moduleKey is how a native frame's module enters a fingerprint: see
// Fingerprint.
func moduleKey(module string) string {
	if isProgramModule(module) {
		return "<program>"
	}
	return filepath.Base(module)
}

// IncidentalFrame reports whether a frame of this function says nothing about
// where a failure happened: glue that cgo generates (its names change with
// unrelated Go edits) or the C library's and C++ runtime's way of ending a
// process (shared by every abort()). Fingerprint and NativeFault.Site skip
// such frames, so an abort() or a failed assert() is named after the
// function that called it.
func IncidentalFrame(function string) bool {
	name, _, _ := strings.Cut(function, ".constprop") // GCC's clones of libc functions
	if strings.HasPrefix(name, "_cgo_") || strings.HasPrefix(name, "_cgoexp_") {
		return true // _cgo_<hash>_Cfunc_f, _cgo_<hash>_C2func_f, _cgo_topofstack, _cgoexp_<hash>_f
	}
	switch name {
	case "crosscall2", "crosscall1", "crosscall_amd64", "crosscall_arm64",
		"runtime.cgocall", "runtime.asmcgocall", "runtime.cgocallback", "runtime.cgocallbackg",
		"abort", "__GI_abort", "raise", "__GI_raise", "gsignal",
		"__pthread_kill_implementation", "__pthread_kill_internal", "__pthread_kill", "pthread_kill",
		"__assert_fail", "__assert_fail_base", "__GI___assert_fail", "__assert_perror_fail",
		"__libc_message", "__libc_message_impl", "malloc_printerr", "__fortify_fail", "__chk_fail",
		"__stack_chk_fail",
		"std::terminate()", "__cxxabiv1::__terminate(void (*)())", "__cxa_pure_virtual",
		"__cxa_call_terminate", "__gnu_cxx::__verbose_terminate_handler()":
		return true
	}
	return false
}

// Site names the function a native fault is attributed to: its innermost
// named frame that is not incidental (see IncidentalFrame). For a call
// through a bad function pointer that is the caller; for abort() or a failed
// assert(), the function that called it. A fault whose own frame is cgo's
// call wrapper of f (_cgo_<hash>_Cfunc_f) happened in f's code inlined
// there, as a static function of a cgo preamble is: the site is f. Empty
// when no frame is named (before symbolization, or in a stripped program).
func (f *NativeFault) Site() string {
	fr, _ := f.SiteFrame()
	return fr.Function
}

// SiteFrame returns the frame Site names, with Function set to that name
// (for a fault inside cgo's wrapper, the wrapped function), and false when
// no frame names a site.
func (f *NativeFault) SiteFrame() (Frame, bool) {
	for i, fr := range f.Frames {
		if fn, ok := siteFunction(i, fr.Function); ok && fn != "" {
			fr.Function = fn
			return fr, true
		}
	}
	return Frame{}, false
}

// siteFunction is the name the i-th innermost frame, of function, gives its
// site, for Site and Fingerprint: the function itself, or nothing (ok false)
// for an incidental frame. The faulting frame (i 0) in cgo's wrapper of f is
// f's code compiled into the wrapper (a static function of a cgo preamble):
// it is named f.
func siteFunction(i int, function string) (name string, ok bool) {
	if !IncidentalFrame(function) {
		return function, true
	}
	if i == 0 {
		if m := cgoWrapperName.FindStringSubmatch(function); m != nil {
			return m[1], true
		}
	}
	return "", false
}

// cgoWrapperName matches cgo's C call wrappers (and the build flag's inner
// ones), capturing the C function they call.
var cgoWrapperName = regexp.MustCompile(`^_cgo_(?:cgoguard_)?[0-9a-f]{12}_C2?func_(\w+)$`)
