//go:build cgo

package cgoguard_test

import (
	"errors"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// 64 goroutines fault 1,000 times each at once, each at addresses of its own
// (never-mapped low addresses): every fault must come back to the goroutine
// that caused it, and be reported exactly once.
func TestConcurrentFaultsAreReportedOnce(t *testing.T) {
	const goroutines, faults = 64, 1000
	const base = uintptr(0x1000) // [0x1000, 0x1000+64000) lies below vm.mmap_min_addr
	var mu sync.Mutex
	reported := map[uintptr]int{}
	cancel := cgoguard.OnFault(func(nf *cgoguard.NativeFault) {
		if nf.Addr >= base && nf.Addr < base+goroutines*faults {
			mu.Lock()
			reported[nf.Addr]++
			mu.Unlock()
		}
	})
	defer cancel()

	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			arg := fx.NewAddrArg(0)
			defer arg.Free()
			for i := 0; i < faults; i++ {
				addr := base + uintptr(g*faults+i)
				arg.SetAddr(addr)
				var nf *cgoguard.NativeFault
				if err := cgoguard.Call(fx.WriteTo.Fn, arg.Ptr()); !errors.As(err, &nf) || nf.Addr != addr {
					errs <- errors.New("goroutine " + strconv.Itoa(g) + ": got " + errString(err) + ", want a fault at " + strconv.FormatUint(uint64(addr), 16))
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(reported) != goroutines*faults {
		t.Errorf("%d distinct addresses reported, want %d", len(reported), goroutines*faults)
	}
	for addr, n := range reported {
		if n != 1 {
			t.Errorf("fault at %#x reported %d times", addr, n)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// 100,000 faults in a row leak neither memory, OS threads nor goroutines.
func TestSequentialFaultsLeakNothing(t *testing.T) {
	n := 100_000
	if raceEnabled {
		n = 20_000 // the race detector's shadow memory makes RSS meaningless past this
	}
	fault := func(count int) {
		for i := 0; i < count; i++ {
			if err := cgoguard.Call(fx.NullWrite.Fn, nil); !errors.Is(err, cgoguard.ErrNativeFault) {
				t.Fatalf("fault %d: %v", i, err)
			}
		}
	}
	fault(2000) // warm up: symbol caches, pools, thread set-up
	settle()
	rss0, threads0, goroutines0 := rssBytes(t), threadCount(t), runtime.NumGoroutine()
	fault(n)
	settle()
	rss1, threads1, goroutines1 := rssBytes(t), threadCount(t), runtime.NumGoroutine()
	t.Logf("%d faults: RSS %+d KiB, threads %d -> %d, goroutines %d -> %d",
		n, (rss1-rss0)/1024, threads0, threads1, goroutines0, goroutines1)
	if rss1-rss0 > 4<<20 {
		t.Errorf("RSS grew by %d KiB over %d faults, want < 4 MiB", (rss1-rss0)/1024, n)
	}
	if threads1 > threads0+2 {
		t.Errorf("OS threads grew from %d to %d", threads0, threads1)
	}
	if goroutines1 != goroutines0 {
		t.Errorf("goroutines changed from %d to %d", goroutines0, goroutines1)
	}
}

func settle() {
	runtime.GC()
	debug.FreeOSMemory()
}

func rssBytes(t *testing.T) int64 {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb * 1024
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

func threadCount(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}
