package ondemand

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// goroutinesBackTo waits (up to 5 s) for the goroutine count to fall to n.
func goroutinesBackTo(n int) int {
	got := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); got > n && time.Now().Before(deadline); got = runtime.NumGoroutine() {
		time.Sleep(time.Millisecond)
	}
	return got
}

// Jobs run one at a time in push order, and the queue's goroutine ends with
// the last of them.
func TestQueueRunsJobsInOrderThenEnds(t *testing.T) {
	before := runtime.NumGoroutine()
	var mu sync.Mutex
	var got []int
	done := make(chan struct{})
	q := Queue[int]{Run: func(i int) {
		mu.Lock()
		got = append(got, i)
		mu.Unlock()
		if i == 99 {
			close(done)
		}
	}}
	for i := range 100 {
		if !q.Push(i) {
			t.Fatalf("Push(%d) refused by an unbounded queue", i)
		}
	}
	<-done
	for i, v := range got {
		if v != i {
			t.Fatalf("job %d ran as number %d: %v", v, i, got)
		}
	}
	if n := goroutinesBackTo(before); n != before {
		t.Errorf("%d goroutines once the queue is empty, %d before", n, before)
	}
	// A job pushed after that starts a goroutine again.
	ran := make(chan int, 1)
	q.Run = func(i int) { ran <- i }
	q.Push(7)
	if v := <-ran; v != 7 {
		t.Errorf("ran %d, want 7", v)
	}
}

// A full queue refuses a job instead of growing.
func TestQueueRefusesBeyondMax(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	q := Queue[int]{Max: 2, Run: func(int) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-release
	}}
	q.Push(0)
	<-started // job 0 runs and blocks: the queue is empty again
	if !q.Push(1) || !q.Push(2) {
		t.Fatal("Push refused below Max")
	}
	if q.Push(3) {
		t.Error("Push accepted a job beyond Max")
	}
	close(release)
}
