package crashmonitor

import "syscall"

// growPipe asks for a 1 MiB pipe buffer (the kernel's default cap for an
// unprivileged process, /proc/sys/fs/pipe-max-size); on failure the pipe
// keeps its 64 KiB.
func growPipe(fd int) {
	const fSetPipeSz = 1031 // F_SETPIPE_SZ
	syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), fSetPipeSz, 1<<20)
}

// lowerPriority makes the monitor nice 10. It is alone in its process
// group (Start sets it up so), and PRIO_PGRP sets every thread of the
// group: PRIO_PROCESS would set the calling thread only.
func lowerPriority() {
	syscall.Setpriority(syscall.PRIO_PGRP, 0, 10)
}
