// Package framecache holds what a program counter symbolized to, in a map
// bounded by emptying it when full: the same pc names the same frame for the
// life of the process, and a storm of faults repeats the same few sites, so
// a known site costs one map lookup instead of a call into the symbolizer.
package framecache

import "sync"

// DefaultSize is the number of entries a Cache holds by default.
const DefaultSize = 1 << 15

// Cache maps keys (a pc and how it is looked up) to frames. The zero value
// is ready to use and holds DefaultSize entries; a full cache starts over,
// so memory stays bounded whatever the number of distinct sites. It is safe
// for concurrent use.
type Cache[K comparable, V any] struct {
	// Size bounds the entries held (DefaultSize when 0). Set it before
	// first use.
	Size int

	mu sync.Mutex
	m  map[K]V
}

// Get returns the value stored for k.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

// Put stores v for k, emptying the cache first when it is full.
func (c *Cache[K, V]) Put(k K, v V) {
	size := c.Size
	if size <= 0 {
		size = DefaultSize
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= size {
		c.m = make(map[K]V)
	}
	c.m[k] = v
}
