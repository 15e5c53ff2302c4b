package cgoguard

import (
	"strconv"
	"syscall"
)

// signalNames are the signals a native fault can carry (the C shim's signal
// table, and the other signals that make the Go runtime write a crash
// report, which a crash monitor's record carries), by their conventional
// names.
var signalNames = map[syscall.Signal]string{
	syscall.SIGSEGV: "SIGSEGV",
	syscall.SIGBUS:  "SIGBUS",
	syscall.SIGFPE:  "SIGFPE",
	syscall.SIGILL:  "SIGILL",
	syscall.SIGTRAP: "SIGTRAP",
	syscall.SIGABRT: "SIGABRT",
	syscall.SIGQUIT: "SIGQUIT",
	syscall.SIGSYS:  "SIGSYS",
}

// SignalName returns the conventional name of sig ("SIGSEGV") for the
// signals a NativeFault can carry, or "SIG<number>" for any other. Logs,
// metrics and fault clusters use it so that one signal has one name
// everywhere.
func SignalName(sig syscall.Signal) string {
	if name, ok := signalNames[sig]; ok {
		return name
	}
	return "SIG" + strconv.Itoa(int(sig))
}
