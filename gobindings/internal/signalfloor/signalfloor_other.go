//go:build !(cgo && linux && (amd64 || arm64))

// Package signalfloor measures what the kernel alone costs for a native
// fault reached from Go. Not available on this platform: Install fails.
package signalfloor

import "errors"

// Install reports that the floor cannot be measured here.
func Install() error { return errors.New("signalfloor: not supported on this platform") }

// Restore does nothing here.
func Restore() {}

// Fault does nothing here.
func Fault() {}
