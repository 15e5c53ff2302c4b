// Package debugobject writes a Go program's native debug object: what the
// C shim's symbolizer needs of the program's DWARF, without Go's part. It
// owns the ELF and DWARF rewriting and the unnamed temporary file the object
// lives in; handing the object to the symbolizer is the caller's.
//
// Why: the shim names native frames with libbacktrace, which on its first
// lookup decompresses and indexes the whole DWARF of the program. In a Go
// program nearly all of it describes Go code (in a 42 MB service binary:
// 16.3 MiB of 16.6 MiB of .debug_info, and the line tables, ranges and
// address tables that go with it), which the Go runtime names by itself;
// loading it all cost about 50 MiB of RSS. libbacktrace cannot be told to
// skip compile units, but it can be given another file for the program
// (cgg_symbolize_set_program_debug_file). So before the first lookup the
// caller has Write make a copy of the program's symbol table and DWARF in
// which each run of Go compile units is replaced by one empty unit of the
// same length, and only the line programs of the kept units are copied.
//
// Every kept byte stays at its offset within its section (the Go parts are
// holes in a sparse file), so no reference between sections needs rewriting:
// what libbacktrace finds for a native address is what it finds in the
// program itself. Each unit's header and first entry are read by hand as
// .debug_info streams past (parseUnitStart), rather than through debug/dwarf:
// elf.File.DWARF decompresses and keeps every DWARF section in the Go heap at
// once, the very cost (tens of MiB) this object exists to avoid. Anything
// unexpected (64-bit DWARF, an unknown attribute form, no symbol table) makes
// Write give up (ErrNoObject), and the caller leaves the symbolizer reading
// the program itself.
package debugobject

import (
	"bufio"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

const (
	dwLangGo        = 0x16
	dwAtStmtList    = 0x10
	dwAtLanguage    = 0x13
	dwUTCompile     = 0x01
	dwUTPartial     = 0x03
	unitPeekSize    = 64 << 10 // enough for any compile unit's first entry
	debugObjectPage = 4096
)

// wholeDebugSections are the DWARF sections libbacktrace reads besides
// .debug_info and .debug_line; they are small next to those two (or read
// only at the offsets the kept units give) and are copied whole.
var wholeDebugSections = []string{
	".debug_abbrev", ".debug_str", ".debug_line_str", ".debug_addr",
	".debug_str_offsets", ".debug_ranges", ".debug_rnglists",
}

// ErrNoObject is wrapped by the errors of Write for a program it cannot
// make a debug object of (not 64-bit little-endian ELF, no DWARF or symbol
// table, DWARF it does not read).
var ErrNoObject = errors.New("cgoguard: no native debug object")

// Stats describes a debug object Write made (for benchmarks and tests).
type Stats struct {
	Written int // bytes written (the rest of the file is holes)
	Kept    int // compile units copied
	Dropped int // runs of Go compile units replaced by an empty unit
}

// created, when set (by tests), is called with the debug object as soon as
// the file exists.
var created func(*os.File)

// debugObjectSection is one section of the debug object being written.
type debugObjectSection struct {
	name           string
	typ            elf.SectionType
	link, info     uint32
	align, entsize uint64
	offset, size   uint64
	nameOffset     uint32
}

// Write writes the native debug object of the program exe into a new file
// in dir and returns it open, without a name: a process that ends at any
// moment (a short-lived command, a crash) leaves nothing behind in dir. The
// caller closes it; the symbolizer can open it again as
// /proc/self/fd/<fd> meanwhile.
func Write(exe, dir string) (*os.File, Stats, error) {
	var st Stats
	out, err := write(exe, dir, &st)
	return out, st, err
}

func write(exe, dir string, st *Stats) (*os.File, error) {
	f, err := elf.Open(exe)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB {
		return nil, fmt.Errorf("%w: %s is not 64-bit little-endian ELF", ErrNoObject, exe)
	}
	info, line, abbrevSec := f.Section(".debug_info"), f.Section(".debug_line"), f.Section(".debug_abbrev")
	symtab, strtab := f.Section(".symtab"), f.Section(".strtab")
	if info == nil || abbrevSec == nil || symtab == nil || strtab == nil || symtab.Link >= uint32(len(f.Sections)) || f.Sections[symtab.Link] != strtab {
		return nil, fmt.Errorf("%w: %s has no DWARF or no symbol table", ErrNoObject, exe)
	}
	abbrev, err := abbrevSec.Data()
	if err != nil {
		return nil, err
	}

	// The layout: the ELF header, each section at a page boundary, then the
	// section headers.
	var sections []*debugObjectSection
	next := uint64(debugObjectPage)
	add := func(s *elf.Section, typ elf.SectionType) *debugObjectSection {
		out := &debugObjectSection{name: s.Name, typ: typ, align: 1, offset: next, size: s.Size}
		sections = append(sections, out)
		next = (next + s.Size + debugObjectPage - 1) &^ (debugObjectPage - 1)
		return out
	}
	infoOut := add(info, elf.SHT_PROGBITS)
	var lineOut *debugObjectSection
	if line != nil {
		lineOut = add(line, elf.SHT_PROGBITS)
	}
	type copied struct {
		src *elf.Section
		dst *debugObjectSection
	}
	var whole []copied
	for _, name := range wholeDebugSections {
		if s := f.Section(name); s != nil {
			whole = append(whole, copied{s, add(s, elf.SHT_PROGBITS)})
		}
	}
	symOut := add(symtab, elf.SHT_SYMTAB)
	symOut.info, symOut.align, symOut.entsize = symtab.Info, 8, symtab.Entsize
	whole = append(whole, copied{symtab, symOut}, copied{strtab, add(strtab, elf.SHT_STRTAB)})
	symOut.link = uint32(len(sections)) // .strtab's index (0 is the null section)

	out, err := createUnnamedFile(dir, "cgoguard-native-debug-*")
	if err != nil {
		return nil, err
	}
	if created != nil {
		created(out)
	}
	fail := func(err error) (*os.File, error) {
		out.Close()
		return nil, err
	}

	stmtLists, written, err := writeNativeUnits(info, abbrev, io.NewOffsetWriter(out, int64(infoOut.offset)), st)
	if err != nil {
		return fail(err)
	}
	if lineOut != nil {
		n, err := copyLinePrograms(line, stmtLists, io.NewOffsetWriter(out, int64(lineOut.offset)))
		if err != nil {
			return fail(err)
		}
		written += n
	}
	for _, c := range whole {
		n, err := io.Copy(io.NewOffsetWriter(out, int64(c.dst.offset)), c.src.Open())
		if err != nil {
			return fail(err)
		}
		if uint64(n) != c.dst.size {
			return fail(fmt.Errorf("%w: section %s: %d of %d bytes", ErrNoObject, c.src.Name, n, c.dst.size))
		}
		written += int(n)
	}
	if err := writeDebugObjectHeaders(out, f, sections, next); err != nil {
		return fail(err)
	}
	st.Written = written
	return out, nil
}

// writeNativeUnits copies the compile units of .debug_info that are not Go's
// to w at their offsets, replaces each run of Go units with one empty unit
// spanning it, and returns the .debug_line offsets of the kept units and the
// bytes written; st counts the units kept and dropped.
func writeNativeUnits(info *elf.Section, abbrev []byte, w *io.OffsetWriter, st *Stats) (stmtLists []uint64, written int, err error) {
	r := bufio.NewReaderSize(info.Open(), unitPeekSize)
	var (
		off                     uint64
		dropStart, dropAbbrev   uint64
		dropping                bool
		lengthField             [4]byte
		headerAndFirstEntryPeek []byte
	)
	endDrop := func() error {
		if !dropping {
			return nil
		}
		dropping = false
		n, err := writeEmptyUnit(w, dropStart, off-dropStart, dropAbbrev)
		written += n
		st.Dropped++
		return err
	}
	for off < info.Size {
		if _, err := io.ReadFull(r, lengthField[:]); err != nil {
			return nil, 0, err
		}
		length := uint64(binary.LittleEndian.Uint32(lengthField[:]))
		if length >= 0xfffffff0 {
			return nil, 0, fmt.Errorf("%w: 64-bit DWARF", ErrNoObject)
		}
		headerAndFirstEntryPeek, _ = r.Peek(int(min(length, unitPeekSize)))
		u, err := parseUnitStart(headerAndFirstEntryPeek, abbrev)
		if err != nil {
			return nil, 0, err
		}
		if u.language == dwLangGo {
			if !dropping {
				dropping, dropStart, dropAbbrev = true, off, u.abbrevOffset
			}
			if _, err := r.Discard(int(length)); err != nil {
				return nil, 0, err
			}
		} else {
			if err := endDrop(); err != nil {
				return nil, 0, err
			}
			if _, err := w.WriteAt(lengthField[:], int64(off)); err != nil {
				return nil, 0, err
			}
			n, err := io.Copy(io.NewOffsetWriter(w, int64(off+4)), io.LimitReader(r, int64(length)))
			if err != nil {
				return nil, 0, err
			}
			if uint64(n) != length {
				return nil, 0, io.ErrUnexpectedEOF
			}
			written += 4 + int(n)
			st.Kept++
			if u.hasStmtList {
				stmtLists = append(stmtLists, u.stmtList)
			}
		}
		off += 4 + length
	}
	return stmtLists, written, endDrop()
}

// writeEmptyUnit writes at off a DWARF 5 compile unit of size bytes whose
// first entry is the null entry: libbacktrace steps over it (it reads a
// unit's length before its entries) and finds no addresses in it. The rest
// of the unit stays a hole of the file.
func writeEmptyUnit(w *io.OffsetWriter, off, size, abbrevOffset uint64) (int, error) {
	const headerSize = 4 + 2 + 1 + 1 + 4 + 1
	if size < headerSize || size-4 >= 0xfffffff0 {
		return 0, fmt.Errorf("%w: a run of Go units of %d bytes", ErrNoObject, size)
	}
	var unit [headerSize]byte
	binary.LittleEndian.PutUint32(unit[0:], uint32(size-4))
	binary.LittleEndian.PutUint16(unit[4:], 5)
	unit[6] = dwUTCompile
	unit[7] = 8
	binary.LittleEndian.PutUint32(unit[8:], uint32(abbrevOffset))
	unit[12] = 0 // the null entry
	return w.WriteAt(unit[:], int64(off))
}

// copyLinePrograms copies the line programs that start at the given
// .debug_line offsets to w at the same offsets.
func copyLinePrograms(line *elf.Section, offsets []uint64, w *io.OffsetWriter) (int, error) {
	slices.Sort(offsets)
	offsets = slices.Compact(offsets)
	r := bufio.NewReader(line.Open())
	var pos uint64
	written := 0
	var lengthField [4]byte
	for _, off := range offsets {
		if off < pos {
			return 0, fmt.Errorf("%w: overlapping line programs", ErrNoObject)
		}
		if _, err := r.Discard(int(off - pos)); err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(r, lengthField[:]); err != nil {
			return 0, err
		}
		length := uint64(binary.LittleEndian.Uint32(lengthField[:]))
		if length >= 0xfffffff0 {
			return 0, fmt.Errorf("%w: 64-bit DWARF", ErrNoObject)
		}
		if _, err := w.WriteAt(lengthField[:], int64(off)); err != nil {
			return 0, err
		}
		n, err := io.Copy(io.NewOffsetWriter(w, int64(off+4)), io.LimitReader(r, int64(length)))
		if err != nil {
			return 0, err
		}
		if uint64(n) != length {
			return 0, io.ErrUnexpectedEOF
		}
		written += 4 + int(n)
		pos = off + 4 + length
	}
	return written, nil
}

// writeDebugObjectHeaders writes the ELF header, the section name table and
// the section headers; end is the first free (page-aligned) offset.
func writeDebugObjectHeaders(out *os.File, f *elf.File, sections []*debugObjectSection, end uint64) error {
	names := []byte{0}
	for _, s := range sections {
		s.nameOffset = uint32(len(names))
		names = append(append(names, s.name...), 0)
	}
	shstrtab := &debugObjectSection{name: ".shstrtab", typ: elf.SHT_STRTAB, align: 1, offset: end}
	shstrtab.nameOffset = uint32(len(names))
	names = append(append(names, shstrtab.name...), 0)
	shstrtab.size = uint64(len(names))
	sections = append(sections, shstrtab)
	shoff := (end + shstrtab.size + 7) &^ 7
	if _, err := out.WriteAt(names, int64(end)); err != nil {
		return err
	}

	const shentsize = 64
	table := make([]byte, shentsize*(len(sections)+1)) // index 0: the null section
	for i, s := range sections {
		h := table[shentsize*(i+1):]
		le := binary.LittleEndian
		le.PutUint32(h[0:], s.nameOffset)
		le.PutUint32(h[4:], uint32(s.typ))
		// flags (8), addr (16): 0
		le.PutUint64(h[24:], s.offset)
		le.PutUint64(h[32:], s.size)
		le.PutUint32(h[40:], s.link)
		le.PutUint32(h[44:], s.info)
		le.PutUint64(h[48:], s.align)
		le.PutUint64(h[56:], s.entsize)
	}
	if _, err := out.WriteAt(table, int64(shoff)); err != nil {
		return err
	}

	var eh [64]byte
	copy(eh[:], elf.ELFMAG)
	eh[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	eh[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	eh[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	le := binary.LittleEndian
	// The program's type: libbacktrace takes an ET_DYN program's load
	// address from the loader, an ET_EXEC's addresses as they are.
	le.PutUint16(eh[16:], uint16(f.Type))
	le.PutUint16(eh[18:], uint16(f.Machine))
	le.PutUint32(eh[20:], uint32(elf.EV_CURRENT))
	le.PutUint64(eh[40:], shoff)
	le.PutUint16(eh[52:], 64) // e_ehsize
	le.PutUint16(eh[58:], shentsize)
	le.PutUint16(eh[60:], uint16(len(sections)+1))
	le.PutUint16(eh[62:], uint16(len(sections))) // .shstrtab, the last
	_, err := out.WriteAt(eh[:], 0)
	return err
}

// unitStart is what the first entry of a compile unit says.
type unitStart struct {
	abbrevOffset uint64
	language     uint64
	stmtList     uint64
	hasStmtList  bool
}

// parseUnitStart reads a unit's header (after its length field) and the
// attributes of its first entry.
func parseUnitStart(b []byte, abbrev []byte) (unitStart, error) {
	var u unitStart
	d := &dwarfBytes{b: b}
	version := d.u16()
	unitType := uint8(dwUTCompile)
	addrSize := uint8(8)
	switch {
	case version == 5:
		unitType = d.u8()
		addrSize = d.u8()
		u.abbrevOffset = uint64(d.u32())
	case version >= 2 && version <= 4:
		u.abbrevOffset = uint64(d.u32())
		addrSize = d.u8()
	default:
		return u, fmt.Errorf("%w: DWARF version %d", ErrNoObject, version)
	}
	if unitType != dwUTCompile && unitType != dwUTPartial {
		return u, d.err // kept as it is
	}
	code := d.uleb()
	if d.err != nil || code == 0 {
		return u, d.err
	}
	if u.abbrevOffset >= uint64(len(abbrev)) {
		return u, fmt.Errorf("%w: abbreviation offset out of range", ErrNoObject)
	}
	a := &dwarfBytes{b: abbrev[u.abbrevOffset:]}
	for {
		c := a.uleb()
		if a.err != nil || c == 0 {
			return u, fmt.Errorf("%w: abbreviation %d not found", ErrNoObject, code)
		}
		a.uleb() // tag
		a.u8()   // children
		found := c == code
		for {
			attr, form := a.uleb(), a.uleb()
			if a.err != nil {
				return u, a.err
			}
			if attr == 0 && form == 0 {
				break
			}
			var implicit uint64
			if form == 0x21 { // DW_FORM_implicit_const
				implicit = uint64(a.sleb())
			}
			if !found {
				continue
			}
			v, err := d.value(form, version, addrSize, implicit)
			if err != nil {
				return u, err
			}
			switch attr {
			case dwAtLanguage:
				u.language = v
			case dwAtStmtList:
				u.stmtList, u.hasStmtList = v, true
			}
		}
		if found {
			return u, d.err
		}
	}
}

// dwarfBytes reads little-endian DWARF fields; the first overrun sets err.
type dwarfBytes struct {
	b   []byte
	err error
}

func (d *dwarfBytes) take(n int) []byte {
	if d.err != nil || n > len(d.b) {
		if d.err == nil {
			d.err = fmt.Errorf("%w: truncated DWARF", ErrNoObject)
		}
		return make([]byte, n)
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *dwarfBytes) u8() uint8   { return d.take(1)[0] }
func (d *dwarfBytes) u16() uint16 { return binary.LittleEndian.Uint16(d.take(2)) }
func (d *dwarfBytes) u32() uint32 { return binary.LittleEndian.Uint32(d.take(4)) }
func (d *dwarfBytes) u64() uint64 { return binary.LittleEndian.Uint64(d.take(8)) }

func (d *dwarfBytes) uleb() uint64 {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		c := d.u8()
		if shift < 64 {
			v |= uint64(c&0x7f) << shift
		}
		if c&0x80 == 0 || d.err != nil {
			return v
		}
	}
}

func (d *dwarfBytes) sleb() int64 {
	var v int64
	shift := uint(0)
	for {
		c := d.u8()
		if shift < 64 {
			v |= int64(c&0x7f) << shift
		}
		shift += 7
		if c&0x80 == 0 || d.err != nil {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
	}
}

// value reads an attribute value of the given form: its number for constant
// and offset forms, 0 for the rest (which are skipped).
func (d *dwarfBytes) value(form uint64, version uint16, addrSize uint8, implicit uint64) (uint64, error) {
	switch form {
	case 0x01: // addr
		d.take(int(addrSize))
	case 0x0b, 0x11, 0x25, 0x29: // data1, ref1, strx1, addrx1
		return uint64(d.u8()), d.err
	case 0x05, 0x12, 0x26, 0x2a: // data2, ref2, strx2, addrx2
		return uint64(d.u16()), d.err
	case 0x27, 0x2b: // strx3, addrx3
		d.take(3)
	case 0x06, 0x13, 0x17, 0x0e, 0x1f, 0x1c, 0x1d, 0x28, 0x2c, 0x1f20, 0x1f21:
		// data4, ref4, sec_offset, strp, line_strp, ref_sup4, strp_sup,
		// strx4, addrx4, GNU_ref_alt, GNU_strp_alt
		return uint64(d.u32()), d.err
	case 0x07, 0x14, 0x20, 0x24: // data8, ref8, ref_sig8, ref_sup8
		return d.u64(), d.err
	case 0x1e: // data16
		d.take(16)
	case 0x0f, 0x15, 0x1a, 0x1b, 0x22, 0x23, 0x1f01, 0x1f02:
		// udata, ref_udata, strx, addrx, loclistx, rnglistx, GNU_addr_index,
		// GNU_str_index
		return d.uleb(), d.err
	case 0x0d: // sdata
		return uint64(d.sleb()), d.err
	case 0x0c: // flag
		return uint64(d.u8()), d.err
	case 0x19: // flag_present
		return 1, nil
	case 0x21: // implicit_const
		return implicit, nil
	case 0x08: // string
		for d.err == nil && d.u8() != 0 {
		}
	case 0x0a: // block1
		d.take(int(d.u8()))
	case 0x03: // block2
		d.take(int(d.u16()))
	case 0x04: // block4
		d.take(int(d.u32()))
	case 0x09, 0x18: // block, exprloc
		n := d.uleb()
		if n > uint64(len(d.b)) {
			n = uint64(len(d.b)) + 1
		}
		d.take(int(n))
	case 0x10: // ref_addr
		if version == 2 {
			d.take(int(addrSize))
		} else {
			d.u32()
		}
	case 0x16: // indirect
		return d.value(d.uleb(), version, addrSize, implicit)
	default:
		return 0, fmt.Errorf("%w: DWARF form %#x", ErrNoObject, form)
	}
	return 0, d.err
}
