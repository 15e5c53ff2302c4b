package main

import (
	"errors"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// shapesSource covers every form of cgo call a binding uses: void, scalar,
// struct and pointer results, pointer arguments, the errno form (with and
// without a result), a macro used as a value, a call with #cgo noescape and
// nocallback, a callback into Go (//export), and what must stay unguarded:
// cgo's helpers (C.CString, C.GoString, C.GoBytes, C.malloc), a C variable
// and a C function pointer.
const shapesSource = `package shapes

/*
#include <errno.h>
#include <stdlib.h>
struct pt { int x; double y; };
static void vd(void) {}
static int sc(int a, long b) { return a + (int)b; }
static struct pt st(int a) { struct pt p = {a, 1.5}; return p; }
static int en(int a) { errno = a; return -1; }
static void en0(void) { errno = 3; }
static char *ptr(char *s) { return s; }
extern void goCallback(int);
static void cb(int n) { goCallback(n); }
#define MACROVAL (sc(1, 2))
#cgo noescape ne
#cgo nocallback ne
static int ne(int *p) { return *p; }
int gvar = 3;
*/
import "C"
import "unsafe"

//export goCallback
func goCallback(n C.int) {}

func All() {
	C.vd()
	_ = C.sc(1, 2)
	_ = C.st(3)
	_, _ = C.en(4)
	_, _ = C.en0()
	_ = C.en(5)
	s := C.CString("x")
	_ = C.ptr(s)
	_ = C.GoString(s)
	_ = C.GoBytes(unsafe.Pointer(s), 1)
	C.free(unsafe.Pointer(s))
	m := C.malloc(3)
	C.free(m)
	C.cb(1)
	_ = C.MACROVAL
	x := C.int(1)
	_ = C.ne(&x)
	_ = C.gvar
	_ = unsafe.Pointer(C.sc)
}
`

// A second file: a package's wrappers are spread over its files' outputs.
const shapesSource2 = `package shapes

// static int second(void) { return 2; }
import "C"

func Second() int { return int(C.second()) }
`

// The wrappers cgo writes for shapesSource and shapesSource2: every one must
// be guarded, and nothing else.
var shapesWrappers = []string{
	"C2func_en", "C2func_en0",
	"Cfunc_cb", "Cfunc_en", "Cfunc_en0", "Cfunc_free", "Cfunc_ne", "Cfunc_ptr", "Cfunc_sc", "Cfunc_second",
	"Cfunc_st", "Cfunc_vd",
	"Cmacro_MACROVAL",
}

// goVersion is the version of the go command the tests run.
func goVersion(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatalf("go env GOVERSION: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// runCgoTool runs the toolchain's own cgo, as the go command does, on files
// (name -> source) of one package and returns the object directory.
func runCgoTool(t *testing.T, files map[string]string) (objdir string, goFiles []string) {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no C compiler")
	}
	dir := t.TempDir()
	objdir = filepath.Join(dir, "obj") + "/"
	pkg := filepath.Join(dir, "shapes")
	for _, d := range []string{objdir, pkg} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(pkg, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		goFiles = append(goFiles, name)
	}
	slices.Sort(goFiles)
	cmd := exec.Command("go", append([]string{"tool", "cgo", "-objdir", objdir, "-importpath", "example.com/shapes", "--"}, goFiles...)...)
	cmd.Dir = pkg
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go tool cgo: %v\n%s", err, out)
	}
	return objdir, goFiles
}

// warnings compiles dir/file with gcc -Wall and counts its warnings; it
// fails the test if the file does not compile.
func warnings(t *testing.T, dir, file string) int {
	t.Helper()
	cmd := exec.Command("gcc", "-c", "-Wall", "-O2", "-o", "/dev/null", file)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gcc %s in %s: %v\n%s", file, dir, err, out)
	}
	return strings.Count(string(out), "warning:")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// The toolchain's own cgo output is recognised whole: every call wrapper is
// guarded, the helpers are not, the C compiles without a warning and the Go
// parses. ci/test.sh runs this with the newest Go and with Go 1.24
// (ci/go-oldest.sh), which pins the shapes of both.
func TestEveryWrapperOfThisToolchainsCgoIsGuarded(t *testing.T) {
	version := goVersion(t)
	objdir, goFiles := runCgoTool(t, map[string]string{"shapes.go": shapesSource, "second.go": shapesSource2})
	pristine := t.TempDir()
	for _, f := range []string{"shapes.cgo2.c", "second.cgo2.c", "_cgo_main.c"} {
		if err := os.WriteFile(filepath.Join(pristine, f), []byte(readFile(t, filepath.Join(objdir, f))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	guarded, err := rewriteObjdir(objdir, goFiles, version)
	if err != nil {
		t.Fatalf("Go %s: %v", version, err)
	}
	hash := regexp.MustCompile(`^_cgo_[0-9a-f]{12}_`)
	var got []string
	for _, name := range guarded {
		got = append(got, hash.ReplaceAllString(name, ""))
	}
	if !slices.Equal(got, shapesWrappers) {
		t.Fatalf("Go %s: guarded %v\nwant %v", version, got, shapesWrappers)
	}

	gotypes := readFile(t, filepath.Join(objdir, "_cgo_gotypes.go"))
	if _, err := parser.ParseFile(token.NewFileSet(), "_cgo_gotypes.go", gotypes, 0); err != nil {
		t.Fatalf("the rewritten _cgo_gotypes.go does not parse: %v", err)
	}
	// One raise per stub; the malloc helper keeps its unguarded call.
	if n := strings.Count(gotypes, "\t\t_cgoguard_raise(") + strings.Count(gotypes, "\t\t_cgoguard_raise_nocallback("); n != len(shapesWrappers) {
		t.Errorf("%d stubs raise, want %d", n, len(shapesWrappers))
	}
	if !strings.Contains(gotypes, "\t_cgo_runtime_cgocall("+guarded[0][:len("_cgo_123456789abc_")]+"Cfunc__Cmalloc, uintptr(unsafe.Pointer(&p0)))\n\tif r1 == nil {") {
		t.Errorf("cgo's malloc helper was changed")
	}
	// The errno form keeps its errno and raises only for a parked code.
	if !strings.Contains(gotypes, "\tif errno != 0 { r2 = syscall.Errno(errno) }\n") ||
		!strings.Contains(gotypes, "\tif errno >= 1048576 {\n\t\t_cgoguard_raise(errno)\n\t}\n") {
		t.Errorf("the errno form's stub:\n%s", gotypes)
	}
	// The no-callback mark is cleared before a raise can panic, and that
	// stub's raise is the one that locks the goroutine to its thread itself.
	if !regexp.MustCompile(`_Cgo_no_callback\(false\)\n(.*\n)*?\tif _cgoguard_code >= 1048576 \{\n\t\t_cgoguard_raise_nocallback\(_cgoguard_code\)\n`).MatchString(gotypes) {
		t.Errorf("the nocallback stub raises before _Cgo_no_callback(false), or not with _cgoguard_raise_nocallback:\n%s", gotypes)
	}
	if n := strings.Count(gotypes, "\t\t_cgoguard_raise_nocallback("); n != 1 {
		t.Errorf("%d stubs raise with _cgoguard_raise_nocallback, want the one nocallback stub", n)
	}

	// The rewritten C compiles with no warning cgo's own output does not
	// have (Go 1.24's has unused variables of its own).
	for _, f := range []string{"shapes.cgo2.c", "second.cgo2.c", "_cgo_main.c"} {
		want := warnings(t, pristine, f)
		if got := warnings(t, objdir, f); got != want {
			t.Errorf("gcc -Wall %s: %d warnings after the rewrite, %d before", f, got, want)
		}
	}
	cgo2 := readFile(t, filepath.Join(objdir, "shapes.cgo2.c"))
	for _, want := range []string{
		"static void\n_cgo_cgoguard_", "static int\n_cgo_cgoguard_",
		"\treturn cgoguard_cgo_call(_cgo_cgoguard_", "\treturn cgoguard_cgo_call_errno(_cgo_cgoguard_",
	} {
		if !strings.Contains(cgo2, want) {
			t.Errorf("shapes.cgo2.c lacks %q", want)
		}
	}
	// Only the nocallback function's wrapper is told not to call into Go.
	noGo := regexp.MustCompile(`\treturn cgoguard_cgo_call(_errno)?\((_cgo_cgoguard_[0-9a-f]{12}_\w+), v, 0\);`).FindAllStringSubmatch(cgo2, -1)
	if len(noGo) != 1 || !strings.HasSuffix(noGo[0][2], "_Cfunc_ne") {
		t.Errorf("wrappers passing may_call_go = 0: %v, want the nocallback function ne's only", noGo)
	}
	// Helpers and callbacks are cgo's, unchanged.
	if export := readFile(t, filepath.Join(objdir, "_cgo_export.c")); strings.Contains(export, "cgoguard") {
		t.Errorf("_cgo_export.c was changed")
	}
}

// A package with C types and variables only has no call to guard: its
// output stays as cgo wrote it, with no reference to gobindings (so it links
// without it).
func TestAPackageWithoutCallsIsLeftAsItIs(t *testing.T) {
	objdir, goFiles := runCgoTool(t, map[string]string{"types.go": "package shapes\n\n// int gv = 1;\nimport \"C\"\n\nvar V = C.gv\n"})
	before := readFile(t, filepath.Join(objdir, "_cgo_gotypes.go"))
	guarded, err := rewriteObjdir(objdir, goFiles, goVersion(t))
	if err != nil || len(guarded) != 0 {
		t.Fatalf("guarded %v, %v", guarded, err)
	}
	if readFile(t, filepath.Join(objdir, "_cgo_gotypes.go")) != before {
		t.Fatal("_cgo_gotypes.go changed")
	}
}

// Each mutation of real cgo output is a shape the rewrite does not know: the
// package's build fails naming the file and the Go version, and nothing in
// the object directory is written.
func TestUnrecognisedOutputFailsLoudly(t *testing.T) {
	version := goVersion(t)
	pristine, goFiles := runCgoTool(t, map[string]string{"shapes.go": shapesSource, "second.go": shapesSource2})
	files := []string{"shapes.cgo2.c", "second.cgo2.c", "_cgo_gotypes.go", "_cgo_main.c"}
	original := map[string]string{}
	for _, f := range files {
		original[f] = readFile(t, filepath.Join(pristine, f))
	}
	wrapper := regexp.MustCompile(`(?m)^_cgo_[0-9a-f]{12}_Cfunc_sc\(void \*v\)$`)
	cases := []struct {
		name, file, wantFile, wantDetail string
		mutate                           func(string) string
	}{
		{"an extra line in a wrapper body", "shapes.cgo2.c", "shapes.cgo2.c (cgo's output for shapes.go)", "unexpected line",
			func(s string) string {
				return strings.Replace(s, "\t_cgo_tsan_release();\n}\n", "\t_cgo_tsan_release();\n\tfoo();\n}\n", 1)
			}},
		{"a wrapper header on one line", "shapes.cgo2.c", "shapes.cgo2.c", "outside a wrapper definition",
			func(s string) string { return strings.Replace(s, "void\n_cgo_", "void _cgo_", 1) }},
		{"a different call in a wrapper", "second.cgo2.c", "second.cgo2.c", "expected a call of second",
			func(s string) string { return strings.Replace(s, "_cgo_r = second();", "_cgo_r = other();", 1) }},
		{"a wrapper whose return type changed", "shapes.cgo2.c", "shapes.cgo2.c", "expected \"CGO_NO_SANITIZE_THREAD\"",
			func(s string) string {
				loc := wrapper.FindStringIndex(s)
				return strings.TrimSuffix(s[:loc[0]], "void\n") + "int\n" + s[loc[0]:]
			}},
		{"a stub with an extra statement", "_cgo_gotypes.go", "_cgo_gotypes.go", "expected \"return\" and the end",
			func(s string) string {
				return strings.Replace(s, "\t\t_Cgo_use(p1)\n\t}\n\treturn\n", "\t\t_Cgo_use(p1)\n\t}\n\tprintln()\n\treturn\n", 1)
			}},
		{"a stub whose cgo call changed", "_cgo_gotypes.go", "_cgo_gotypes.go", "expected the call _cgo_runtime_cgocall",
			func(s string) string {
				return strings.Replace(s, "_cgo_runtime_cgocall(_cgo_", "_cgo_runtime_cgocall2(_cgo_", 1)
			}},
		{"a use of runtime.cgocall outside a stub", "_cgo_gotypes.go", "_cgo_gotypes.go", "uses of _cgo_runtime_cgocall",
			func(s string) string { return s + "\nfunc x() { _cgo_runtime_cgocall(nil, 0) }\n" }},
		{"a Go stub without its C wrapper", "second.cgo2.c", "_cgo_gotypes.go", "a Go stub without a recognised C wrapper",
			func(s string) string {
				return regexp.MustCompile(`CGO_NO_SANITIZE_THREAD\nvoid\n_cgo_[0-9a-f]{12}_Cfunc_second\(void \*v\)\n\{\n(\t.*\n)*\}\n`).ReplaceAllString(s, "")
			}},
		{"output rewritten twice", "second.cgo2.c", "second.cgo2.c", "already holds cgoguard's names",
			func(s string) string { return s + "\n/* _cgo_cgoguard_ */\n" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			objdir := t.TempDir()
			for _, f := range files {
				text := original[f]
				if f == c.file {
					text = c.mutate(text)
					if text == original[f] {
						t.Fatalf("the mutation changed nothing in %s", f)
					}
				}
				if err := os.WriteFile(filepath.Join(objdir, f), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := rewriteObjdir(objdir, goFiles, version)
			var se *shapeError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a shape error", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.wantFile) || !strings.Contains(msg, "(Go "+version+")") || !strings.Contains(msg, c.wantDetail) {
				t.Fatalf("message %q does not name %q, Go %s and %q", msg, c.wantFile, version, c.wantDetail)
			}
			for _, f := range files {
				got := readFile(t, filepath.Join(objdir, f))
				want := original[f]
				if f == c.file {
					want = c.mutate(original[f])
				}
				if got != want {
					t.Fatalf("%s was written although the rewrite failed", f)
				}
			}
		})
	}
}

// The code the generated stubs compare with is gobindings' CGOGUARD_PARKED.
func TestParkedBaseIsGobindings(t *testing.T) {
	src := readFile(t, filepath.Join("..", "..", "gobindings", "call.go"))
	if !strings.Contains(src, "\n#define CGOGUARD_PARKED (1 << 20)\n") || parkedBase != 1<<20 {
		t.Fatalf("CGOGUARD_PARKED in gobindings/call.go is not parkedBase (%d)", parkedBase)
	}
}
