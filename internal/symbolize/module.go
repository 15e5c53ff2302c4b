package symbolize

import (
	"debug/dwarf"
	"debug/elf"

	"github.com/cgoguard/cgoguard/internal/elfimage"
)

// module is one binary or debug file, with its function symbols sorted by
// address and its DWARF line tables.
type module struct {
	file *elf.File
	// loadBase is the virtual address that the online module offset counts
	// from: the page the first loadable segment starts on (where the loader
	// maps the file's start, dladdr's dli_fbase).
	loadBase uint64
	funcs    elfimage.Functions
	dwarf    *dwarf.Data // nil without debug information
}

func openModule(path string) (*module, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	m := &module{file: f, loadBase: elfimage.LoadBase(f)}
	syms, _ := f.Symbols() // none in a stripped file: names then come from DWARF alone
	m.funcs = elfimage.FunctionsOf(syms)
	if d, err := f.DWARF(); err == nil {
		m.dwarf = d
	}
	return m, nil
}

func (m *module) close() { m.file.Close() }

// lookup names the code at module offset `offset`. For a return address the
// source line is that of the call instruction just before it, and so is the
// function (a call to a function that never returns may be a function's last
// instruction); the function offset is counted from the address itself, as
// online.
func (m *module) lookup(offset uint64, returnAddress bool) (fn string, fnOffset uint64, file string, line int) {
	addr := m.loadBase + offset
	at := addr
	if returnAddress && at > 0 {
		at--
	}
	if s := m.funcs.At(at); s != nil {
		fn, fnOffset = s.Name, addr-s.Value
	}
	file, line = m.lineAt(at)
	return fn, fnOffset, file, line
}

// lineAt returns the source file and line of addr from the DWARF line table
// of the compilation unit that covers it.
func (m *module) lineAt(addr uint64) (string, int) {
	if m.dwarf == nil {
		return "", 0
	}
	r := m.dwarf.Reader()
	cu, err := r.SeekPC(addr)
	if err != nil || cu == nil {
		return "", 0
	}
	lr, err := m.dwarf.LineReader(cu)
	if err != nil || lr == nil {
		return "", 0
	}
	// A linear pass over the unit's rows, rather than LineReader.SeekPC,
	// which misses addresses of units whose functions sit in several
	// sequences (C++ units: one per section). The row that covers addr is
	// the last one at or below it in the same sequence.
	var row, prev dwarf.LineEntry
	havePrev := false
	for lr.Next(&row) == nil {
		if havePrev && !prev.EndSequence && prev.Address <= addr && addr < row.Address && prev.File != nil {
			return prev.File.Name, prev.Line
		}
		prev, havePrev = row, true
	}
	return "", 0
}
