package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// parkedBase is the lowest code a guarded wrapper returns for a contained
// fault: CGOGUARD_PARKED in gobindings/call.go (a test checks they agree).
// A real errno is far below it.
const parkedBase = 1 << 20

// shapeError is cgo output the rewrite does not recognise. The package is
// not built: a package is guarded whole or fails, never half.
type shapeError struct {
	file      string // the file of cgo's output
	source    string // the Go source file it comes from ("" for package-wide files)
	goVersion string
	line      int // 1-based, 0 if none
	detail    string
}

func (e *shapeError) Error() string {
	where := e.file
	if e.source != "" {
		where += " (cgo's output for " + e.source + ")"
	}
	if e.line > 0 {
		where += fmt.Sprintf(", line %d", e.line)
	}
	return fmt.Sprintf("cgoguard: %s: cgo output of a shape cgoguard does not recognise (Go %s): %s", where, e.goVersion, e.detail)
}

// wrapperKinds are the mangled-name kinds of cgo's call wrappers: a
// function call C.f(...), its errno form r, err := C.f(...), and a macro
// used as a value (C.M).
const wrapperKinds = `Cfunc|C2func|Cmacro`

var (
	// The name line of a C call wrapper in a *.cgo2.c file.
	cWrapperHeader = regexp.MustCompile(`^_cgo_([0-9a-f]{12})_(` + wrapperKinds + `)_([A-Za-z_][A-Za-z0-9_]*)\(void \*v\)$`)
	// Any mention of a wrapper name, to find those the header did not.
	cWrapperName = regexp.MustCompile(`_cgo_[0-9a-f]{12}_(?:` + wrapperKinds + `)_[A-Za-z0-9_]+`)
	// The argument struct's closing line (gcc: packed and gcc_struct on
	// amd64/386; clang and other architectures: packed).
	cArgStructEnd = regexp.MustCompile(`^\t\} __attribute__\(\(__packed__(, __gcc_struct__)?\)\) \*_cgo_a = v;$`)
	// A field of the argument struct.
	cArgField = regexp.MustCompile(`^\t\t[^\t].*;$`)
	// The call's argument list.
	cCallArgs = regexp.MustCompile(`^(_cgo_a->p[0-9]+(, _cgo_a->p[0-9]+)*)?$`)
)

// cWrapper is one recognised C call wrapper.
type cWrapper struct {
	name  string // _cgo_<hash>_Cfunc_f
	kind  string // Cfunc, C2func, Cmacro
	cname string // the C function or macro it calls
}

// rewriteC rewrites the call wrappers of one *.cgo2.c file: each wrapper's
// body becomes a static function (named _cgo_cgoguard_<hash>_..., which
// cgo never generates), and a wrapper of cgo's name runs it under the guard
// through gobindings' cgoguard_cgo_call (cgoguard_cgo_call_errno for the
// errno form), passing whether the wrapper may call into Go: not for the
// functions in noCallback (declared with `#cgo nocallback`, see rewriteGo).
// It returns the new text and the wrappers found.
func rewriteC(text string, noCallback map[string]bool, e shapeError) (string, []cWrapper, error) {
	fail := func(line int, format string, args ...any) (string, []cWrapper, error) {
		e.line = line
		e.detail = fmt.Sprintf(format, args...)
		return "", nil, &e
	}
	if strings.Contains(text, "_cgo_cgoguard_") || strings.Contains(text, "cgoguard_cgo_call") {
		return fail(0, "it already holds cgoguard's names (rewritten twice?)")
	}
	lines := strings.Split(text, "\n")
	var out []string
	var found []cWrapper
	declared := false
	for i := 0; i < len(lines); i++ {
		m := cWrapperHeader.FindStringSubmatch(lines[i])
		if m == nil {
			if cWrapperName.MatchString(lines[i]) {
				return fail(i+1, "a call wrapper's name outside a wrapper definition: %q", lines[i])
			}
			out = append(out, lines[i])
			continue
		}
		w := cWrapper{name: strings.TrimSuffix(lines[i], "(void *v)"), kind: m[2], cname: m[3]}
		ret := "void"
		if w.kind == "C2func" {
			ret = "int"
		}
		if i < 2 || lines[i-2] != "CGO_NO_SANITIZE_THREAD" || lines[i-1] != ret || i+1 >= len(lines) || lines[i+1] != "{" {
			return fail(i+1, "wrapper %s: expected \"CGO_NO_SANITIZE_THREAD\", %q, the name, \"{\" on four lines", w.name, ret)
		}
		end := -1
		for j := i + 2; j < len(lines); j++ {
			if lines[j] == "}" {
				end = j
				break
			}
		}
		if end < 0 || end+1 >= len(lines) || lines[end+1] != "" {
			return fail(i+1, "wrapper %s: no closing \"}\" followed by an empty line", w.name)
		}
		if line, err := checkCBody(lines[i+2:end], w); err != nil {
			return fail(i+3+line, "wrapper %s: %v", w.name, err)
		}
		// out ends with the wrapper's first two lines; take them back.
		out = out[:len(out)-2]
		if !declared {
			out = append(out,
				"/* cmd/cgoguard: the call wrappers below run cgo's under cgoguard's guard",
				"   (github.com/cgoguard/cgoguard/gobindings, call.go). */",
				"extern int cgoguard_cgo_call(void (*)(void *), void *, int);",
				"extern int cgoguard_cgo_call_errno(int (*)(void *), void *, int);",
				"")
			declared = true
		}
		inner := "_cgo_cgoguard_" + strings.TrimPrefix(w.name, "_cgo_")
		call := "cgoguard_cgo_call"
		if w.kind == "C2func" {
			call = "cgoguard_cgo_call_errno"
		}
		mayCallGo := "1"
		if noCallback[w.name] {
			mayCallGo = "0"
		}
		out = append(out, "CGO_NO_SANITIZE_THREAD", "static "+ret, inner+"(void *v)")
		out = append(out, lines[i+1:end+1]...)
		out = append(out, "",
			"CGO_NO_SANITIZE_THREAD",
			"int",
			w.name+"(void *v)",
			"{",
			"\treturn "+call+"("+inner+", v, "+mayCallGo+");",
			"}")
		found = append(found, w)
		i = end
	}
	return strings.Join(out, "\n"), found, nil
}

// checkCBody checks a wrapper's body line by line against what cgo writes
// (cmd/cgo/out.go, writeOutputFunc; the same in Go 1.24 and 1.26 but for a
// one-byte argument struct 1.24 writes for a call with no argument and no
// result). It returns the index of the offending line.
func checkCBody(body []string, w cWrapper) (int, error) {
	i := 0
	next := func() string {
		if i < len(body) {
			return body[i]
		}
		return ""
	}
	expect := func(want string) error {
		if next() != want {
			return fmt.Errorf("expected %q, found %q", want, next())
		}
		i++
		return nil
	}
	errnoForm := w.kind == "C2func"
	if errnoForm {
		if err := expect("\tint _cgo_errno;"); err != nil {
			return i, err
		}
	}
	if next() == "\tstruct {" {
		i++
		fields := 0
		for cArgField.MatchString(next()) {
			i++
			fields++
		}
		if fields == 0 || !cArgStructEnd.MatchString(next()) {
			return i, fmt.Errorf("argument struct: expected fields and its closing line, found %q", next())
		}
		i++
	}
	result := next() == "\tchar *_cgo_stktop = _cgo_topofstack();"
	if result {
		i++
		if err := expect("\t__typeof__(_cgo_a->r) _cgo_r;"); err != nil {
			return i, err
		}
	}
	if err := expect("\t_cgo_tsan_acquire();"); err != nil {
		return i, err
	}
	if errnoForm {
		if err := expect("\terrno = 0;"); err != nil {
			return i, err
		}
	}
	call := strings.TrimPrefix(next(), "\t")
	if call == next() || !strings.HasSuffix(call, ";") {
		return i, fmt.Errorf("expected the call of %s, found %q", w.cname, next())
	}
	call = strings.TrimSuffix(call, ";")
	if result {
		rest, ok := strings.CutPrefix(call, "_cgo_r = ")
		if !ok {
			return i, fmt.Errorf("expected the result stored in _cgo_r, found %q", next())
		}
		call = strings.TrimPrefix(rest, "(__typeof__(_cgo_a->r)) ")
	}
	if w.kind == "Cmacro" {
		if call != w.cname || !result {
			return i, fmt.Errorf("expected the macro %s as a value, found %q", w.cname, next())
		}
	} else {
		args, ok := strings.CutPrefix(call, w.cname+"(")
		if !ok || !strings.HasSuffix(args, ")") || !cCallArgs.MatchString(strings.TrimSuffix(args, ")")) {
			return i, fmt.Errorf("expected a call of %s with the argument struct's fields, found %q", w.cname, next())
		}
	}
	i++
	if errnoForm {
		if err := expect("\t_cgo_errno = errno;"); err != nil {
			return i, err
		}
	}
	if err := expect("\t_cgo_tsan_release();"); err != nil {
		return i, err
	}
	if result {
		for _, want := range []string{
			"\t_cgo_a = (void*)((char*)_cgo_a + (_cgo_topofstack() - _cgo_stktop));",
			"\t_cgo_a->r = _cgo_r;",
			"\t_cgo_msan_write(&_cgo_a->r, sizeof(_cgo_a->r));",
		} {
			if err := expect(want); err != nil {
				return i, err
			}
		}
	}
	if errnoForm {
		if err := expect("\treturn _cgo_errno;"); err != nil {
			return i, err
		}
	}
	if i != len(body) {
		return i, fmt.Errorf("unexpected line %q", next())
	}
	return 0, nil
}

var (
	goImportStatic = regexp.MustCompile(`^//go:cgo_import_static (_cgo_[0-9a-f]{12}_(` + wrapperKinds + `)_([A-Za-z0-9_]+))$`)
	goCgocall      = regexp.MustCompile(`^\t(errno := )?_cgo_runtime_cgocall\((_cgo_[0-9a-f]{12}_[A-Za-z0-9_]+), (0|uintptr\(unsafe\.Pointer\(&(p0|r1)\)\))\)$`)
	goUse          = regexp.MustCompile(`^\t\t_Cgo_(use|keepalive)\(p[0-9]+\)$`)
)

// The lines of _cgo_gotypes.go that call runtime.cgocall outside a call
// stub: its declaration, and cgo's malloc helper (C.malloc, C.CString,
// C.CBytes), which is not guarded.
const (
	goCgocallDecl = "func _cgo_runtime_cgocall(unsafe.Pointer, uintptr) int32"
	goCmallocFunc = "func _cgo_cmalloc(p0 uint64) (r1 unsafe.Pointer) {"
)

// goTrailer is appended to a guarded package's _cgo_gotypes.go.
const goTrailer = `
// cmd/cgoguard: the call stubs above panic with the contained fault, and
// the package's init lets cgoguard set itself up at start
// (github.com/cgoguard/cgoguard/gobindings, buildflag.go).

//go:linkname _cgoguard_raise github.com/cgoguard/cgoguard/gobindings.raiseFault
func _cgoguard_raise(int32)

//go:linkname _cgoguard_raise_nocallback github.com/cgoguard/cgoguard/gobindings.raiseFaultNoCallback
func _cgoguard_raise_nocallback(int32)

//go:linkname _cgoguard_package_init github.com/cgoguard/cgoguard/gobindings.guardedPackageInit
func _cgoguard_package_init()

func init() { _cgoguard_package_init() }
`

// rewriteGo rewrites the call stubs of _cgo_gotypes.go: each keeps the code
// its cgo call returns and, just before it returns, hands a code of
// parkedBase or more to gobindings' raiseFault, which panics with the
// fault. It returns the new text, the C wrapper names the stubs call and,
// of those, the ones whose function is declared with `#cgo nocallback`.
func rewriteGo(text string, e shapeError) (string, []string, map[string]bool, error) {
	fail := func(line int, format string, args ...any) (string, []string, map[string]bool, error) {
		e.line = line
		e.detail = fmt.Sprintf(format, args...)
		return "", nil, nil, &e
	}
	if strings.Contains(text, "_cgoguard_") {
		return fail(0, "it already holds cgoguard's names (rewritten twice?)")
	}
	if !strings.Contains(text, "\nimport \"unsafe\"\n") {
		return fail(0, "no import of unsafe")
	}
	lines := strings.Split(text, "\n")
	var out []string
	var stubs []string
	noCallbacks := map[string]bool{}
	cgocalls := 0 // calls of _cgo_runtime_cgocall accounted for
	inCmalloc := false
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case line == goCgocallDecl:
			cgocalls++
		case line == goCmallocFunc:
			inCmalloc = true
		case inCmalloc && line == "}":
			inCmalloc = false
		case inCmalloc && strings.Contains(line, "_cgo_runtime_cgocall("):
			cgocalls++
		}
		m := goImportStatic.FindStringSubmatch(line)
		if m == nil || m[2] == "Cfunc" && m[3] == "_Cmalloc" {
			out = append(out, line)
			continue
		}
		cn, kind := m[1], m[2]
		gn := "_" + kind + "_" + m[3]
		head := []string{
			"//go:cgo_import_static " + cn,
			"//go:linkname __cgofn_" + cn + " " + cn,
			"var __cgofn_" + cn + " byte",
			"var " + cn + " = unsafe.Pointer(&__cgofn_" + cn + ")",
			"",
			"//go:cgo_unsafe_args",
		}
		for k, want := range head {
			if i+k >= len(lines) || lines[i+k] != want {
				return fail(i+k+1, "stub %s: expected %q", gn, want)
			}
		}
		f := i + len(head)
		if f >= len(lines) || !strings.HasPrefix(lines[f], "func "+gn+"(") || !strings.HasSuffix(lines[f], " {") {
			return fail(f+1, "stub %s: expected its func line", gn)
		}
		end := -1
		for j := f + 1; j < len(lines); j++ {
			if lines[j] == "}" {
				end = j
				break
			}
		}
		if end < 0 {
			return fail(f+1, "stub %s: no closing \"}\"", gn)
		}
		body, noCallback, err := rewriteStub(lines[f+1:end], cn, kind)
		if err != nil {
			return fail(f+2, "stub %s: %v", gn, err)
		}
		out = append(out, lines[i:f+1]...)
		out = append(out, body...)
		out = append(out, "}")
		stubs = append(stubs, cn)
		if noCallback {
			noCallbacks[cn] = true
		}
		cgocalls++
		i = end
	}
	if n := strings.Count(text, "_cgo_runtime_cgocall("); n != cgocalls {
		return fail(0, "%d uses of _cgo_runtime_cgocall, %d of them in recognised stubs, its declaration and cgo's malloc helper", n, cgocalls)
	}
	if len(stubs) == 0 {
		return text, nil, nil, nil
	}
	return strings.Join(out, "\n") + goTrailer, stubs, noCallbacks, nil
}

// rewriteStub checks and rewrites the body of one call stub (cmd/cgo/out.go,
// writeDefsFunc).
func rewriteStub(body []string, cn, kind string) (out []string, noCallback bool, err error) {
	i := 0
	next := func() string {
		if i < len(body) {
			return body[i]
		}
		return ""
	}
	noCallback = next() == "\t_Cgo_no_callback(true)"
	if noCallback {
		out = append(out, next())
		i++
	}
	m := goCgocall.FindStringSubmatch(next())
	if m == nil || m[2] != cn {
		return nil, false, fmt.Errorf("expected the call _cgo_runtime_cgocall(%s, ...), found %q", cn, next())
	}
	code := "_cgoguard_code"
	if kind == "C2func" {
		if m[1] == "" {
			return nil, false, fmt.Errorf("errno form without errno: %q", next())
		}
		code = "errno"
		out = append(out, next())
	} else {
		if m[1] != "" {
			return nil, false, fmt.Errorf("errno read by a stub of kind %s", kind)
		}
		out = append(out, "\t_cgoguard_code := "+strings.TrimPrefix(next(), "\t"))
	}
	i++
	if kind == "C2func" {
		if next() != "\tif errno != 0 { r2 = syscall.Errno(errno) }" {
			return nil, false, fmt.Errorf("expected the errno check, found %q", next())
		}
		out = append(out, next())
		i++
	}
	if noCallback {
		if next() != "\t_Cgo_no_callback(false)" {
			return nil, false, fmt.Errorf("expected _Cgo_no_callback(false), found %q", next())
		}
		out = append(out, next())
		i++
	}
	if next() == "\tif _Cgo_always_false {" {
		out = append(out, next())
		i++
		for goUse.MatchString(next()) {
			out = append(out, next())
			i++
		}
		if next() != "\t}" {
			return nil, false, fmt.Errorf("expected the end of the keep-alive block, found %q", next())
		}
		out = append(out, next())
		i++
	}
	if next() != "\treturn" || i+1 != len(body) {
		return nil, false, fmt.Errorf("expected \"return\" and the end, found %q", next())
	}
	// After _Cgo_no_callback(false): the panic must not leave the goroutine
	// marked as in a no-callback call. A nocallback function's wrapper could
	// not lock the goroutine to the faulting thread: its raise does.
	raise := "_cgoguard_raise"
	if noCallback {
		raise = "_cgoguard_raise_nocallback"
	}
	out = append(out,
		fmt.Sprintf("\tif %s >= %d {", code, parkedBase),
		fmt.Sprintf("\t\t%s(%s)", raise, code),
		"\t}",
		"\treturn")
	return out, noCallback, nil
}

// mainCStubs is appended to _cgo_main.c, which the go command links with the
// package's C objects only to learn their dynamic imports (cgo -dynimport):
// there gobindings' functions are absent, as cgo's own runtime functions are,
// and stand-ins like cgo's keep that link from failing (a failed link would
// silently switch the program to external linking).
const mainCStubs = `
/* cmd/cgoguard: stand-ins for gobindings' functions the guarded wrappers call. */
int cgoguard_cgo_call(void (*fn)(void *) __attribute__((unused)), void *v __attribute__((unused)), int may_call_go __attribute__((unused))) { return 0; }
int cgoguard_cgo_call_errno(int (*fn)(void *) __attribute__((unused)), void *v __attribute__((unused)), int may_call_go __attribute__((unused))) { return 0; }
`

// rewriteObjdir rewrites cgo's output in objdir for the Go files srcs of a
// guarded package. It returns the names of the wrappers it guarded. On an
// error nothing has been written.
func rewriteObjdir(objdir string, srcs []string, goVersion string) ([]string, error) {
	type edit struct {
		path, text string
	}
	var edits []edit
	gotypes := filepath.Join(objdir, "_cgo_gotypes.go")
	data, err := os.ReadFile(gotypes)
	if err != nil {
		return nil, fmt.Errorf("cgoguard: reading cgo's output: %v", err)
	}
	goText, stubs, noCallback, err := rewriteGo(string(data), shapeError{file: "_cgo_gotypes.go", goVersion: goVersion})
	if err != nil {
		return nil, err
	}
	cNames := map[string]bool{}
	for _, src := range srcs {
		base := strings.TrimSuffix(filepath.Base(src), ".go") + ".cgo2.c"
		path := filepath.Join(objdir, base)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("cgoguard: reading cgo's output: %v", err)
		}
		text, found, err := rewriteC(string(data), noCallback, shapeError{file: base, source: filepath.Base(src), goVersion: goVersion})
		if err != nil {
			return nil, err
		}
		for _, w := range found {
			if cNames[w.name] {
				return nil, &shapeError{file: base, goVersion: goVersion, detail: "wrapper " + w.name + " defined twice"}
			}
			cNames[w.name] = true
		}
		if len(found) > 0 {
			edits = append(edits, edit{path, text})
		}
	}
	// Every stub must call a wrapper that is now guarded, and every guarded
	// wrapper (now returning a code) must be called by a stub that reads it.
	goNames := map[string]bool{}
	for _, s := range stubs {
		goNames[s] = true
	}
	var missing []string
	for n := range goNames {
		if !cNames[n] {
			missing = append(missing, n+" (a Go stub without a recognised C wrapper)")
		}
	}
	for n := range cNames {
		if !goNames[n] {
			missing = append(missing, n+" (a C wrapper without a recognised Go stub)")
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, &shapeError{file: "_cgo_gotypes.go", goVersion: goVersion, detail: "stubs and wrappers do not pair: " + strings.Join(missing, ", ")}
	}
	if len(stubs) == 0 {
		return nil, nil
	}
	edits = append(edits, edit{gotypes, goText})
	mainC := filepath.Join(objdir, "_cgo_main.c")
	data, err = os.ReadFile(mainC)
	if err != nil {
		return nil, fmt.Errorf("cgoguard: reading cgo's output: %v", err)
	}
	edits = append(edits, edit{mainC, string(data) + mainCStubs})
	for _, ed := range edits {
		if err := os.WriteFile(ed.path, []byte(ed.text), 0o666); err != nil {
			return nil, fmt.Errorf("cgoguard: %v", err)
		}
	}
	sort.Strings(stubs)
	return stubs, nil
}
