// Package ondemand runs queued jobs in order on a goroutine that exists
// only while there is work: the first job queued starts it, and it ends
// when the queue is empty. A library that must not leave a goroutine
// behind (goleak, runtime.NumGoroutine) does its background work with it.
package ondemand

import "sync"

// Queue runs Run on each job pushed, one at a time, in push order. The zero
// value needs Run; it holds at most Max jobs waiting (unbounded when 0).
type Queue[T any] struct {
	// Run does one job, on the queue's goroutine.
	Run func(T)
	// Max bounds the jobs waiting; Push refuses more.
	Max int

	mu      sync.Mutex
	jobs    []T
	running bool // a goroutine is running the queue
}

// Push queues job and starts the queue's goroutine if none runs. It
// returns false, queuing nothing, when Max jobs are waiting already.
func (q *Queue[T]) Push(job T) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.Max > 0 && len(q.jobs) >= q.Max {
		return false
	}
	q.jobs = append(q.jobs, job)
	if !q.running {
		q.running = true
		go q.drain()
	}
	return true
}

// drain runs the queued jobs in order and returns once the queue is empty.
func (q *Queue[T]) drain() {
	var zero T
	for {
		q.mu.Lock()
		if len(q.jobs) == 0 {
			q.jobs = nil
			q.running = false
			q.mu.Unlock()
			return
		}
		job := q.jobs[0]
		q.jobs[0] = zero // the job's memory goes with it
		q.jobs = q.jobs[1:]
		q.mu.Unlock()
		q.Run(job)
	}
}
