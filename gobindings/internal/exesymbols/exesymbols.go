// Package exesymbols names native frames from the running executable's ELF
// symbol table. It owns that table: read once, on the first frame that needs
// it, and kept sorted by address for the life of the process.
//
// Why: C functions compiled into a Go executable lose their debug
// information when the Go linker links internally (the default), so the C
// shim's symbolizer cannot name them, and static ones are not in the
// dynamic symbol table either. Their names are still in the executable's
// symbol table.
package exesymbols

import (
	"debug/elf"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// Table is the function symbols of one executable, sorted by address.
type Table struct {
	absolute bool // ET_EXEC: symbol values are run-time addresses
	starts   []uint64
	ends     []uint64
	names    []string
}

// Load reads the function symbols of the ELF file at path.
func Load(path string) (*Table, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return nil, err
	}
	var funcs []elf.Symbol
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 {
			funcs = append(funcs, s)
		}
	}
	sort.Slice(funcs, func(i, j int) bool { return funcs[i].Value < funcs[j].Value })
	t := &Table{absolute: f.Type == elf.ET_EXEC}
	for _, s := range funcs {
		t.starts = append(t.starts, s.Value)
		t.ends = append(t.ends, s.Value+s.Size)
		t.names = append(t.names, s.Name)
	}
	return t, nil
}

// Name names a frame of the executable: pc is the frame's pc, lookup the
// address to look up (pc, or pc-1 inside the call instruction for a return
// address), moduleOffset pc's offset in the executable's mapping. It
// returns the function holding lookup and pc's offset from its start.
func (t *Table) Name(pc, lookup, moduleOffset uintptr) (function string, offset uintptr, ok bool) {
	addr := uint64(moduleOffset - (pc - lookup))
	if t.absolute {
		addr = uint64(lookup)
	}
	i := sort.Search(len(t.starts), func(i int) bool { return t.starts[i] > addr }) - 1
	if i < 0 || addr >= t.ends[i] {
		return "", 0, false
	}
	return t.names[i], pc - (lookup - uintptr(addr-t.starts[i])), true
}

// The running executable's table, read once (nil if it cannot be read).
var (
	executableOnce sync.Once
	executable     *Table
	executablePath string
)

func loadExecutable() {
	path, err := os.Executable()
	if err != nil {
		return
	}
	executablePath = path
	executable, _ = Load(path)
}

// NameInExecutable names a frame the symbolizer placed in module from the
// running executable's symbol table, if module is that executable (see
// Table.Name for the arguments). The table is read on the first call.
func NameInExecutable(module string, pc, lookup, moduleOffset uintptr) (function string, offset uintptr, ok bool) {
	executableOnce.Do(loadExecutable)
	if executable == nil || !sameFile(module, executablePath) {
		return "", 0, false
	}
	return executable.Name(pc, lookup, moduleOffset)
}

// sameFile tells whether the paths a and b name the same file; when either
// cannot be read, whether their base names match.
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
