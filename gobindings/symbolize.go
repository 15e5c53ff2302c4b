package cgoguard

// #include <stdlib.h>
// #include <cgoguard/cgoguard.h>
import "C"

import (
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// Symbolized native frames are cached here by (pc, is-return-address), on
// top of the C shim's own cache, so that a known fault site costs no cgo
// call and no string conversion.
var (
	frameCacheMu sync.Mutex
	frameCache   = map[frameKey]Frame{}
	// shimModule is the path of the module the shim lives in: libcgoguard.so,
	// or the program itself when the shim is compiled in. shimCallStart is
	// the address of cgg_call when the shim is compiled in (0 otherwise).
	shimModuleOnce sync.Once
	shimModule     string
	shimCallStart  uintptr
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
// done, and safe to call from several goroutines at once: each returns once
// the names are filled in.
//
// Call and OnFault never symbolize a fault on the faulting goroutine unless
// the symbolizer is warm (see SymbolizerReady): the first symbolization of a
// large binary reads the debug information of its native code (about
// 0.1-0.2 s for 42 MB, the native debug object written first: see
// debugobject.go). Before that, a fault comes back with raw native frames:
// Frames carry PC only and Fingerprint is empty, while GoStack is already
// named (it needs only the Go runtime's own tables). With Init's
// Symbolize(false), GoStack is empty too. Call Symbolize before reading
// native names; it blocks while the debug information loads.
func (f *NativeFault) Symbolize() {
	if f.symbolized.Load() {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.symbolized.Load() {
		return
	}
	f.GoStack = goStackFrames(f.goPCs, f.goPCsInCallback)
	shimModuleOnce.Do(findShimModule)
	frames := make([]Frame, len(f.Frames))
	for i := range f.Frames {
		// Frames[0] of a signal is the exact faulting pc; every frame of an
		// exception is a return address (Frames[0] returns from the throw).
		frames[i] = symbolizeFrame(f.Frames[i].PC, i > 0 || f.Exception)
	}
	// Frames from the guard's owner upward are cgoguard's own (cgg_call and
	// its caller chain): cut there.
	for i := 1; i < len(frames); i++ {
		if isShimFrame(&frames[i]) {
			frames = frames[:i]
			break
		}
	}
	f.Frames = frames
	f.Fingerprint = f.computeFingerprint()
	f.symbolized.Store(true)
}

// WhenSymbolized calls fn with a symbolized fault equal to f, without
// symbolizing on the calling goroutine: with f itself, right away, if f is
// symbolized; otherwise with a symbolized copy of f (f stays as it is), on
// cgoguard's background symbolizer goroutine, once the debug information is
// loaded. Callbacks run one at a time, in fault order; fn should be quick.
// If more than 4,096 faults wait for the symbolizer, fn receives the
// unsymbolized copy instead (check Symbolized). OnFault subscribers that
// keep names (logs, fault clusters) use it; it symbolizes even with
// Symbolize(false), so such subscribers call it only when AutoSymbolize
// reports true.
func (f *NativeFault) WhenSymbolized(fn func(*NativeFault)) {
	if f.symbolized.Load() {
		fn(f)
		return
	}
	c := f.Clone()
	if c.symbolized.Load() {
		fn(c)
		return
	}
	startSymbolizer()
	select {
	case symbolizeQueue <- symbolizeJob{c, fn}:
	default:
		fn(c)
	}
}

// The background symbolizer: one goroutine, started by Init (to warm the
// symbolizer) or by the first WhenSymbolized, that loads the debug
// information once and then symbolizes queued faults.
var (
	symbolizerOnce sync.Once
	symbolizerWarm = make(chan struct{})
	symbolizeQueue = make(chan symbolizeJob, 4096)
	// warmUpGate, when set (by tests, before Init), holds the warm-up until
	// it is closed: a stand-in for a program whose debug information takes
	// long to load.
	warmUpGate chan struct{}
)

type symbolizeJob struct {
	f  *NativeFault
	fn func(*NativeFault)
}

// SymbolizerReady returns a channel that is closed once the symbolizer has
// loaded the debug information of the program and of cgoguard: from then on
// faults are symbolized before Call returns them and before OnFault
// subscribers see them (unless Init was given Symbolize(false)), at a cost
// of microseconds. Init starts loading in the background unless given
// Symbolize(false); with Symbolize(false) the channel closes only after
// something asked for symbols (Symbolize, WhenSymbolized).
func SymbolizerReady() <-chan struct{} { return symbolizerWarm }

// AutoSymbolize reports whether faults are symbolized without being asked
// (Init's Symbolize option, on by default).
func AutoSymbolize() bool { return symbolizeOnReport.Load() }

func startSymbolizer() {
	symbolizerOnce.Do(func() { go runSymbolizer() })
}

func runSymbolizer() {
	if warmUpGate != nil {
		<-warmUpGate
	}
	warmSymbolizer()
	close(symbolizerWarm)
	for job := range symbolizeQueue {
		job.f.Symbolize()
		deliver(job.fn, job.f)
	}
}

// warmSymbolizer symbolizes one address in cgoguard and one in the
// program, which loads the debug information of every module (the
// symbolizer reads them all on its first lookup).
func warmSymbolizer() {
	shimModuleOnce.Do(findShimModule)
	pc, _, _, _ := runtime.Caller(0)
	symbolizeFrame(pc, false)
}

// symbolizerIsWarm reports whether symbolizing costs microseconds now.
func symbolizerIsWarm() bool {
	select {
	case <-symbolizerWarm:
		return true
	default:
		return false
	}
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
		fr.BuildID = moduleBuildID(fr.Module, pc)
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

// isShimFrame tells whether a (return-address) frame runs cgg_call, the owner
// of every guard that Call arms. With libcgoguard.so any frame of that
// library is the shim's. Compiled in, the shim shares the program's module
// with the user's C code (CGG_GUARD owners included), so the frame must be
// inside cgg_call itself: its function start (from the unwind tables, known
// even in a stripped program) is cgg_call's address.
func isShimFrame(fr *Frame) bool {
	if shimModule == "" || fr.Module != shimModule {
		return false
	}
	if shimCallStart == 0 {
		return true
	}
	return fr.Offset != 0 && fr.PC-fr.Offset == shimCallStart
}

// findShimModule runs before the first symbolization of the process (every
// path to the C symbolizer goes through shimModuleOnce): it first points the
// symbolizer at the program's native debug object.
func findShimModule() {
	useNativeDebugObject()
	sym := symbolBuffers.Get().(*C.cgg_symbol)
	defer symbolBuffers.Put(sym)
	call := uintptr(unsafe.Pointer(C.cgg_call))
	if C.cgg_symbolize(C.uintptr_t(call), 0, sym) == 0 {
		shimModule = C.GoString(&sym.module[0])
	}
	if shimCompiledIn {
		// Hidden in this very program: the address is cgg_call's own, not a
		// PLT entry.
		shimCallStart = call
	}
}

// buildIDs caches each module's build ID by path: modules do not change
// while loaded, and reading the notes walks the loader's module list.
var buildIDs sync.Map // module path -> string

// moduleBuildID returns the hex GNU build ID of module, which holds pc.
func moduleBuildID(module string, pc uintptr) string {
	if id, ok := buildIDs.Load(module); ok {
		return id.(string)
	}
	var buf [C.CGG_BUILD_ID_SIZE]C.char
	id := ""
	if C.cgg_module_build_id(C.uintptr_t(pc), &buf[0], C.size_t(len(buf))) == 0 {
		id = C.GoString(&buf[0])
	}
	buildIDs.Store(module, id)
	return id
}

// setProgramDebugFile makes the C symbolizer read the program's symbols and
// debug information from path.
func setProgramDebugFile(path string) error {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	if rc := C.cgg_symbolize_set_program_debug_file(cpath); rc != 0 {
		return syscall.Errno(-rc)
	}
	return nil
}
