//go:build cgo

package cgoguard_test

import (
	"errors"
	"sort"
	"syscall"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/internal/signalfloor"
)

// BenchmarkRawCgo is the baseline: the empty fixture through plain cgo,
// C.f(nil) in a loop.
func BenchmarkRawCgo(b *testing.B) { fx.CallEmptyTimes(b.N) }

// BenchmarkCall is the same function through cgoguard.Call.
func BenchmarkCall(b *testing.B) {
	for b.Loop() {
		if err := cgoguard.Call(fx.Empty.Fn, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallOverRawCgo measures Call and the raw cgo call side by side:
// each iteration times a block of raw calls, then a block of Calls, so that
// load from other processes hits both alike. Metrics: the medians over
// iterations of each block's ns per call (raw-ns, call-ns) and of the
// per-iteration ratio (call/raw, goal <= 1.10).
//
// The baseline is a user's own loop of `C.f(nil)` (CallEmptyTimes): a call
// through a Go function of its own with a variable argument, which cgo
// checks at run time, costs about 4 ns more and would hide that much of
// Call's cost. ci/callbench.sh measures the same from an outside module.
func BenchmarkCallOverRawCgo(b *testing.B) {
	const block = 20000
	var raw, call, ratio []float64
	for b.Loop() {
		t0 := time.Now()
		fx.CallEmptyTimes(block)
		t1 := time.Now()
		for i := 0; i < block; i++ {
			if err := cgoguard.Call(fx.Empty.Fn, nil); err != nil {
				b.Fatal(err)
			}
		}
		t2 := time.Now()
		r, c := float64(t1.Sub(t0))/block, float64(t2.Sub(t1))/block
		raw, call, ratio = append(raw, r), append(call, c), append(ratio, c/r)
	}
	b.ReportMetric(median(raw), "raw-ns")
	b.ReportMetric(median(call), "call-ns")
	b.ReportMetric(median(ratio), "call/raw")
}

// median returns the middle value of v (the upper middle of an even
// count), sorting v.
func median(v []float64) float64 {
	sort.Float64s(v)
	return v[len(v)/2]
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

// benchFault reports wall time per fault (ns/op) and the process's CPU
// time per fault, user and kernel (cpu-ns/op): on a machine shared with
// other work the latter is the steadier figure.
func benchFault(b *testing.B) {
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	for b.Loop() {
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); !errors.Is(err, cgoguard.ErrNativeFault) {
			b.Fatal(err)
		}
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkFaultOverFloor measures a contained fault from Call (raw frames,
// Symbolize(false)) against the kernel's floor reached the same way from Go
// (internal/signalfloor: a cgo call to code that faults, with a bare handler
// that skips the faulting instruction; no cgoguard code runs) side by side:
// each iteration times a block of floor faults, then a block of Calls that
// fault, so that load from other processes hits both alike. Metrics: the
// medians over iterations of each block's ns per fault (floor-ns,
// fault-ns), of their ratio (fault/floor) and of cgoguard's share
// (share-ns: fault minus floor).
func BenchmarkFaultOverFloor(b *testing.B) {
	const block = 200
	if err := cgoguard.Init(cgoguard.Symbolize(false)); err != nil {
		b.Fatal(err)
	}
	defer cgoguard.Init(cgoguard.Symbolize(true))
	var floor, fault, ratio, share []float64
	for b.Loop() {
		if err := signalfloor.Install(); err != nil {
			b.Skip(err)
		}
		t0 := time.Now()
		for i := 0; i < block; i++ {
			signalfloor.Fault()
		}
		t1 := time.Now()
		signalfloor.Restore()
		t2 := time.Now()
		for i := 0; i < block; i++ {
			if err := cgoguard.Call(fx.NullWrite.Fn, nil); !errors.Is(err, cgoguard.ErrNativeFault) {
				b.Fatal(err)
			}
		}
		t3 := time.Now()
		f, c := float64(t1.Sub(t0))/block, float64(t3.Sub(t2))/block
		floor, fault = append(floor, f), append(fault, c)
		ratio, share = append(ratio, c/f), append(share, c-f)
	}
	b.ReportMetric(median(floor), "floor-ns")
	b.ReportMetric(median(fault), "fault-ns")
	b.ReportMetric(median(ratio), "fault/floor")
	b.ReportMetric(median(share), "share-ns")
}
