package elfimage

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A small C program built here: its build ID as readelf prints it, and the
// symbol of its main function found by an address inside it.
func TestBuildIDAndFunctionLookupMatchReadelf(t *testing.T) {
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "p.c"), filepath.Join(dir, "p")
	if err := os.WriteFile(src, []byte("int helper(int x) { return x * 3; }\nint main(void) { return helper(1) - 3; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cc", "-O0", "-Wl,--build-id=sha1", "-o", bin, src).CombinedOutput(); err != nil {
		t.Skipf("no C compiler to build the test program: %v: %s", err, out)
	}
	notes, err := exec.Command("readelf", "-n", bin).Output()
	if err != nil {
		t.Skipf("readelf: %v", err)
	}
	_, after, ok := strings.Cut(string(notes), "Build ID: ")
	if !ok {
		t.Fatalf("readelf printed no build ID:\n%s", notes)
	}
	want := strings.Fields(after)[0]

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := BuildID(f); got != want {
		t.Errorf("BuildID = %q, readelf says %q", got, want)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	fs := FunctionsOf(syms)
	for i := 1; i < len(fs); i++ {
		if fs[i-1].Value > fs[i].Value {
			t.Fatalf("FunctionsOf is not sorted at %d: %v", i, fs)
		}
	}
	for _, name := range []string{"main", "helper"} {
		var sym *elf.Symbol
		for i := range syms {
			if syms[i].Name == name {
				sym = &syms[i]
			}
		}
		if sym == nil || sym.Size < 2 {
			t.Fatalf("no symbol %s with a size in the test program", name)
		}
		if got := fs.At(sym.Value + sym.Size/2); got == nil || got.Name != name {
			t.Errorf("At(inside %s) = %v", name, got)
		}
		if got := fs.At(sym.Value + sym.Size); got != nil && got.Name == name {
			t.Errorf("At(the end of %s) = %s: the end is outside", name, got.Name)
		}
	}
	if got := fs.At(0); got != nil {
		t.Errorf("At(0) = %s, want none", got.Name)
	}
	// A position-independent program's first segment starts at 0; a fixed
	// one at its link address: either way the page of its lowest segment.
	lowest, end := ^uint64(0), uint64(0)
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			lowest, end = min(lowest, p.Vaddr), max(end, p.Vaddr+p.Memsz)
		}
	}
	if got := LoadBase(f); got != lowest&^0xfff {
		t.Errorf("LoadBase = %#x, want the page of %#x", got, lowest)
	}
	// The image spans its segments: every function lies inside it.
	last := fs[len(fs)-1]
	if got := LoadSpan(f); got != end-lowest&^0xfff || last.Value+last.Size > LoadBase(f)+got {
		t.Errorf("LoadSpan = %#x, want %#x", got, end-lowest&^0xfff)
	}
}
