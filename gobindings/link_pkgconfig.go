//go:build cgoguard_pkgconfig

package cgoguard

// pkg-config linkage (-tags cgoguard_pkgconfig): flags come from the
// cgoguard.pc that `make install` writes (set PKG_CONFIG_PATH for a custom
// PREFIX). Its Libs carry an rpath, so binaries find the library at run time.

// #cgo pkg-config: cgoguard
import "C"
