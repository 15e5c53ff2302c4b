package crashmonitor

import "syscall"

// growPipe asks for a 1 MiB pipe buffer (the kernel's default cap for an
// unprivileged process, /proc/sys/fs/pipe-max-size); on failure the pipe
// keeps its 64 KiB.
func growPipe(fd int) {
	const fSetPipeSz = 1031 // F_SETPIPE_SZ
	syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), fSetPipeSz, 1<<20)
}
