package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// ownModule is cgoguard's own module: its packages (the shim, the Go
// bindings, the crash fixtures) are never rewritten.
const ownModule = "github.com/cgoguard/cgoguard"

// packagesEnv narrows the selection (see the package doc).
const packagesEnv = "CGOGUARD_PACKAGES"

// pattern is one entry of CGOGUARD_PACKAGES.
type pattern struct {
	text  string         // as written
	dir   bool           // matched against the package directory, not its import path
	match *regexp.Regexp // on the import path, or on the absolute directory
	canon string         // what enters the tool ID: the resolved form
}

// selection is the parsed CGOGUARD_PACKAGES; nil patterns select every
// package the default rule allows.
type selection struct {
	patterns []pattern
}

// parseSelection reads CGOGUARD_PACKAGES. goCwd returns the go command's
// working directory, against which relative patterns are resolved; it is
// called only when a relative pattern is present.
func parseSelection(env string, goCwd func() (string, error)) (*selection, error) {
	sel := &selection{}
	for _, text := range strings.Split(env, ",") {
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		switch {
		case text == "all":
			sel.patterns = append(sel.patterns, pattern{text: text, match: regexp.MustCompile(`.`), canon: "all"})
		case text == "std" || text == "cmd":
			return nil, fmt.Errorf("%s: %q: the standard library is never guarded", packagesEnv, text)
		case isRelative(text) || filepath.IsAbs(text):
			dir := text
			if !filepath.IsAbs(dir) {
				cwd, err := goCwd()
				if err != nil {
					return nil, fmt.Errorf("%s: relative pattern %q: %v", packagesEnv, text, err)
				}
				dir = filepath.Join(cwd, dir)
			}
			// filepath.Join cleaned it: "./..." became "<cwd>/...".
			dir = filepath.ToSlash(filepath.Clean(dir))
			sel.patterns = append(sel.patterns, pattern{text: text, dir: true, match: matchPattern(dir), canon: "dir:" + dir})
		default:
			if strings.ContainsAny(text, " \t\\") {
				return nil, fmt.Errorf("%s: %q is not an import path pattern", packagesEnv, text)
			}
			sel.patterns = append(sel.patterns, pattern{text: text, match: matchPattern(text), canon: "path:" + text})
		}
	}
	return sel, nil
}

// isRelative reports a pattern the go command resolves against its working
// directory: ".", "..", "./x", "../x".
func isRelative(p string) bool {
	return p == "." || p == ".." || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../")
}

// matchPattern is the go command's pattern matching (cmd/go/internal/search):
// "..." matches any string, and a trailing "/..." also matches the path
// before it ("example.com/x/..." matches example.com/x).
func matchPattern(p string) *regexp.Regexp {
	re := regexp.QuoteMeta(p)
	re = strings.ReplaceAll(re, `\.\.\.`, `.*`)
	if strings.HasSuffix(re, `/.*`) {
		re = re[:len(re)-len(`/.*`)] + `(/.*)?`
	}
	return regexp.MustCompile(`^` + re + `$`)
}

// excluded reports why a package is never guarded ("" if it may be).
func excluded(importPath, dir, goroot string) string {
	switch {
	case importPath == "runtime/cgo":
		return "runtime/cgo"
	case goroot != "" && within(dir, filepath.Join(goroot, "src")):
		return "standard library"
	case importPath == ownModule || strings.HasPrefix(importPath, ownModule+"/"):
		return "cgoguard's own package"
	}
	return ""
}

// within reports whether dir is root or lies below it.
func within(dir, root string) bool {
	rel, err := filepath.Rel(root, dir)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// selects reports whether a package the default rule allows is selected.
func (s *selection) selects(importPath, dir string) bool {
	if len(s.patterns) == 0 {
		return true
	}
	dir = filepath.ToSlash(filepath.Clean(dir))
	for _, p := range s.patterns {
		if p.dir && p.match.MatchString(dir) || !p.dir && p.match.MatchString(importPath) {
			return true
		}
	}
	return false
}

// id is the selection's part of the cgo tool ID: a hash of the resolved
// patterns.
func (s *selection) id() string {
	h := sha256.New()
	fmt.Fprintf(h, "cgoguard selection v1\n")
	for _, p := range s.patterns {
		fmt.Fprintf(h, "%s\n", p.canon)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// goCommandCwd returns the working directory of the go command that runs
// this tool (its parent process): the directory the user ran go in, against
// which go resolves "./..." too. The go command runs cgo in the package's
// directory, so the tool's own working directory says nothing; the parent's
// is read from /proc (Linux, the only system cgoguard supports).
func goCommandCwd() (string, error) {
	ppid := os.Getppid()
	exe, err := os.Readlink("/proc/" + strconv.Itoa(ppid) + "/exe")
	if err != nil {
		return "", fmt.Errorf("reading the go command's directory: %v", err)
	}
	if base := filepath.Base(exe); base != "go" {
		return "", fmt.Errorf("cgoguard was not started by the go command (parent %s): use an import path pattern or an absolute directory", base)
	}
	cwd, err := os.Readlink("/proc/" + strconv.Itoa(ppid) + "/cwd")
	if err != nil {
		return "", fmt.Errorf("reading the go command's directory: %v", err)
	}
	return cwd, nil
}
