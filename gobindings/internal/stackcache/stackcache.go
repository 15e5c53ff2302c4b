// Package stackcache remembers what a goroutine stack, captured as raw PCs
// (runtime.Callers), resolved to. Resolving PCs into functions, files and
// lines (runtime.CallersFrames) costs several times more than capturing
// them, and a storm of faults or panics repeats the same few stacks: the
// same PCs resolve to the same frames for the life of the process, so each
// distinct stack is resolved once.
package stackcache

import (
	"sync"
	"unsafe"
)

// DefaultSize is the number of distinct stacks a Cache holds by default.
const DefaultSize = 1024

// Cache maps a stack's PCs to the value resolve made of them. The zero
// value is ready to use and holds DefaultSize stacks; a full cache starts
// over, so memory stays bounded whatever the number of distinct stacks.
// Values are shared by every caller that asks for the same PCs: callers
// must treat them as read-only.
type Cache[T any] struct {
	// Size bounds the number of stacks held (DefaultSize when 0). Set it
	// before first use.
	Size int

	mu sync.RWMutex
	m  map[string]T // key: the PCs' bytes
}

// Resolve returns resolve(pcs), from the cache when pcs was resolved
// before. resolve runs without the cache's lock held; pcs is not kept.
func (c *Cache[T]) Resolve(pcs []uintptr, resolve func([]uintptr) T) T {
	key := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(pcs))), len(pcs)*int(unsafe.Sizeof(uintptr(0))))
	c.mu.RLock()
	v, ok := c.m[string(key)] // no allocation: the conversion is only a lookup key
	c.mu.RUnlock()
	if ok {
		return v
	}
	v = resolve(pcs)
	size := c.Size
	if size <= 0 {
		size = DefaultSize
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= size {
		c.m = make(map[string]T)
	}
	c.m[string(key)] = v // the conversion copies the PCs: the caller's buffer may be reused
	c.mu.Unlock()
	return v
}
