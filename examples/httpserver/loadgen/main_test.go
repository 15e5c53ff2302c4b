package main

import (
	"testing"
	"time"
)

func TestRefusesNonLoopbackTargets(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80"} {
		if err := checkLoopback(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:8080", "http://192.168.1.1", "http://8.8.8.8"} {
		if err := checkLoopback(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond} {
		if got := percentile(ds, p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if percentile(nil, 99) != 0 {
		t.Error("empty input")
	}
}

func TestScheduleKeepsTheRate(t *testing.T) {
	start := time.Now()
	var n int
	var last time.Time
	for s := range schedule(config{requests: 200, rate: 2000, maxDuration: time.Minute}, start) {
		n++
		last = s.due
	}
	if n != 200 || last.Sub(start) != 199*500*time.Microsecond || time.Since(start) < 90*time.Millisecond {
		t.Errorf("%d slots, last due at +%v, took %v; want 200 slots over ~100 ms", n, last.Sub(start), time.Since(start))
	}
}
