package callbench

import (
	"sort"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// The plain b.N loops a user writes.

func BenchmarkRaw(b *testing.B) { Raw(b.N) }

func BenchmarkCall(b *testing.B) {
	if err := Call(b.N); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkRawPointerArg(b *testing.B) { RawPointerArg(b.N) }

func BenchmarkRawGoFrame(b *testing.B) { RawGoFrame(b.N) }

func BenchmarkRawErrno(b *testing.B) {
	if err := RawErrno(b.N); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSideBySide runs the same loops as BenchmarkRaw and the others,
// in alternating blocks of block calls each, so that load from other
// processes hits every loop alike. Each iteration of b.N is one block of
// each; metrics: the median over iterations of each loop's ns per call
// (raw-ns, call-ns, ...) and of the per-iteration difference to the raw
// block (call-over-raw-ns, ...) and ratio (call/raw).
func BenchmarkSideBySide(b *testing.B) {
	const block = 10000
	loops := []struct {
		name string
		run  func(int)
	}{
		{"raw", Raw},
		{"call", func(n int) {
			if err := Call(n); err != nil {
				b.Fatal(err)
			}
		}},
		{"guarded", Guarded},
		{"rawptr", RawPointerArg},
		{"rawframe", RawGoFrame},
		{"rawerrno", func(n int) {
			if err := RawErrno(n); err != nil {
				b.Fatal(err)
			}
		}},
	}
	ns := make([][]float64, len(loops))
	over := make([][]float64, len(loops))
	var ratio []float64
	if err := cgoguard.Init(); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		var raw float64
		for j, l := range loops {
			t := time.Now()
			l.run(block)
			v := float64(time.Since(t)) / block
			ns[j] = append(ns[j], v)
			if j == 0 {
				raw = v
			} else {
				over[j] = append(over[j], v-raw)
			}
			if l.name == "call" {
				ratio = append(ratio, v/raw)
			}
		}
	}
	for j, l := range loops {
		b.ReportMetric(median(ns[j]), l.name+"-ns")
		if j > 0 {
			b.ReportMetric(median(over[j]), l.name+"-over-raw-ns")
		}
	}
	b.ReportMetric(median(ratio), "call/raw")
	b.ReportMetric(0, "ns/op")
}

// median returns the middle value of v (the upper middle of an even
// count), sorting v.
func median(v []float64) float64 {
	sort.Float64s(v)
	return v[len(v)/2]
}
