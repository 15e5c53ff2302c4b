package flagbench

import (
	"testing"

	// A package built with the flag calls cgoguard's runtime: the test
	// binary links it. The unflagged binary imports it too, so that both
	// differ only in the guard.
	_ "github.com/cgoguard/cgoguard/gobindings"
)

func BenchmarkNoop(b *testing.B) { Noop(b.N) }

func BenchmarkAdd(b *testing.B) {
	if got := Add(b.N); got != b.N {
		b.Fatalf("Add(%d) = %d", b.N, got)
	}
}
