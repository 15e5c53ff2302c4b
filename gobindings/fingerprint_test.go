package cgoguard_test

import (
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

func native(fn string, off uintptr) cgoguard.Frame {
	return cgoguard.Frame{Function: fn, Module: "/srv/bin/service", Offset: off}
}

// The wrapper cgo generates for a C function is named after a hash of the Go
// file that calls it: a Go-only edit renames it. The fingerprint must not
// see it (ci/test-extmod.sh also checks this with two real builds).
func TestFingerprintIgnoresCgoGlue(t *testing.T) {
	build1 := []cgoguard.Frame{native("parse", 0x11), native("guarded_parse", 0x2a), native("_cgo_3f2a9c1b7d4e_Cfunc_guarded_parse", 0x30)}
	build2 := []cgoguard.Frame{native("parse", 0x11), native("guarded_parse", 0x2a), native("_cgo_8b0e5d62aa13_Cfunc_guarded_parse", 0x30)}
	if a, b := cgoguard.Fingerprint("signal|11", build1), cgoguard.Fingerprint("signal|11", build2); a != b {
		t.Errorf("fingerprints %s and %s differ only by the cgo wrapper's hash", a, b)
	}
	for _, glue := range []string{"_cgo_3f2a9c1b7d4e_Cfunc_f", "_cgo_3f2a9c1b7d4e_C2func_f", "_cgoexp_3f2a9c1b7d4e_goCallback", "crosscall2", "_cgo_topofstack"} {
		if !cgoguard.IncidentalFrame(glue) {
			t.Errorf("IncidentalFrame(%q) = false", glue)
		}
	}
	// A different site still gets a different fingerprint.
	other := []cgoguard.Frame{native("parse_header", 0x11), native("guarded_parse", 0x2a)}
	if cgoguard.Fingerprint("signal|11", build1) == cgoguard.Fingerprint("signal|11", other) {
		t.Error("two sites share a fingerprint")
	}
}

// Every abort() goes through the same libc frames; only its caller tells
// sites apart, and names the fault.
func TestFingerprintAndSiteSkipAbortMachinery(t *testing.T) {
	libc := func(fn string, off uintptr) cgoguard.Frame {
		return cgoguard.Frame{Function: fn, Module: "/lib/x86_64-linux-gnu/libc.so.6", Offset: off}
	}
	machinery := []cgoguard.Frame{
		libc("__pthread_kill_implementation.constprop.0", 0x10c), libc("__pthread_kill_internal", 0x5),
		libc("gsignal", 0x12), libc("raise", 0x12), libc("abort", 0xd3),
		libc("__assert_fail_base", 0xf), libc("__assert_fail", 0x42),
	}
	site := []cgoguard.Frame{native("check_invariants", 0x21), native("handle_request", 0x9)}
	withLibc := append(append([]cgoguard.Frame{}, machinery...), site...)
	if a, b := cgoguard.Fingerprint("signal|6", withLibc), cgoguard.Fingerprint("signal|6", site); a != b {
		t.Errorf("the abort machinery changes the fingerprint: %s vs %s", a, b)
	}
	nf := &cgoguard.NativeFault{Frames: withLibc}
	if got := nf.Site(); got != "check_invariants" {
		t.Errorf("Site() = %q, want the function that called abort()", got)
	}
}

// A static function of a cgo preamble is compiled into cgo's call wrapper:
// a fault in it has the wrapper as its own frame, and is attributed to the
// function the wrapper calls. A wrapper further out is only glue.
func TestSiteOfAFaultInsideCgosWrapperIsTheWrappedFunction(t *testing.T) {
	for _, tc := range []struct {
		frames []cgoguard.Frame
		want   string
	}{
		{[]cgoguard.Frame{native("_cgo_8c556a9fe8f6_Cfunc_decode_bad", 0x4)}, "decode_bad"},
		{[]cgoguard.Frame{native("_cgo_cgoguard_8c556a9fe8f6_Cfunc_decode_bad", 0x4), native("cgoguard_cgo_call", 0x20)}, "decode_bad"},
		{[]cgoguard.Frame{native("_cgo_8c556a9fe8f6_C2func_read_all", 0x9)}, "read_all"},
		{[]cgoguard.Frame{native("parse", 0x11), native("_cgo_3f2a9c1b7d4e_Cfunc_guarded_parse", 0x30)}, "parse"},
		{[]cgoguard.Frame{{PC: 0x1000}, native("_cgo_3f2a9c1b7d4e_Cfunc_guarded_parse", 0x30)}, ""},
	} {
		nf := &cgoguard.NativeFault{Frames: tc.frames}
		if got := nf.Site(); got != tc.want {
			t.Errorf("Site() of %v = %q, want %q", tc.frames, got, tc.want)
		}
		if fr, ok := nf.SiteFrame(); ok != (tc.want != "") || fr.Function != tc.want || ok && fr.Module != tc.frames[0].Module {
			t.Errorf("SiteFrame() of %v = %v, %v; want the frame named %q", tc.frames, fr, ok, tc.want)
		}
	}
}

// Faults in two static preamble functions (each compiled into its cgo
// wrapper) are two sites, and a Go-only edit, which renames the wrappers,
// keeps each one's fingerprint; so does the build flag, whose inner wrapper
// holds the same code under another name.
func TestFingerprintOfAFaultInsideCgosWrapperNamesTheWrappedFunction(t *testing.T) {
	fp := func(wrapper string) string {
		return cgoguard.Fingerprint("signal|11", []cgoguard.Frame{native(wrapper, 0x4)})
	}
	a := fp("_cgo_8c556a9fe8f6_Cfunc_decode_bad")
	if b := fp("_cgo_3f2a9c1b7d4e_Cfunc_decode_bad"); a != b {
		t.Errorf("a renamed wrapper changes the fingerprint: %s vs %s", a, b)
	}
	if b := fp("_cgo_cgoguard_8c556a9fe8f6_Cfunc_decode_bad"); a != b {
		t.Errorf("the build flag's inner wrapper changes the fingerprint: %s vs %s", a, b)
	}
	if b := fp("_cgo_8c556a9fe8f6_Cfunc_encode_bad"); a == b {
		t.Errorf("two preamble functions share the fingerprint %s", a)
	}
}

// repeat returns n copies of the frames in cycle, in order.
func repeat(n int, cycle ...cgoguard.Frame) []cgoguard.Frame {
	var frames []cgoguard.Frame
	for range n {
		frames = append(frames, cycle...)
	}
	return frames
}

// A recursion that ran out of stack is one site whichever instruction met
// the end of the stack, and whichever function of a mutual recursion was
// innermost; two recursions are still two sites, and a recursion that did
// not reach the end of the captured stack keeps its faulting instruction.
func TestFingerprintOfARecursionThatRanOutOfStack(t *testing.T) {
	const limit = 64 // frames in a fault record
	fp := func(frames ...cgoguard.Frame) string { return cgoguard.Fingerprint("signal|11", frames) }
	recursing := native("recurse", 0x2a)
	atStore := fp(append([]cgoguard.Frame{native("recurse", 0x7)}, repeat(limit-1, recursing)...)...)
	atCall := fp(append([]cgoguard.Frame{native("recurse", 0x25)}, repeat(limit-1, recursing)...)...)
	inCallee := fp(append([]cgoguard.Frame{native("memset", 0x40), native("recurse", 0x12)}, repeat(limit-2, recursing)...)...)
	if atStore != atCall || atStore != inCallee {
		t.Errorf("one recursion, three fingerprints: %s %s %s", atStore, atCall, inCallee)
	}

	a, b := native("walk_a", 0x31), native("walk_b", 0x19)
	inA := fp(append([]cgoguard.Frame{native("walk_a", 0x4)}, repeat(limit/2, b, a)...)...)
	inB := fp(append([]cgoguard.Frame{native("walk_b", 0x9)}, repeat(limit/2, a, b)...)...)
	if inA != inB {
		t.Errorf("a mutual recursion has a fingerprint for each innermost function: %s %s", inA, inB)
	}
	if other := fp(append([]cgoguard.Frame{native("descend", 0x7)}, repeat(limit-1, native("descend", 0x2a))...)...); other == atStore {
		t.Error("two recursions share a fingerprint")
	}

	// Three levels deep, under the guarded function: an ordinary fault.
	shallow := func(top uintptr) string {
		return fp(native("recurse", top), recursing, recursing, recursing, native("guarded_entry", 0x11))
	}
	if shallow(0x7) == shallow(0x25) {
		t.Error("two faulting instructions of a recursion that did not overflow share a fingerprint")
	}
	// The same when the recursing function is the guarded call's own: its
	// outermost frame is the last one the record holds.
	guardedItself := func(top uintptr) string {
		return fp(append([]cgoguard.Frame{native("recurse", top)}, repeat(9, recursing)...)...)
	}
	if guardedItself(0x7) == guardedItself(0x25) {
		t.Error("two faulting instructions of a guarded function's own shallow recursion share a fingerprint")
	}
	// Go frames have no offsets: a recursion in Go keeps the frames inside it.
	goFrame := func(fn string) cgoguard.Frame { return cgoguard.Frame{Function: fn} }
	goRecursion := repeat(limit, goFrame("main.walk"))
	if cgoguard.Fingerprint("panic|T", append([]cgoguard.Frame{goFrame("main.f")}, goRecursion...)) ==
		cgoguard.Fingerprint("panic|T", append([]cgoguard.Frame{goFrame("main.g")}, goRecursion...)) {
		t.Error("panics in two functions under a Go recursion share a fingerprint")
	}
}
