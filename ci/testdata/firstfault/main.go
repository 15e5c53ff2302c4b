// Command firstfault measures the first contained fault of a fresh process:
// how long the faulting Call takes (the symbolizer is cold: its debug
// information is not loaded yet), how long the second one takes, how long
// an explicit Symbolize of the first fault takes and what the first
// symbolization adds to RSS. ci/firstfault-bench.sh builds it with generated
// padding code to the size of a large service binary.
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

func main() {
	padding() // keeps the generated code linked in
	rss0 := rssKiB()
	if err := cgoguard.Init(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start := time.Now()
	err := cgoguard.Call(fx.NullWrite.Fn, nil)
	first := time.Since(start)
	var nf *cgoguard.NativeFault
	if !errors.As(err, &nf) {
		fmt.Fprintln(os.Stderr, "first Call:", err)
		os.Exit(1)
	}
	start = time.Now()
	err = cgoguard.Call(fx.NullWrite.Fn, nil)
	second := time.Since(start)
	if !errors.Is(err, cgoguard.ErrNativeFault) {
		fmt.Fprintln(os.Stderr, "second Call:", err)
		os.Exit(1)
	}
	start = time.Now()
	nf.Symbolize() // waits for the debug information if it is still loading
	symbolize := time.Since(start)
	rss1 := rssKiB()
	if nf.Fingerprint == "" {
		fmt.Fprintln(os.Stderr, "no fingerprint after Symbolize")
		os.Exit(1)
	}
	exe, _ := os.Executable()
	st, _ := os.Stat(exe)
	fmt.Printf("binary_mb %.1f first_fault_ms %.3f second_fault_ms %.3f symbolize_first_ms %.1f symbolize_rss_mib %.1f\n",
		float64(st.Size())/1e6, ms(first), ms(second), ms(symbolize), float64(rss1-rss0)/1024)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func rssKiB() int64 {
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}
