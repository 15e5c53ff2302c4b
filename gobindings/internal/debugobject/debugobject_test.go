//go:build cgo

package debugobject

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// buildNativeDebugProgram builds the root package's testdata/nativedebug, a
// Go program that calls C, with its DWARF (go build keeps it; go test's own
// binaries have none).
func buildNativeDebugProgram(t *testing.T) string {
	t.Helper()
	program := filepath.Join(t.TempDir(), "nativedebug")
	gocmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	args := []string{"build", "-o", program, "../../testdata/nativedebug"}
	if out, err := exec.Command(gocmd, args...).CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return program
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
	file, st, err := Write(program, t.TempDir())
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
	info, err := os.Stat(object)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("debug object: %d bytes apparent, %d written; %d units kept, %d runs of Go units dropped",
		info.Size(), st.Written, st.Kept, st.Dropped)
}

// The debug object has no name in its directory from the moment it exists,
// so no moment is left at which a process that ends would leave it behind.
func TestNativeDebugObjectNeverHasAName(t *testing.T) {
	program := buildNativeDebugProgram(t)
	dir := t.TempDir()
	checked := false
	created = func(*os.File) {
		checked = true
		names, err := os.ReadDir(dir)
		if err != nil {
			t.Error(err)
		}
		for _, e := range names {
			t.Errorf("the debug object, just created, is named %s", e.Name())
		}
	}
	defer func() { created = nil }()
	file, _, err := Write(program, dir)
	if err != nil {
		t.Fatal(err)
	}
	file.Close()
	if !checked {
		t.Fatal("the debug object was made without a moment at which it could be checked")
	}
}
