//go:build cgo

package cgoguard

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// buildNativeDebugProgram builds testdata/nativedebug with its DWARF (go
// build keeps it; go test's own binaries have none).
func buildNativeDebugProgram(t *testing.T, flags ...string) string {
	t.Helper()
	program := filepath.Join(t.TempDir(), "nativedebug")
	gocmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	args := append(append([]string{"build"}, flags...), "-o", program, "./testdata/nativedebug")
	if out, err := exec.Command(gocmd, args...).CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return program
}

// A fully static program (the shim's dl_iterate_phdr wrapper must find the
// loader's in libc.a) names its native frames from its debug object too.
func TestNativeDebugObjectInAFullyStaticProgram(t *testing.T) {
	program := buildNativeDebugProgram(t, "-ldflags", "-linkmode external -extldflags -static")
	cmd := exec.Command(program)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", program, err, stderr.String())
	}
	if !strings.HasPrefix(string(out), "native-debug-object true\n") || !strings.Contains(string(out), "cgg_fx_null_write+0x0 ") ||
		!strings.Contains(string(out), "tests/fixtures/fixtures.c:") {
		t.Errorf("fully static program printed:\n%s\nwant its debug object in use and the fixtures named", out)
	}
}

// The symbolizer reads a Go program's native debug object instead of the
// program, and names every native frame exactly as it does from the program
// itself (which it falls back to when the object cannot be written).
func TestNativeDebugObjectNamesFramesAsTheProgramItself(t *testing.T) {
	program := buildNativeDebugProgram(t)
	run := func(env ...string) (flag string, frames string) {
		t.Helper()
		cmd := exec.Command(program)
		cmd.Env = append(os.Environ(), env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", program, err, stderr.String())
		}
		flag, frames, _ = strings.Cut(string(out), "\n")
		return flag, frames
	}
	withObject, objectFrames := run()
	withProgram, programFrames := run("TMPDIR=" + filepath.Join(t.TempDir(), "missing"))
	if withObject != "native-debug-object true" {
		t.Errorf("default run: %q, want the native debug object in use", withObject)
	}
	if withProgram != "native-debug-object false" {
		t.Errorf("run without a temporary directory: %q, want the program itself read", withProgram)
	}
	// The symbolizer reads only the modules that hold a frame (cshim.go links
	// the program with --wrap=dl_iterate_phdr): libm holds none.
	objectFrames, libmRead := cutLastLine(objectFrames)
	programFrames, _ = cutLastLine(programFrames)
	if libmRead != "libm-read false" {
		t.Errorf("default run: %q, want libm left unread", libmRead)
	}
	if objectFrames != programFrames {
		t.Errorf("frames named from the native debug object:\n%s\nfrom the program itself:\n%s", objectFrames, programFrames)
	}
	if !strings.Contains(objectFrames, "cgg_fx_null_write+0x0 ") || !strings.Contains(objectFrames, "tests/fixtures/fixtures.c:") ||
		!strings.Contains(objectFrames, "cgg_fx_cxx_throw_via+") || !strings.Contains(objectFrames, "tests/fixtures/fixtures_cxx.cc:") {
		t.Errorf("frames lack the fixtures' names or source lines:\n%s", objectFrames)
	}
}

// cutLastLine splits the last line off s (which ends with a newline).
func cutLastLine(s string) (rest, last string) {
	s = strings.TrimSuffix(s, "\n")
	i := strings.LastIndexByte(s, '\n')
	return s[:i+1], s[i+1:]
}

// A process that ends while the debug object is being written (a short-lived
// command, a crash, a kill) leaves no file behind: the file has no name from
// the moment it is created.
func TestNativeDebugObjectLeavesNoFileWhenTheProcessEndsEarly(t *testing.T) {
	program := buildNativeDebugProgram(t)
	tmp := t.TempDir()
	for ms := range 30 {
		cmd := exec.Command(program)
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "NATIVEDEBUG_EXIT_AFTER_MS="+strconv.Itoa(ms%10))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", program, err, out)
		}
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
}
