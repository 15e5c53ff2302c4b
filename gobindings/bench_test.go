//go:build cgo

package cgoguard_test

import (
	"errors"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// BenchmarkRawCgo is the baseline: the empty fixture through plain cgo.
func BenchmarkRawCgo(b *testing.B) {
	for b.Loop() {
		fx.CallEmpty(nil)
	}
}

// BenchmarkCall is the same function through cgoguard.Call.
func BenchmarkCall(b *testing.B) {
	for b.Loop() {
		if err := cgoguard.Call(fx.Empty.Fn, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFault is a guarded null write, reported without symbolization.
func BenchmarkFault(b *testing.B) {
	if err := cgoguard.Init(cgoguard.Symbolize(false)); err != nil {
		b.Fatal(err)
	}
	defer cgoguard.Init(cgoguard.Symbolize(true))
	benchFault(b)
}

// BenchmarkFaultSymbolized is a guarded null write with symbolized frames and
// fingerprint (warm caches: the same site every time).
func BenchmarkFaultSymbolized(b *testing.B) { benchFault(b) }

func benchFault(b *testing.B) {
	for b.Loop() {
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); !errors.Is(err, cgoguard.ErrNativeFault) {
			b.Fatal(err)
		}
	}
}
