package cgoguard

// #include <stdlib.h>
// #include <cgoguard/cgoguard.h>
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/cgoguard/cgoguard/gobindings/internal/debugobject"
	"github.com/cgoguard/cgoguard/gobindings/internal/exesymbols"
	"github.com/cgoguard/cgoguard/gobindings/internal/framecache"
	"github.com/cgoguard/cgoguard/gobindings/internal/ondemand"
)

// Symbolized native frames are cached here by (pc, is-return-address), on
// top of the C shim's own cache, so that a known fault site costs no cgo
// call and no string conversion.
var (
	frameCache framecache.Cache[frameKey, Frame]
	// shimModule is the path of the module the shim lives in: libcgoguard.so,
	// or the program itself when the shim is compiled in. shimCallStart is
	// the address of cgg_call when the shim is compiled in (0 otherwise).
	shimModuleOnce sync.Once
	shimModule     string
	shimCallStart  uintptr
	// programModule is the path of the running program as the symbolizer
	// names it (the kernel's absolute path of the executable).
	programModule string
)

type frameKey struct {
	pc uintptr
	ra bool
}

// symbolBuffers recycles the C-layout buffers symbolization fills in.
var symbolBuffers = sync.Pool{New: func() any { return new(C.cgg_symbol) }}

// Symbolize fills in the file and line of every native frame (and, where
// the debug information knows better than the symbol tables, its function),
// trims the frames that belong to cgoguard's own guard plumbing, resolves
// GoStack, and computes the Fingerprint if it is not there yet. It is a
// no-op when already done, and safe to call from several goroutines at
// once: each returns once the names are filled in.
//
// Call and OnFault never read debug information on the faulting goroutine
// unless the symbolizer is warm (see SymbolizerReady): the first
// symbolization of a large binary reads the debug information of its native
// code (about 0.1-0.2 s for 42 MB, the native debug object written first:
// see internal/debugobject). A fault that comes before that is named from the
// symbol tables alone, which takes about a millisecond: Frames carry
// Function, Offset, Module, ModuleOffset and BuildID, Fingerprint is set and
// GoStack is named, but File and Line are empty and Symbolized reports
// false. The fingerprint is made from those symbol-table names, so
// Symbolize never changes it. With Init's Symbolize(false), nothing is
// named: Frames carry only PCs, and GoStack and Fingerprint are empty. Call
// Symbolize before reading files and lines; it blocks while the debug
// information loads.
func (f *NativeFault) Symbolize() {
	if f.Symbolized() {
		return
	}
	defer f.lock()()
	if f.Symbolized() {
		return
	}
	if !f.named {
		f.GoStack = goStackFrames(f.goPCs, f.goPCsInCallback)
	}
	early := f.symbolFrames()
	debugObjectOnce.Do(useNativeDebugObject) // before the first lookup that reads debug information
	frames := make([]Frame, len(early))
	for i := range early {
		// Frames[0] of a signal is the exact faulting pc; every frame of an
		// exception is a return address (Frames[0] returns from the throw).
		frames[i] = symbolizeFrame(early[i].PC, i > 0 || f.Exception)
		if frames[i].Function == "" {
			frames[i].Function, frames[i].Offset = early[i].Function, early[i].Offset
		}
	}
	if f.Fingerprint == "" {
		f.Fingerprint = f.computeFingerprint(early)
	}
	f.Frames = frames
	f.named = true
	f.setSymbolized()
}

// nameFromSymbols names the fault's frames from the symbol tables only (see
// Symbolize): what a fault carries before the symbolizer is warm.
func (f *NativeFault) nameFromSymbols() {
	defer f.lock()()
	if f.named {
		return
	}
	f.GoStack = goStackFrames(f.goPCs, f.goPCsInCallback)
	f.Frames = f.symbolFrames()
	f.Fingerprint = f.computeFingerprint(f.Frames)
	f.named = true
}

// symbolFrames returns the fault's native frames named from the symbol
// tables, cut where cgoguard's own frames start (f.lock held).
func (f *NativeFault) symbolFrames() []Frame {
	shimModuleOnce.Do(findShimModule)
	frames := namesFromSymbols(f.Frames, f.Exception)
	// Frames from the guard's owner upward are cgoguard's own (cgg_call and
	// its caller chain): cut there.
	for i := 1; i < len(frames); i++ {
		if isShimFrame(&frames[i]) {
			return frames[:i]
		}
	}
	return frames
}

// symbolNames caches the frames namesFromSymbols names, as frameCache does
// the symbolized ones.
var symbolNames framecache.Cache[frameKey, Frame]

// namesFromSymbols names raw frames (only their PCs are read) from the
// symbol tables (cgg_symbolize_symbols): one call into C for the frames
// not seen before.
func namesFromSymbols(raw []Frame, exception bool) []Frame {
	out := make([]Frame, len(raw))
	var missing []int
	for i := range raw {
		if fr, ok := symbolNames.Get(frameKey{raw[i].PC, i > 0 || exception}); ok {
			out[i] = fr
		} else {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return out
	}
	pcs := make([]C.uintptr_t, len(missing))
	ra := make([]C.uchar, len(missing))
	for k, i := range missing {
		pcs[k] = C.uintptr_t(raw[i].PC)
		if i > 0 || exception {
			ra[k] = 1
		}
	}
	syms := make([]C.cgg_symbol, len(missing))
	C.cgg_symbolize_symbols(&pcs[0], &ra[0], C.int(len(missing)), &syms[0])
	for k, i := range missing {
		fr := Frame{PC: raw[i].PC}
		if sym := &syms[k]; sym.module[0] != 0 {
			fr.Function = C.GoString(&sym.function[0])
			fr.Module = C.GoString(&sym.module[0])
			fr.Offset = uintptr(sym.function_offset)
			fr.ModuleOffset = uintptr(sym.module_offset)
			fr.BuildID = moduleBuildID(fr.Module, fr.PC)
		}
		out[i] = fr
		symbolNames.Put(frameKey{raw[i].PC, ra[k] != 0}, fr)
	}
	return out
}

// WhenSymbolized calls fn with a symbolized fault equal to f, without
// symbolizing on the calling goroutine: with f itself, right away, if f is
// symbolized; otherwise with a symbolized copy of f (f stays as it is),
// once the debug information is loaded (its file and line filled in; the
// fingerprint is the one f already has). Such deliveries run on a goroutine
// that cgoguard starts when the first one is queued and that ends when none
// is left. Callbacks run one at a time, in fault order; fn should be quick.
// If more than 4,096 faults wait for the symbolizer, fn receives the
// unsymbolized copy instead (check Symbolized). OnFault subscribers that
// keep names (logs, fault clusters) use it; it symbolizes even with
// Symbolize(false), so such subscribers call it only when AutoSymbolize
// reports true.
func (f *NativeFault) WhenSymbolized(fn func(*NativeFault)) {
	if f.Symbolized() {
		fn(f)
		return
	}
	c := f.Clone()
	if c.Symbolized() {
		fn(c)
		return
	}
	startWarmUp()
	if !deliveries.Push(symbolizeJob{c, fn}) {
		fn(c)
	}
}

// maxQueuedDeliveries bounds the faults waiting for WhenSymbolized.
const maxQueuedDeliveries = 4096

// The symbolizer's warm-up and the WhenSymbolized deliveries. No goroutine
// of cgoguard's stays behind once there is nothing to do: the debug
// information loads on the C shim's own symbolizer thread (a native thread,
// not a goroutine); the warm-up goroutine only writes the native debug
// object and hands the loading to that thread; deliveries run on a
// goroutine started on demand, which ends when the queue is empty; and
// SymbolizerReady's channel is closed by the first fault that finds the
// symbolizer warm or by a goroutine that waits only while someone waits for
// the channel.
var (
	// symbolizerUsable: an Init got as far as registering the report
	// callback (a later step may still have failed it), so the shim is
	// ready to symbolize.
	symbolizerUsable atomic.Bool
	warmUpOnce       sync.Once
	warmStarted      atomic.Bool
	warm             atomic.Bool // the symbolizer is known to be warm
	readyWanted      atomic.Bool // SymbolizerReady was called
	readyWaiter      sync.Once
	readyClose       sync.Once
	// symbolizerWarm is closed once the symbolizer is warm.
	symbolizerWarm = make(chan struct{})
	// debugObjectOnce writes the native debug object before the first
	// lookup that reads debug information.
	debugObjectOnce sync.Once
	// warmUpGate, when set (by tests, before Init), holds the warm-up until
	// it is closed: a stand-in for a program whose debug information takes
	// long to load.
	warmUpGate chan struct{}

	// deliveries runs the WhenSymbolized jobs in fault order, on a
	// goroutine that exists only while some wait.
	deliveries = ondemand.Queue[symbolizeJob]{Max: maxQueuedDeliveries, Run: func(job symbolizeJob) {
		job.f.Symbolize()
		deliver(job.fn, job.f)
	}}
)

type symbolizeJob struct {
	f  *NativeFault
	fn func(*NativeFault)
}

// SymbolizerReady returns a channel that is closed once the symbolizer has
// loaded the debug information of the program and of cgoguard: from then on
// faults are symbolized (files and lines included) before Call returns them
// and before OnFault subscribers see them (unless Init was given
// Symbolize(false)), at a cost of microseconds. Before that, faults carry
// the function names and the fingerprint already (see Symbolize). The
// loading starts in the background with the first fault after Init or the
// first call of SymbolizerReady after Init (call it then for files and
// lines on the very first fault); with Symbolize(false) only when
// something asks for symbols (WhenSymbolized, Symbolize). While the loading
// runs, a goroutine of cgoguard's waits for it on behalf of the channel,
// from the first call of SymbolizerReady until the channel closes.
func SymbolizerReady() <-chan struct{} {
	if AutoSymbolize() && symbolizerUsable.Load() {
		startWarmUp()
	}
	readyWanted.Store(true)
	if !symbolizerIsWarm() {
		waitForReady()
	}
	return symbolizerWarm
}

// AutoSymbolize reports whether faults are symbolized without being asked
// (Init's Symbolize option, on by default).
func AutoSymbolize() bool { return symbolizeOnReport.Load() }

// startWarmUp starts loading the debug information, once per process: a
// goroutine writes the native debug object and hands the loading to the
// shim's symbolizer thread, then ends.
func startWarmUp() {
	warmUpOnce.Do(func() {
		go warmUp()
		warmStarted.Store(true)
		waitForReady()
	})
}

func warmUp() {
	if warmUpGate != nil {
		<-warmUpGate
	}
	shimModuleOnce.Do(findShimModule)
	debugObjectOnce.Do(useNativeDebugObject)
	// One address in cgoguard and one in the program: the symbolizer loads
	// the debug information of each module on its first lookup in it.
	pc, _, _, _ := runtime.Caller(0)
	pcs := [2]C.uintptr_t{C.uintptr_t(uintptr(unsafe.Pointer(C.cgg_call))), C.uintptr_t(pc)}
	C.cgg_symbolize_warm_up(&pcs[0], C.int(len(pcs)))
}

// waitForReady starts the goroutine that closes symbolizerWarm when the
// warm-up ends, once someone waits for that channel and the warm-up runs.
func waitForReady() {
	if !readyWanted.Load() || !warmStarted.Load() {
		return
	}
	readyWaiter.Do(func() {
		go func() {
			C.cgg_symbolizer_wait_warm()
			markWarm()
		}()
	})
}

func markWarm() {
	warm.Store(true)
	readyClose.Do(func() { close(symbolizerWarm) })
}

// symbolizerIsWarm reports whether symbolizing costs microseconds now.
func symbolizerIsWarm() bool {
	if warm.Load() {
		return true
	}
	if C.cgg_symbolizer_warm() == 0 {
		return false
	}
	markWarm()
	return true
}

func symbolizeFrame(pc uintptr, returnAddress bool) Frame {
	key := frameKey{pc, returnAddress}
	fr, ok := frameCache.Get(key)
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
	// C functions linked into the executable by Go's internal linker have
	// no debug information the shim can read: their names come from the
	// executable's symbol table.
	if fr.Function == "" && fr.Module != "" {
		if fn, off, ok := exesymbols.NameInExecutable(fr.Module, fr.PC, lookup, fr.ModuleOffset); ok {
			fr.Function, fr.Offset = fn, off
		}
	}
	frameCache.Put(key, fr)
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

// findShimModule finds the module cgg_call lives in, from the symbol
// tables (no debug information needed), and the program's own module.
func findShimModule() {
	call := uintptr(unsafe.Pointer(C.cgg_call))
	pc, _, _, _ := runtime.Caller(0)
	pcs := [2]C.uintptr_t{C.uintptr_t(call), C.uintptr_t(pc)}
	var syms [2]C.cgg_symbol
	C.cgg_symbolize_symbols(&pcs[0], nil, 2, &syms[0])
	shimModule = C.GoString(&syms[0].module[0])
	programModule = C.GoString(&syms[1].module[0])
	if shimCompiledIn {
		// Hidden in this very program: the address is cgg_call's own, not a
		// PLT entry.
		shimCallStart = call
	}
}

// isProgramModule reports whether module is the running program's own
// executable, as the symbolizer names it.
func isProgramModule(module string) bool {
	shimModuleOnce.Do(findShimModule)
	return module != "" && module == programModule
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

// useNativeDebugObject writes the native debug object of the running
// program (see internal/debugobject) to an unnamed temporary file and hands
// it to the C shim's symbolizer, which opens it again through /proc/self/fd
// and keeps it open. It must run before the first symbolization; on any
// failure the symbolizer reads the program itself.
func useNativeDebugObject() {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	object, _, err := debugobject.Write(exe, os.TempDir())
	if err != nil {
		return
	}
	defer object.Close()
	setProgramDebugFile(fmt.Sprintf("/proc/self/fd/%d", object.Fd()))
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
