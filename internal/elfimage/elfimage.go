// Package elfimage reads what cgoguard's tools outside the running program
// (the crash monitor, the offline symbolizer, the Sentry adapter) need from
// a module's ELF file to name a pc the way the program's own symbolizer
// does: the GNU build ID, the address that module offsets count from and
// the span the loaded image takes, and the function symbols, sorted for
// lookup by address.
package elfimage

import (
	"debug/elf"
	"encoding/hex"
	"sort"
)

// BuildID returns the hex GNU build ID (the NT_GNU_BUILD_ID note) of f, ""
// if it has none.
func BuildID(f *elf.File) string {
	for _, sec := range f.Sections {
		if sec.Type != elf.SHT_NOTE {
			continue
		}
		data, err := sec.Data()
		if err != nil {
			continue
		}
		for len(data) >= 12 {
			order := f.ByteOrder
			nameSize, descSize, typ := order.Uint32(data), order.Uint32(data[4:]), order.Uint32(data[8:])
			nameEnd := 12 + align4(nameSize)
			descEnd := nameEnd + align4(descSize)
			if uint64(len(data)) < descEnd {
				break
			}
			const ntGNUBuildID = 3
			if typ == ntGNUBuildID && nameSize == 4 && string(data[12:16]) == "GNU\x00" {
				return hex.EncodeToString(data[nameEnd : nameEnd+uint64(descSize)])
			}
			data = data[descEnd:]
		}
	}
	return ""
}

func align4(n uint32) uint64 { return (uint64(n) + 3) &^ 3 }

// LoadBase returns the virtual address that a module offset counts from:
// the page the lowest loadable segment starts on, where the loader maps the
// file's start (dladdr's dli_fbase). 0 for a file without one.
func LoadBase(f *elf.File) uint64 {
	base := ^uint64(0)
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			base = min(base, p.Vaddr&^0xfff)
		}
	}
	if base == ^uint64(0) {
		return 0
	}
	return base
}

// LoadSpan returns how much address space the loaded file takes from
// LoadBase on: up to the end of its highest loadable segment. 0 for a file
// without one.
func LoadSpan(f *elf.File) uint64 {
	end := uint64(0)
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			end = max(end, p.Vaddr+p.Memsz)
		}
	}
	if end == 0 {
		return 0
	}
	return end - LoadBase(f)
}

// Functions are the defined function symbols of a module, sorted by address.
type Functions []elf.Symbol

// FunctionsOf keeps the defined function symbols of syms, sorted by address.
func FunctionsOf(syms []elf.Symbol) Functions {
	var fs Functions
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 && s.Section != elf.SHN_UNDEF {
			fs = append(fs, s)
		}
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].Value < fs[j].Value })
	return fs
}

// At returns the function symbol whose range holds addr, nil if none does.
func (fs Functions) At(addr uint64) *elf.Symbol {
	i := sort.Search(len(fs), func(i int) bool { return fs[i].Value > addr })
	// Several symbols may start at or before addr (aliases, local symbols of
	// zero size): the nearest few that start below it are candidates.
	for j := i - 1; j >= 0 && j >= i-8; j-- {
		if s := &fs[j]; addr < s.Value+s.Size {
			return s
		}
	}
	return nil
}
