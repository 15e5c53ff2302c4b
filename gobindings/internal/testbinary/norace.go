//go:build !race

package testbinary

const raceEnabled = false
