package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The go command's check of a -V=full line (cmd/go/internal/work/buildid.go,
// toolID) and the ID it takes from it.
func goToolID(t *testing.T, name, line string) string {
	t.Helper()
	f := strings.Fields(line)
	if len(f) < 3 || f[0] != name || f[1] != "version" || strings.Contains(f[2], "devel") && !strings.HasPrefix(f[len(f)-1], "buildID=") {
		t.Fatalf("the go command would reject %q", line)
	}
	if strings.Contains(f[2], "devel") {
		last := f[len(f)-1]
		return last[strings.LastIndex(last, "/")+1:]
	}
	return strings.TrimSpace(line)
}

func TestToolIDCarriesVersionAndSelection(t *testing.T) {
	for _, line := range []string{
		"cgo version go1.26.8\n",
		"cgo version go1.24.13\n",
		"cgo version devel go1.27-abcdef Tue Jan 1 00:00:00 2026 +0000 buildID=aaaa/bbbb\n",
	} {
		plain := goToolID(t, "cgo", line)
		a, err := toolIDLine(line, "v1-x", "sel1")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := toolIDLine(line, "v1-x", "sel2")
		c, _ := toolIDLine(line, "v1-y", "sel1")
		ida, idb, idc := goToolID(t, "cgo", a), goToolID(t, "cgo", b), goToolID(t, "cgo", c)
		if ida == plain || ida == idb || ida == idc {
			t.Errorf("%q: IDs plain %q, guarded %q, other selection %q, other version %q: want all different", line, plain, ida, idb, idc)
		}
		if a2, _ := toolIDLine(line, "v1-x", "sel1"); a2 != a {
			t.Errorf("the ID is not stable: %q, %q", a, a2)
		}
	}
	if _, err := toolIDLine("cgo version devel go1.27 no-build-id", "v", "s"); err == nil {
		t.Error("a devel line without buildID was accepted")
	}
}

func TestSelection(t *testing.T) {
	cwd := func() (string, error) { return "/src/app", nil }
	noCwd := func() (string, error) { return "", errors.New("no go command") }
	type pkg struct{ path, dir string }
	binding := pkg{"github.com/mattn/go-sqlite3", "/mod/github.com/mattn/go-sqlite3@v1.14.22"}
	local := pkg{"example.com/app/internal/db", "/src/app/internal/db"}
	other := pkg{"example.com/lib/x", "/src/lib/x"}
	for _, c := range []struct {
		env  string
		want []pkg
	}{
		{"", []pkg{binding, local, other}},
		{"all", []pkg{binding, local, other}},
		{"github.com/mattn/go-sqlite3", []pkg{binding}},
		{"github.com/mattn/...", []pkg{binding}},
		{"example.com/app/internal/db/...", []pkg{local}}, // x/... matches x
		{"example.com/.../x", []pkg{other}},
		{"./...", []pkg{local}},
		{"./internal/db", []pkg{local}},
		{"../lib/...", []pkg{other}},
		{"/src/...", []pkg{local, other}},
		{" github.com/mattn/go-sqlite3 , ./... ", []pkg{binding, local}},
	} {
		sel, err := parseSelection(c.env, cwd)
		if err != nil {
			t.Errorf("%q: %v", c.env, err)
			continue
		}
		for _, p := range []pkg{binding, local, other} {
			want := false
			for _, w := range c.want {
				want = want || w == p
			}
			if got := sel.selects(p.path, p.dir); got != want {
				t.Errorf("%s=%q selects %s: %v, want %v", packagesEnv, c.env, p.path, got, want)
			}
		}
	}
	for _, env := range []string{"std", "cmd", "a b"} {
		if _, err := parseSelection(env, cwd); err == nil {
			t.Errorf("%q accepted", env)
		}
	}
	if _, err := parseSelection("./...", noCwd); err == nil {
		t.Error("a relative pattern without the go command's directory was accepted")
	}
	// The ID follows the resolved patterns: ./... from two directories differ.
	a, _ := parseSelection("./...", cwd)
	b, _ := parseSelection("./...", func() (string, error) { return "/src/other", nil })
	d, _ := parseSelection("", cwd)
	if a.id() == b.id() || a.id() == d.id() {
		t.Error("selection IDs do not follow the resolved patterns")
	}
}

func TestExcluded(t *testing.T) {
	for _, c := range []struct{ path, dir, want string }{
		{"runtime/cgo", "/go/src/runtime/cgo", "runtime/cgo"},
		{"net", "/go/src/net", "standard library"},
		{"github.com/cgoguard/cgoguard/gobindings", "/m/gobindings", "cgoguard's own package"},
		{"github.com/cgoguard/cgoguard/cshim", "/m/cshim", "cgoguard's own package"},
		{"github.com/cgoguard/cgoguardian", "/m2", ""},
		{"example.com/x", "/go/srcx/x", ""},
	} {
		if got := excluded(c.path, c.dir, "/go"); got != c.want {
			t.Errorf("excluded(%s) = %q, want %q", c.path, got, c.want)
		}
	}
}

func TestParseCgoArgs(t *testing.T) {
	// As cmd/go/internal/work/exec.go runs cgo.
	a, ok := parseCgoArgs([]string{"-objdir", "/w/b001/", "-importpath", "example.com/x", "-import_runtime_cgo=false",
		"--", "-I", "/w/b001/", "-g", "-O2", "./a.go", "b.go"})
	if !ok || a.objdir != "/w/b001/" || a.importPath != "example.com/x" || strings.Join(a.goFiles, " ") != "./a.go b.go" || a.gccgo {
		t.Errorf("parsed %+v, %v", a, ok)
	}
	if _, ok := parseCgoArgs([]string{"-dynpackage", "x", "-dynimport", "/w/_cgo_.o", "-dynout", "/w/_cgo_import.go"}); ok {
		t.Error("the -dynimport step was taken for a package's cgo step")
	}
	if a, _ := parseCgoArgs([]string{"-objdir=/o/", "-importpath=p", "-gccgo", "--", "a.go"}); !a.gccgo || a.objdir != "/o/" {
		t.Errorf("parsed %+v", a)
	}
}

// buildTool builds cgoguard for the tests that run it as the go command does.
func buildTool(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cgoguard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Through the go command: cgo's own errors (a variadic C function) come out
// unchanged, and a package with C types only builds without gobindings.
func TestThroughTheGoCommand(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no C compiler")
	}
	bin := buildTool(t)
	mod := t.TempDir()
	files := map[string]string{
		"go.mod":          "module example.com/m\n\ngo 1.24\n",
		"variadic/v.go":   "package variadic\n\n// #include <stdio.h>\nimport \"C\"\n\nfunc F() { C.printf(nil) }\n",
		"typesonly/t.go":  "package main\n\n// struct s { int a; };\nimport \"C\"\n\nfunc main() { var s C.struct_s; println(s.a) }\n",
		"calls/c.go":      "package main\n\n// static int one(void) { return 1; }\nimport \"C\"\n\nfunc main() { println(C.one()) }\n",
		"calls/c_test.go": "package main\n",
	}
	for name, src := range files {
		path := filepath.Join(mod, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goCmd := func(args ...string) (string, error) {
		cmd := exec.Command("go", args...)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := goCmd("build", "-toolexec="+bin, "./variadic")
	if err == nil || !strings.Contains(out, "variadic") || strings.Contains(out, "cgoguard") {
		t.Errorf("variadic call: %v\n%s\nwant cgo's own error", err, out)
	}
	if out, err := goCmd("build", "-toolexec="+bin, "-o", filepath.Join(mod, "t.bin"), "./typesonly"); err != nil {
		t.Errorf("a package with C types only: %v\n%s", err, out)
	}
	// A guarded program without gobindings: the link names the import.
	out, err = goCmd("build", "-toolexec="+bin, "-o", filepath.Join(mod, "c.bin"), "./calls")
	if err == nil || !strings.Contains(out, `import _ "github.com/cgoguard/cgoguard/gobindings"`) {
		t.Errorf("linking a guarded package without gobindings: %v\n%s", err, out)
	}
}
