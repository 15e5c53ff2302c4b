package cgoguard_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

const overflowOnMainThread = "stack-overflow-on-main-thread"

func init() {
	if os.Getenv(childEnv) == overflowOnMainThread {
		// Locked during init, the main goroutine stays on the process's
		// main thread, whose stack the kernel places at a random offset
		// in every process.
		runtime.LockOSThread()
	}
	childScenarios[overflowOnMainThread] = func() {
		if err := cgoguard.Init(); err != nil {
			panic(err)
		}
		var nf *cgoguard.NativeFault
		if !errors.As(cgoguard.Call(fx.StackOverflow.Fn, nil), &nf) {
			panic("the stack overflow was not contained")
		}
		top := nf.Frames[0]
		println(fmt.Sprintf("fingerprint=%s top=%s+%#x", nf.Fingerprint, top.Function, top.Offset))
	}
}

// One unbounded recursion is one site, whichever of its instructions first
// touched the end of the stack. Where that happens depends on where the
// thread's stack began, which differs from thread to thread and, for the
// main thread, from run to run: the processes here each overflow on their
// main thread.
func TestStackOverflowHasOneFingerprintWhereverTheStackBegins(t *testing.T) {
	const runs = 48
	fingerprints, tops := map[string]int{}, map[string]int{}
	for range runs {
		code, _, stderr := runChild(t, overflowOnMainThread)
		var fp, top string
		if _, err := fmt.Sscanf(strings.TrimSpace(stderr), "fingerprint=%s top=%s", &fp, &top); code != 0 || err != nil || fp == "" {
			t.Fatalf("child exit %d, stderr:\n%s", code, stderr)
		}
		fingerprints[fp]++
		tops[top]++
	}
	if len(fingerprints) != 1 {
		t.Errorf("%d runs of one recursion gave %d fingerprints %v (innermost frames %v)", runs, len(fingerprints), fingerprints, tops)
	}
	t.Logf("innermost frames over %d runs: %v", runs, tops)
}
