package cgoguard

// #include <cgoguard/cgoguard.h>
import "C"

import (
	"sync"
	"unsafe"
)

// Symbolized native frames are cached here by (pc, is-return-address), on
// top of the C shim's own cache, so that a known fault site costs no cgo
// call and no string conversion.
var (
	frameCacheMu sync.Mutex
	frameCache   = map[frameKey]Frame{}
	// shimModule is the path of libcgoguard itself; native frames from it
	// (the guard's own plumbing) end a fault's stack.
	shimModuleOnce sync.Once
	shimModule     string
)

type frameKey struct {
	pc uintptr
	ra bool
}

// maxCachedFrames bounds the Go-side cache; it is emptied when full.
const maxCachedFrames = 1 << 15

// symbolBuffers recycles the C-layout buffers symbolization fills in.
var symbolBuffers = sync.Pool{New: func() any { return new(C.cgg_symbol) }}

// Symbolize fills in the function, file, line and module of every native
// frame, trims the frames that belong to cgoguard's own guard plumbing,
// resolves GoStack, and computes the Fingerprint. It is a no-op when already
// done. Faults are symbolized before they are returned and reported unless
// Init was given Symbolize(false); then call it before reading those fields
// (not concurrently with another goroutine reading the same fault).
func (f *NativeFault) Symbolize() {
	if f.symbolized {
		return
	}
	f.symbolized = true
	f.GoStack = goStackFrames(f.goPCs, f.goPCsInCallback)
	shimModuleOnce.Do(findShimModule)
	for i := range f.Frames {
		f.Frames[i] = symbolizeFrame(f.Frames[i].PC, i > 0)
	}
	// Frames from the guard's owner upward are cgoguard's own (cgg_call and
	// its caller chain): cut there.
	for i := 1; i < len(f.Frames); i++ {
		if shimModule != "" && f.Frames[i].Module == shimModule {
			f.Frames = f.Frames[:i]
			break
		}
	}
	f.Fingerprint = f.computeFingerprint()
}

func symbolizeFrame(pc uintptr, returnAddress bool) Frame {
	key := frameKey{pc, returnAddress}
	frameCacheMu.Lock()
	fr, ok := frameCache[key]
	frameCacheMu.Unlock()
	if ok {
		return fr
	}
	sym := symbolBuffers.Get().(*C.cgg_symbol)
	defer symbolBuffers.Put(sym)
	ra := C.int(0)
	if returnAddress {
		ra = 1
	}
	fr = Frame{PC: pc}
	if C.cgg_symbolize(C.uintptr_t(pc), ra, sym) == 0 {
		fr.Function = C.GoString(&sym.function[0])
		fr.File = C.GoString(&sym.file[0])
		fr.Line = int(sym.line)
		fr.Module = C.GoString(&sym.module[0])
		fr.Offset = uintptr(sym.function_offset)
		fr.ModuleOffset = uintptr(sym.module_offset)
	}
	lookup := pc
	if returnAddress {
		lookup = pc - 1 // inside the call instruction, as the shim does
	}
	nameInExecutable(&fr, lookup)
	frameCacheMu.Lock()
	if len(frameCache) >= maxCachedFrames {
		clear(frameCache)
	}
	frameCache[key] = fr
	frameCacheMu.Unlock()
	return fr
}

func findShimModule() {
	sym := symbolBuffers.Get().(*C.cgg_symbol)
	defer symbolBuffers.Put(sym)
	if C.cgg_symbolize(C.uintptr_t(uintptr(unsafe.Pointer(C.cgg_call))), 0, sym) == 0 {
		shimModule = C.GoString(&sym.module[0])
	}
}
