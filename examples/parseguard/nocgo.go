//go:build !cgo

// Package parseguard shows CGG_GUARD in a cgo preamble; without cgo
// (CGO_ENABLED=0) it is empty.
package parseguard
