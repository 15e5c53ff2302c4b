package symbolize

import (
	"debug/dwarf"
	"debug/elf"
	"sort"
)

// module is one binary or debug file, with its function symbols sorted by
// address and its DWARF line tables.
type module struct {
	file *elf.File
	// loadBase is the virtual address that the online module offset counts
	// from: the page the first loadable segment starts on (where the loader
	// maps the file's start, dladdr's dli_fbase).
	loadBase uint64
	funcs    []elf.Symbol
	dwarf    *dwarf.Data // nil without debug information
}

func openModule(path string) (*module, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	m := &module{file: f, loadBase: ^uint64(0)}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Vaddr < m.loadBase {
			m.loadBase = p.Vaddr &^ 0xfff
		}
	}
	if m.loadBase == ^uint64(0) {
		m.loadBase = 0
	}
	syms, _ := f.Symbols() // none in a stripped file: names then come from DWARF alone
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 && s.Section != elf.SHN_UNDEF {
			m.funcs = append(m.funcs, s)
		}
	}
	sort.Slice(m.funcs, func(i, j int) bool { return m.funcs[i].Value < m.funcs[j].Value })
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
	if s := m.symbolAt(at); s != nil {
		fn, fnOffset = s.Name, addr-s.Value
	}
	file, line = m.lineAt(at)
	return fn, fnOffset, file, line
}

// symbolAt returns the function symbol whose range holds addr.
func (m *module) symbolAt(addr uint64) *elf.Symbol {
	i := sort.Search(len(m.funcs), func(i int) bool { return m.funcs[i].Value > addr })
	// Several symbols may start at or before addr (aliases, local symbols of
	// zero size): the nearest few that start below it are candidates.
	for j := i - 1; j >= 0 && j >= i-8; j-- {
		if s := &m.funcs[j]; addr < s.Value+s.Size {
			return s
		}
	}
	return nil
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
