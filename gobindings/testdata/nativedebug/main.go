// Command nativedebug is the program debugobject_test.go builds with its
// DWARF (go build) and runs twice: once as is, and once with TMPDIR naming
// no directory, so that the symbolizer cannot write the program's native
// debug object and reads the program itself. It prints whether the debug
// object is in use and every native frame of a few faults and C++
// exceptions, named. With NATIVEDEBUG_EXIT_AFTER_MS set it exits that many
// milliseconds after Init instead.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

func main() {
	libmBefore := countMappings("libm.so")
	if err := cgoguard.Init(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if ms, err := strconv.Atoi(os.Getenv("NATIVEDEBUG_EXIT_AFTER_MS")); err == nil {
		// A short-lived process: it ends while the symbolizer may still be
		// loading in the background (writing the debug object).
		time.Sleep(time.Duration(ms) * time.Millisecond)
		os.Exit(0)
	}
	<-cgoguard.SymbolizerReady()
	fmt.Println("native-debug-object", usesNativeDebugObject())
	defer func() {
		// libbacktrace keeps a view of each module's string table it read
		// mapped, beside the loader's own mappings of the module.
		fmt.Println("libm-read", countMappings("libm.so") != libmBefore)
	}()
	show := func(fn, arg unsafe.Pointer) {
		var nf *cgoguard.NativeFault
		if err := cgoguard.Call(fn, arg); !errors.As(err, &nf) {
			fmt.Fprintln(os.Stderr, "Call:", err)
			os.Exit(1)
		}
		nf.Symbolize()
		fmt.Println("fault", nf.Fingerprint)
		for _, fr := range nf.Frames {
			fmt.Printf("  %s+%#x %s:%d %s+%#x\n", fr.Function, fr.Offset, fr.File, fr.Line, filepath.Base(fr.Module), fr.ModuleOffset)
		}
	}
	fx.EachSampleFault(show)
}

// usesNativeDebugObject tells whether the symbolizer holds the native debug
// object open (it reads it instead of the program).
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

// countMappings counts the mappings of /proc/self/maps whose path contains
// part.
func countMappings(part string) int {
	maps, _ := os.ReadFile("/proc/self/maps")
	return strings.Count(string(maps), part)
}
