package debugobject

import (
	"os"
	"path/filepath"
	"syscall"
)

// oTmpfile is Linux's O_TMPFILE: __O_TMPFILE (the same bit on amd64 and
// arm64) with the architecture's O_DIRECTORY. The syscall package has no
// O_TMPFILE for amd64, and the one it has for arm64 is x86's bits.
const oTmpfile = 0o20000000 | syscall.O_DIRECTORY

// createUnnamedFile returns a new, empty file in dir that has no name from
// the moment it exists, so a process that ends at any moment leaves nothing
// behind in dir. Where the file system or kernel cannot make one (no
// O_TMPFILE), it creates a named file and unlinks it at once, which leaves a
// window of a few microseconds.
func createUnnamedFile(dir, pattern string) (*os.File, error) {
	fd, err := syscall.Open(dir, oTmpfile|syscall.O_RDWR|syscall.O_CLOEXEC, 0o600)
	if err == nil {
		return os.NewFile(uintptr(fd), filepath.Join(dir, pattern+"(unnamed)")), nil
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
