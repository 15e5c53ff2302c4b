//go:build !race

package cgoguard_test

const raceEnabled = false
