// Package testbinary makes the test binaries of cgoguard's packages able to
// name native frames.
//
// A plain `go test` links the test binary with -s -w: no symbol table, no
// debug information. C functions compiled into it through cgo (the shim and
// the crash fixtures) then have no names, files or lines, and tests that check
// what a user of an ordinary `go build` binary sees cannot pass.
// EnsureUnstripped, called first in TestMain, detects that and runs the same
// tests in a binary built by `go test -c` (which keeps both) instead.
package testbinary

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// rerunEnv marks the rebuilt binary, which must not rebuild itself again.
const rerunEnv = "CGOGUARD_TEST_UNSTRIPPED"

// Stripped reports whether the running executable lacks an ELF symbol table.
func Stripped() bool {
	path, err := os.Executable()
	if err != nil {
		return false
	}
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return f.Section(".symtab") == nil
}

// EnsureUnstripped returns when the running test binary has its symbol table
// (built by `go test -c`, or already rebuilt): the caller then runs its tests
// itself. Otherwise it builds the package in the current directory (go
// test runs a test binary in its package's directory) with `go test -c`, with
// the build options this binary shows (-race, the cgoguard_shared tag,
// coverage; GOFLAGS passes through the environment), runs it with this
// binary's arguments, and ends the process with its exit status.
func EnsureUnstripped() {
	if os.Getenv(rerunEnv) != "" || !Stripped() {
		return
	}
	dir, err := os.MkdirTemp("", "cgoguard-test-")
	if err != nil {
		fatal("temporary directory: %v", err)
	}
	bin := filepath.Join(dir, filepath.Base(os.Args[0]))
	args := []string{"test", "-c", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	if len(buildTags) > 0 {
		args = append(args, "-tags", strings.Join(buildTags, ","))
	}
	if mode := testing.CoverMode(); mode != "" {
		args = append(args, "-cover", "-covermode="+mode)
	}
	build := exec.Command(goCommand(), append(args, ".")...)
	build.Stdout = os.Stderr
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		fatal("go test -c: %v", err)
	}
	run := exec.Command(bin, os.Args[1:]...)
	run.Env = append(os.Environ(), rerunEnv+"=1")
	run.Stdin, run.Stdout, run.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = run.Run()
	os.RemoveAll(dir)
	if exit, ok := err.(*exec.ExitError); ok {
		os.Exit(exit.ExitCode())
	} else if err != nil {
		fatal("running %s: %v", bin, err)
	}
	os.Exit(0)
}

// goCommand is the go command of the toolchain that built this binary.
func goCommand() string {
	if root := runtime.GOROOT(); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "testbinary: "+format+"\n", args...)
	os.Exit(2)
}
