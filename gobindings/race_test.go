//go:build race

package cgoguard_test

const raceEnabled = true
