//go:build cgo && !race

package cgoguard_test

const raceEnabled = false
