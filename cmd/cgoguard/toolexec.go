package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// logEnv names a file cgoguard appends one line to per cgo and link step
// (what it guarded, skipped or refused). Tests use it to count the cgo
// steps a build ran; it does not change what is built.
const logEnv = "CGOGUARD_LOG"

// gobindingsPath is the package whose runtime a guarded program must link.
const gobindingsPath = ownModule + "/gobindings"

// toolexec runs tool (an absolute path the go command gave) with args,
// rewriting what the cgo tool writes for a selected package. It returns the
// exit status.
func toolexec(tool string, args []string) int {
	name := strings.TrimSuffix(filepath.Base(tool), ".exe")
	if len(args) == 1 && args[0] == "-V=full" && name == "cgo" {
		return cgoToolID(tool)
	}
	switch name {
	case "cgo":
		return runCgo(tool, args)
	case "link":
		return runLink(tool, args)
	}
	return execTool(tool, args)
}

// execTool replaces this process with the tool: whatever cgoguard does not
// change runs exactly as without it.
func execTool(tool string, args []string) int {
	err := syscall.Exec(tool, append([]string{tool}, args...), os.Environ())
	fmt.Fprintf(os.Stderr, "cgoguard: running %s: %v\n", tool, err)
	return 1
}

// runTool runs the tool as a child, its output on ours.
func runTool(tool string, args []string, stderr io.Writer) int {
	cmd := exec.Command(tool, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 {
			return ee.ExitCode()
		}
		fmt.Fprintf(os.Stderr, "cgoguard: running %s: %v\n", tool, err)
		return 1
	}
	return 0
}

// cgoToolID answers the go command's `cgo -V=full`: the real tool's line
// with cgoguard's version and selection added. The go command hashes the
// line (a release) or the content part of its buildID field (a development
// toolchain) into the action ID of every cgo package, so objects built with
// and without cgoguard, or with different selections, never share a
// build-cache entry, and a second identical build finds all of them.
func cgoToolID(tool string) int {
	cmd := exec.Command(tool, "-V=full")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "cgoguard: %s -V=full: %v\n", tool, err)
		return 1
	}
	sel, err := parseSelection(os.Getenv(packagesEnv), goCommandCwd)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cgoguard:", err)
		return 1
	}
	line, err := toolIDLine(string(out), selfVersion(), sel.id())
	if err != nil {
		fmt.Fprintln(os.Stderr, "cgoguard:", err)
		return 1
	}
	fmt.Println(line)
	return 0
}

// toolIDLine adds cgoguard's tag to a tool's -V=full line: at the end of a
// release's line ("cgo version go1.26.8 cgoguard=..."), inside the content
// ID of a development toolchain's buildID field, which must stay last.
func toolIDLine(line, version, selection string) (string, error) {
	line = strings.TrimSpace(line)
	f := strings.Fields(line)
	if len(f) < 3 || f[1] != "version" {
		return "", fmt.Errorf("unexpected -V=full output %q", line)
	}
	tag := "cgoguard=" + version + "+" + selection
	if strings.Contains(f[2], "devel") {
		last := f[len(f)-1]
		if !strings.HasPrefix(last, "buildID=") {
			return "", fmt.Errorf("unexpected -V=full output %q: no buildID", line)
		}
		f[len(f)-1] = last + "." + tag
		return strings.Join(f, " "), nil
	}
	return line + " " + tag, nil
}

// selfVersion identifies this build of cgoguard: a hash of its executable,
// so that a changed rewrite never reuses objects of the former one.
func selfVersion() string {
	exe, err := os.Executable()
	if err == nil {
		var f *os.File
		if f, err = os.Open(exe); err == nil {
			defer f.Close()
			h := sha256.New()
			if _, err = io.Copy(h, f); err == nil {
				return "v1-" + hex.EncodeToString(h.Sum(nil)[:8])
			}
		}
	}
	// Without its own hash the ID would not change with the tool: refuse.
	fmt.Fprintf(os.Stderr, "cgoguard: hashing its own executable: %v\n", err)
	os.Exit(1)
	return ""
}

// cgoArgs is what runCgo needs from a cgo command line.
type cgoArgs struct {
	objdir, importPath string
	gccgo              bool
	goFiles            []string
}

// parseCgoArgs reads the go command's cgo command line (cmd/go's
// work/exec.go: -objdir DIR -importpath PATH [flags] -- [C flags] files.go).
// ok is false for the other invocations (-dynimport, -godefs).
func parseCgoArgs(args []string) (a cgoArgs, ok bool) {
	dash := -1
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			dash = i
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-"), "=")
		switch name {
		case "objdir", "importpath":
			if !hasVal && i+1 < len(args) {
				i++
				val = args[i]
			}
			if name == "objdir" {
				a.objdir = val
			} else {
				a.importPath = val
			}
		case "gccgo":
			a.gccgo = true
		case "dynimport", "godefs", "cdefs":
			return a, false
		}
	}
	if dash < 0 || a.objdir == "" || a.importPath == "" {
		return a, false
	}
	for _, arg := range args[dash+1:] {
		if strings.HasSuffix(arg, ".go") && !strings.HasPrefix(arg, "-") {
			a.goFiles = append(a.goFiles, arg)
		}
	}
	return a, len(a.goFiles) > 0
}

// runCgo runs the real cgo and, for a selected package, rewrites its output.
func runCgo(tool string, args []string) int {
	a, ok := parseCgoArgs(args)
	if !ok {
		return execTool(tool, args)
	}
	dir, err := os.Getwd() // the go command runs cgo in the package's directory
	if err != nil {
		fmt.Fprintln(os.Stderr, "cgoguard:", err)
		return 1
	}
	goroot := gorootOf(tool)
	if why := excluded(a.importPath, dir, goroot); why != "" {
		logf("cgo %s: not guarded (%s)", a.importPath, why)
		return execTool(tool, args)
	}
	sel, err := parseSelection(os.Getenv(packagesEnv), goCommandCwd)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cgoguard:", err)
		return 1
	}
	if !sel.selects(a.importPath, dir) {
		logf("cgo %s: not guarded (not selected by %s)", a.importPath, packagesEnv)
		return execTool(tool, args)
	}
	goVersion := toolchainVersion(goroot)
	if a.gccgo {
		fmt.Fprintf(os.Stderr, "cgoguard: %s: gccgo is not supported (Go %s); exclude the package with %s\n", a.importPath, goVersion, packagesEnv)
		return 1
	}
	if minor, ok := goMinor(goVersion); ok && minor < 24 {
		fmt.Fprintf(os.Stderr, "cgoguard: %s: Go %s is older than Go 1.24, the oldest whose cgo output cgoguard recognises\n", a.importPath, goVersion)
		return 1
	}
	if rc := runTool(tool, args, os.Stderr); rc != 0 {
		return rc
	}
	objdir := a.objdir
	if !filepath.IsAbs(objdir) {
		objdir = filepath.Join(dir, objdir)
	}
	guarded, err := rewriteObjdir(objdir, a.goFiles, goVersion)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%v\ncgoguard: package %s is not built: it would not be guarded. Exclude it with %s, or report the shape.\n", err, a.importPath, packagesEnv)
		logf("cgo %s: refused: %v", a.importPath, err)
		return 1
	}
	logf("cgo %s: guarded %d call wrappers", a.importPath, len(guarded))
	return 0
}

// gorootOf finds the Go root from a tool's path ($GOROOT/pkg/tool/GOOS_GOARCH/cgo).
func gorootOf(tool string) string {
	d := filepath.Dir(tool)
	if filepath.Base(filepath.Dir(d)) != "tool" || filepath.Base(filepath.Dir(filepath.Dir(d))) != "pkg" {
		return ""
	}
	return filepath.Dir(filepath.Dir(filepath.Dir(d)))
}

// toolchainVersion is the Go version of the toolchain at goroot ("go1.26.8",
// "devel ..."), or "unknown".
func toolchainVersion(goroot string) string {
	if goroot != "" {
		if data, err := os.ReadFile(filepath.Join(goroot, "VERSION")); err == nil {
			if v, _, _ := strings.Cut(string(data), "\n"); strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown"
}

// goMinor returns 24 for "go1.24.13".
func goMinor(v string) (int, bool) {
	rest, ok := strings.CutPrefix(v, "go1.")
	if !ok {
		return 0, false
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end >= 0 {
		rest = rest[:end]
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// linkNeedsMessage is printed when a program links a guarded package but
// not gobindings, whose runtime the guarded wrappers call.
const linkNeedsMessage = `cgoguard: this program links packages built with cgoguard's guard, but not cgoguard's runtime.
cgoguard: add this import to package main (for a test binary: to a _test.go file of the package under test):
cgoguard:
cgoguard:     import _ "` + gobindingsPath + `"
cgoguard:
cgoguard: and require the module: go get ` + ownModule + `
`

// runLink runs the real linker. When it fails because the guarded packages'
// references to gobindings are unresolved, it says which import to add.
func runLink(tool string, args []string) int {
	if len(args) == 1 && args[0] == "-V=full" {
		return execTool(tool, args)
	}
	if linksGobindings(args) {
		return execTool(tool, args)
	}
	var stderr bytes.Buffer
	rc := runTool(tool, args, &stderr)
	out := stderr.String()
	if rc != 0 && (strings.Contains(out, gobindingsPath+".raiseFault") ||
		strings.Contains(out, gobindingsPath+".guardedPackageInit") || strings.Contains(out, "cgoguard_cgo_call")) {
		os.Stderr.WriteString(linkNeedsMessage)
		logf("link: refused: gobindings not linked")
	}
	os.Stderr.WriteString(out)
	return rc
}

// linksGobindings reports whether the link's importcfg holds gobindings.
func linksGobindings(args []string) bool {
	for i, arg := range args {
		if arg != "-importcfg" || i+1 >= len(args) {
			continue
		}
		f, err := os.Open(args[i+1])
		if err != nil {
			return false
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "packagefile "+gobindingsPath+"=") {
				return true
			}
		}
	}
	return false
}

// logf appends a line to $CGOGUARD_LOG, if set.
func logf(format string, args ...any) {
	path := os.Getenv(logEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, format+"\n", args...)
}
