package framecache

import (
	"sync"
	"testing"
)

func TestCacheKeepsWhatItWasGiven(t *testing.T) {
	var c Cache[uintptr, string]
	if _, ok := c.Get(1); ok {
		t.Fatal("an empty cache found something")
	}
	c.Put(1, "f")
	c.Put(2, "g")
	if v, ok := c.Get(1); !ok || v != "f" {
		t.Errorf("Get(1) = %q, %v", v, ok)
	}
	if v, ok := c.Get(2); !ok || v != "g" {
		t.Errorf("Get(2) = %q, %v", v, ok)
	}
}

// A full cache starts over: it never holds more than Size entries.
func TestCacheIsBounded(t *testing.T) {
	c := Cache[int, int]{Size: 4}
	for i := range 10 {
		c.Put(i, i)
		if n := len(c.m); n > 4 {
			t.Fatalf("%d entries after %d puts, want at most 4", n, i+1)
		}
	}
	if v, ok := c.Get(9); !ok || v != 9 {
		t.Errorf("the latest entry is gone: %v, %v", v, ok)
	}
	if _, ok := c.Get(0); ok {
		t.Error("the first entry survived three restarts")
	}
}

func TestCacheConcurrentUse(t *testing.T) {
	var c Cache[int, int]
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				c.Put(g*1000+i, i)
				if v, ok := c.Get(g*1000 + i); !ok || v != i {
					t.Errorf("Get(%d) = %d, %v", g*1000+i, v, ok)
					return
				}
			}
		}()
	}
	wg.Wait()
}
