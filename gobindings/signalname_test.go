//go:build cgo

package cgoguard

import (
	"syscall"
	"testing"
)

func TestSignalName(t *testing.T) {
	for sig, want := range map[syscall.Signal]string{
		syscall.SIGSEGV: "SIGSEGV",
		syscall.SIGBUS:  "SIGBUS",
		syscall.SIGFPE:  "SIGFPE",
		syscall.SIGILL:  "SIGILL",
		syscall.SIGTRAP: "SIGTRAP",
		syscall.SIGABRT: "SIGABRT",
		syscall.SIGQUIT: "SIGQUIT",
		syscall.SIGSYS:  "SIGSYS",
		syscall.SIGUSR1: "SIG10",
		0:               "SIG0",
	} {
		if got := SignalName(sig); got != want {
			t.Errorf("SignalName(%d) = %q, want %q", int(sig), got, want)
		}
	}
}
