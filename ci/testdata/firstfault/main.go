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
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

func main() {
	padding() // keeps the generated code linked in
	mem0 := readMemory()
	initStart := time.Now()
	if err := cgoguard.Init(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start := time.Now()
	err := cgoguard.Call(fx.NullWrite.Fn, nil)
	first := time.Since(start)
	fromInit := time.Since(initStart)
	var nf *cgoguard.NativeFault
	if !errors.As(err, &nf) {
		fmt.Fprintln(os.Stderr, "first Call:", err)
		os.Exit(1)
	}
	// What the first fault carries as Call returns it, before anything
	// waits for the debug information.
	named, fingerprinted, lines := 0, 0, 0
	if len(nf.Frames) > 0 && nf.Frames[0].Function == fx.NullWrite.Name {
		named = 1
	}
	if nf.Fingerprint != "" {
		fingerprinted = 1
	}
	if len(nf.Frames) > 0 && nf.Frames[0].Line != 0 {
		lines = 1
	}
	firstFingerprint := nf.Fingerprint
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
	mem1 := readMemory()
	if nf.Fingerprint == "" {
		fmt.Fprintln(os.Stderr, "no fingerprint after Symbolize")
		os.Exit(1)
	}
	if firstFingerprint != "" && firstFingerprint != nf.Fingerprint {
		fmt.Fprintf(os.Stderr, "the fingerprint changed when the lines arrived: %s, then %s\n", firstFingerprint, nf.Fingerprint)
		os.Exit(1)
	}
	exe, _ := os.Executable()
	st, _ := os.Stat(exe)
	debugObject := 0
	if usesNativeDebugObject() {
		debugObject = 1
	}
	fmt.Printf("binary_mb %.1f first_fault_ms %.3f second_fault_ms %.3f symbolize_first_ms %.1f symbolize_rss_mib %.1f"+
		" symbolize_anon_mib %.1f symbolize_file_mib %.1f symbolize_goheap_mib %.1f native_debug_object %d"+
		" init_to_first_fault_ms %.3f first_named %d first_fingerprint %d first_lines %d\n",
		float64(st.Size())/1e6, ms(first), ms(second), ms(symbolize), mib(mem1.rss-mem0.rss),
		mib(mem1.anon-mem0.anon), mib(mem1.file-mem0.file), float64(mem1.goHeap-mem0.goHeap)/(1<<20), debugObject,
		ms(fromInit), named, fingerprinted, lines)
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

// memory is the process's resident memory (KiB): in all, anonymous, and
// file-backed (mapped files: the program, libraries, debug information read
// through mmap); and the bytes the Go heap holds from the system.
type memory struct {
	rss, anon, file int64
	goHeap          uint64
}

func readMemory() memory {
	var m memory
	rollup, _ := os.ReadFile("/proc/self/smaps_rollup")
	for _, line := range strings.Split(string(rollup), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		switch name {
		case "Rss":
			m.rss = kb
		case "Anonymous":
			m.anon = kb
		}
	}
	m.file = m.rss - m.anon
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.goHeap = ms.HeapSys - ms.HeapReleased
	return m
}

// usesNativeDebugObject tells whether the symbolizer reads the program's
// reduced debug object (the shim keeps it open) rather than the program.
// gobindings/testdata/nativedebug has the same probe: this program is built
// as a module of its own (ci/firstfault-bench.sh), which cannot import the
// repository's internal packages, so each keeps its copy.
func usesNativeDebugObject() bool {
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, fd := range fds {
		target, _ := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		// The debug object is a file without a name in TMPDIR.
		if strings.HasPrefix(target, filepath.Clean(os.TempDir())+"/") && strings.HasSuffix(target, " (deleted)") {
			return true
		}
	}
	return false
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
