//go:build cgo

package cgoguard

import (
	"bytes"
	"debug/dwarf"
	"debug/elf"
	"fmt"
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

// unitSummary is what a compile unit of a DWARF reader says: its name,
// language and line table.
type unitSummary struct {
	name     string
	language int64
	lines    []dwarf.LineEntry
}

func compileUnits(t *testing.T, path string) []unitSummary {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := f.DWARF()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var units []unitSummary
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if e == nil {
			return units
		}
		if e.Tag != dwarf.TagCompileUnit {
			r.SkipChildren()
			continue
		}
		u := unitSummary{}
		u.name, _ = e.Val(dwarf.AttrName).(string)
		u.language, _ = e.Val(dwarf.AttrLanguage).(int64)
		if lr, err := d.LineReader(e); err == nil && lr != nil {
			var le dwarf.LineEntry
			for lr.Next(&le) == nil {
				le.File = &dwarf.LineFile{Name: le.File.Name}
				u.lines = append(u.lines, le)
			}
		}
		units = append(units, u)
		r.SkipChildren()
	}
}

// The native debug object holds every compile unit of the program that is
// not Go's, with the same line tables, and none of Go's.
func TestNativeDebugObjectKeepsEveryNativeUnitAndNoGoUnit(t *testing.T) {
	program := buildNativeDebugProgram(t)
	file, err := writeNativeDebugObject(program, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	object := fmt.Sprintf("/proc/self/fd/%d", file.Fd())
	var want []unitSummary
	goUnits := 0
	for _, u := range compileUnits(t, program) {
		if u.language == dwLangGo {
			goUnits++
		} else {
			want = append(want, u)
		}
	}
	if goUnits == 0 || len(want) == 0 {
		t.Fatalf("the program has %d Go units and %d others: nothing to prove", goUnits, len(want))
	}
	var got []unitSummary
	for _, u := range compileUnits(t, object) {
		if u.language == dwLangGo {
			t.Errorf("the debug object holds Go unit %s", u.name)
		}
		if u.name != "" { // the empty units that stand for runs of Go units
			got = append(got, u)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("the debug object holds %d native units, the program %d", len(got), len(want))
	}
	for i := range want {
		if got[i].name != want[i].name || len(got[i].lines) != len(want[i].lines) {
			t.Errorf("unit %d: %s with %d line rows, want %s with %d", i, got[i].name, len(got[i].lines), want[i].name, len(want[i].lines))
			continue
		}
		for k := range want[i].lines {
			g, w := got[i].lines[k], want[i].lines[k]
			if g.Address != w.Address || g.Line != w.Line || g.File.Name != w.File.Name {
				t.Errorf("unit %s row %d: %#x %s:%d, want %#x %s:%d", want[i].name, k, g.Address, g.File.Name, g.Line, w.Address, w.File.Name, w.Line)
				break
			}
		}
	}
	st, err := os.Stat(object)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("debug object: %d bytes apparent, %d written; %d units kept, %d runs of Go units dropped",
		st.Size(), nativeDebugObjectStats.written, nativeDebugObjectStats.kept, nativeDebugObjectStats.dropped)
}

// cutLastLine splits the last line off s (which ends with a newline).
func cutLastLine(s string) (rest, last string) {
	s = strings.TrimSuffix(s, "\n")
	i := strings.LastIndexByte(s, '\n')
	return s[:i+1], s[i+1:]
}

// The debug object has no name in its directory from the moment it exists,
// so no moment is left at which a process that ends would leave it behind.
func TestNativeDebugObjectNeverHasAName(t *testing.T) {
	program := buildNativeDebugProgram(t)
	dir := t.TempDir()
	checked := false
	debugObjectCreated = func(*os.File) {
		checked = true
		names, err := os.ReadDir(dir)
		if err != nil {
			t.Error(err)
		}
		for _, e := range names {
			t.Errorf("the debug object, just created, is named %s", e.Name())
		}
	}
	defer func() { debugObjectCreated = nil }()
	file, err := writeNativeDebugObject(program, dir)
	if err != nil {
		t.Fatal(err)
	}
	file.Close()
	if !checked {
		t.Fatal("the debug object was made without a moment at which it could be checked")
	}
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
