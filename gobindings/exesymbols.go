package cgoguard

import (
	"debug/elf"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// C functions compiled into a Go executable lose their debug information
// when the Go linker links internally (the default), so the C shim cannot
// name them; static ones are not in the dynamic symbol table either. Their
// names are still in the executable's ELF symbol table, which this reads
// once, on the first native frame that needs it.

type exeSymbols struct {
	absolute bool // ET_EXEC: symbol values are run-time addresses
	starts   []uint64
	ends     []uint64
	names    []string
}

var (
	exeSymbolsOnce sync.Once
	exeSyms        *exeSymbols
	exePath        string
)

func loadExeSymbols() {
	path, err := os.Executable()
	if err != nil {
		return
	}
	exePath = path
	f, err := elf.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return
	}
	var funcs []elf.Symbol
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 {
			funcs = append(funcs, s)
		}
	}
	sort.Slice(funcs, func(i, j int) bool { return funcs[i].Value < funcs[j].Value })
	t := &exeSymbols{absolute: f.Type == elf.ET_EXEC}
	for _, s := range funcs {
		t.starts = append(t.starts, s.Value)
		t.ends = append(t.ends, s.Value+s.Size)
		t.names = append(t.names, s.Name)
	}
	exeSyms = t
}

// nameInExecutable fills fr.Function and fr.Offset from the executable's
// symbol table when fr lies in the executable and has no name yet.
func nameInExecutable(fr *Frame, lookup uintptr) {
	if fr.Function != "" || fr.Module == "" {
		return
	}
	exeSymbolsOnce.Do(loadExeSymbols)
	if exeSyms == nil || !sameFile(fr.Module, exePath) {
		return
	}
	addr := uint64(fr.ModuleOffset - (fr.PC - lookup))
	if exeSyms.absolute {
		addr = uint64(lookup)
	}
	i := sort.Search(len(exeSyms.starts), func(i int) bool { return exeSyms.starts[i] > addr }) - 1
	if i < 0 || addr >= exeSyms.ends[i] {
		return
	}
	fr.Function = exeSyms.names[i]
	fr.Offset = fr.PC - (lookup - uintptr(addr-exeSyms.starts[i]))
}

func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	if errA != nil || errB != nil {
		return filepath.Base(a) == filepath.Base(b)
	}
	return os.SameFile(ia, ib)
}
