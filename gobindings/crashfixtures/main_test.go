//go:build cgo

package crashfixtures_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// childEnv makes a re-executed test binary run as a process that has not
// asked for abort containment (the value names what the child runs); the
// tests that need such a process start one with runChild.
const childEnv = "CRASHFIXTURES_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "" {
		if err := cgoguard.Init(cgoguard.ContainAbort()); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}

// inChild reports whether this process is a child started by runChild for
// the given role.
func inChild(role string) bool { return os.Getenv(childEnv) == role }

// runChild re-executes the test binary as a process without ContainAbort,
// running only the tests that match run (verbosely), in the given role. It
// returns the exit code (-1 when killed by a signal, returned too) and the
// combined output.
func runChild(t *testing.T, role, run string) (code int, sig syscall.Signal, out string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run="+run, "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+role)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0, 0, buf.String()
	case errors.As(err, &exitErr):
		ws := exitErr.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			return -1, ws.Signal(), buf.String()
		}
		return ws.ExitStatus(), 0, buf.String()
	default:
		t.Fatalf("running the child: %v", err)
		return
	}
}
