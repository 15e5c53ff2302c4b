//go:build !linux

package crashmonitor

func growPipe(fd int) {}

func lowerPriority() {}
