package exesymbols

import (
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

//go:noinline
func aFunctionToName() int { return len(os.Args) }

// A frame inside a function of the running executable is named from its
// symbol table, with its offset from the function's start; a frame of
// another module is not.
func TestNameInExecutable(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	entry := reflect.ValueOf(aFunctionToName).Pointer()
	table, err := Load(exe)
	if err != nil {
		t.Fatal(err)
	}
	if !table.absolute {
		t.Skip("a position-independent test binary: its load address is not known here")
	}
	pc := entry + 3
	for _, tc := range []struct {
		name   string
		lookup uintptr
	}{{"exact pc", pc}, {"return address", pc - 1}} {
		function, offset, ok := NameInExecutable(exe, pc, tc.lookup, 0)
		if !ok || !strings.HasSuffix(function, ".aFunctionToName") || offset != 3 {
			t.Errorf("%s: NameInExecutable = %q+%#x, %v; want %s+0x3", tc.name, function, offset, ok, runtime.FuncForPC(entry).Name())
		}
	}
	if function, _, ok := NameInExecutable("/usr/lib/libm.so.6", pc, pc, 0); ok {
		t.Errorf("a frame of another module named %q from the executable's symbols", function)
	}
	if function, _, ok := table.Name(1, 1, 0); ok {
		t.Errorf("address 1 named %q, want no function", function)
	}
}
