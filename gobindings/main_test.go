//go:build cgo

package cgoguard_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/internal/testbinary"
)

// childEnv names the scenario a re-executed test binary runs instead of the
// tests: crash behaviour is tested in child processes that really die.
const childEnv = "CGOGUARD_TEST_CHILD"

// childScenarios run in a child process; each ends the process one way or
// another (or returns, and the child exits 0).
var childScenarios = map[string]func(){}

func TestMain(m *testing.M) {
	testbinary.EnsureUnstripped() // native frames are named in these tests
	if name := os.Getenv(childEnv); name != "" {
		scenario, ok := childScenarios[name]
		if !ok {
			os.Stderr.WriteString("unknown child scenario " + name + "\n")
			os.Exit(97)
		}
		scenario()
		os.Exit(0)
	}
	if err := cgoguard.Init(cgoguard.ContainAbort()); err != nil {
		panic(err)
	}
	// Tests read names right after a fault: wait until faults are
	// symbolized before Call returns them.
	<-cgoguard.SymbolizerReady()
	os.Exit(m.Run())
}

// runChild re-executes the test binary for one scenario and returns its exit
// status (-1 for a kill by a signal, whose number is returned as well) and
// its stderr.
func runChild(t *testing.T, scenario string, extraEnv ...string) (exitCode int, signal syscall.Signal, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+scenario, "GOTRACEBACK=single"), extraEnv...)
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0, 0, errBuf.String()
	case errors.As(err, &exitErr):
		ws := exitErr.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			return -1, ws.Signal(), errBuf.String()
		}
		return ws.ExitStatus(), 0, errBuf.String()
	default:
		t.Fatalf("running child %s: %v", scenario, err)
		return
	}
}

// frameNamed reports whether any frame's function contains name.
func frameNamed(frames []cgoguard.Frame, name string) bool {
	for _, fr := range frames {
		if strings.Contains(fr.Function, name) {
			return true
		}
	}
	return false
}
