package stackcache

import "testing"

func TestResolvesEachStackOnce(t *testing.T) {
	var c Cache[int]
	calls := 0
	resolve := func(pcs []uintptr) int { calls++; return int(pcs[0] + pcs[len(pcs)-1]) }

	buf := []uintptr{1, 2, 3}
	if got := c.Resolve(buf, resolve); got != 4 {
		t.Fatalf("first resolve = %d, want 4", got)
	}
	// The caller's buffer is reused for another stack: the cached entry must
	// not change with it.
	buf[0] = 10
	if got := c.Resolve(buf, resolve); got != 13 {
		t.Fatalf("another stack = %d, want 13", got)
	}
	if got := c.Resolve([]uintptr{1, 2, 3}, resolve); got != 4 {
		t.Fatalf("the first stack again = %d, want 4", got)
	}
	if calls != 2 {
		t.Errorf("resolve ran %d times for 2 distinct stacks, want 2", calls)
	}
	// A prefix is a different stack.
	if got := c.Resolve([]uintptr{1, 2}, resolve); got != 3 || calls != 3 {
		t.Errorf("prefix: got %d after %d resolves, want 3 after 3", got, calls)
	}
}

func TestStaysBounded(t *testing.T) {
	c := Cache[uintptr]{Size: 4}
	for pc := uintptr(1); pc <= 100; pc++ {
		if got := c.Resolve([]uintptr{pc}, func(pcs []uintptr) uintptr { return pcs[0] * 2 }); got != pc*2 {
			t.Fatalf("Resolve(%d) = %d", pc, got)
		}
		if n := len(c.m); n > 4 {
			t.Fatalf("cache holds %d stacks, bound is 4", n)
		}
	}
}

func TestDefaultSize(t *testing.T) {
	var c Cache[int]
	for pc := uintptr(1); pc <= DefaultSize+10; pc++ {
		c.Resolve([]uintptr{pc}, func([]uintptr) int { return 0 })
	}
	if n := len(c.m); n > DefaultSize || n == 0 {
		t.Errorf("zero-value cache holds %d stacks, want 1..%d", n, DefaultSize)
	}
}
