package crashmonitor

import (
	"bufio"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/internal/elfimage"
)

// mapping is one executable mapping of the program, from /proc/<pid>/maps.
type mapping struct {
	start, end uint64
	path       string
	base       uint64 // where the file's first mapping starts: dladdr's dli_fbase
}

// readMappings reads the program's executable file mappings. The monitor
// reads them at its start and again as the crash report begins to arrive
// (the program is still alive then, printing), so that shared objects the
// program loaded later are found too.
func readMappings(pid int) []mapping {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		return nil
	}
	defer f.Close()
	return parseMappings(f)
}

// parseMappings reads the executable file mappings of a maps file's text.
func parseMappings(r io.Reader) []mapping {
	// A module's base is the start of the loader's mapping of the file's
	// first page: the last mapping of the file at offset 0 that starts at
	// or below its executable segment. The program may map the file
	// elsewhere too (a symbolizer reading a symbol table), which is why
	// the lowest mapping of the path will not do.
	lastFirst := map[string]uint64{}
	var out []mapping
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// start-end perms offset dev inode path
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || !strings.HasPrefix(fields[5], "/") {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		offset, err3 := strconv.ParseUint(fields[2], 16, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		path := fields[5]
		if offset == 0 {
			lastFirst[path] = start // maps are sorted by address
		}
		if strings.Contains(fields[1], "x") {
			base, seen := lastFirst[path]
			if !seen {
				base = start - offset
			}
			out = append(out, mapping{start: start, end: end, path: path, base: base})
		}
	}
	return out
}

// symbolizer names native pcs of the dead program from its modules' files:
// the ELF symbol tables (function and offset) and GNU build IDs, as the
// program's own symbolizer names a contained fault's frames, so that the
// fingerprint comes out the same. It reads no DWARF (no file or line: that
// would cost the monitor tens of MiB); cmd/cgoguard-symbolize adds them
// offline from the record's native_modules.
type symbolizer struct {
	maps    []mapping
	exe     string
	modules map[string]*module
}

type module struct {
	name     string // the module path as the program's loader names it
	buildID  string
	loadBase uint64
	funcs    elfimage.Functions
}

func newSymbolizer(maps []mapping) *symbolizer {
	exe, _ := os.Executable()
	return &symbolizer{maps: maps, exe: exe, modules: map[string]*module{}}
}

// frame names pc; returnAddress says pc is a return address (a caller's
// frame), looked up at pc-1 as the program's symbolizer does.
func (s *symbolizer) frame(pc uint64, returnAddress bool) cgoguard.Frame {
	fr := cgoguard.Frame{PC: uintptr(pc)}
	lookup := pc
	if returnAddress && lookup > 0 {
		lookup--
	}
	var m *mapping
	for i := range s.maps {
		if s.maps[i].start <= lookup && lookup < s.maps[i].end {
			m = &s.maps[i]
			break
		}
	}
	if m == nil {
		return fr
	}
	mod := s.module(m.path)
	fr.Module = mod.name
	fr.BuildID = mod.buildID
	fr.ModuleOffset = uintptr(pc - m.base)
	if sym := mod.funcs.At(mod.loadBase + (lookup - m.base)); sym != nil {
		fr.Function = sym.Name
		fr.Offset = uintptr(mod.loadBase + (pc - m.base) - sym.Value)
	}
	return fr
}

func (s *symbolizer) module(path string) *module {
	if m, ok := s.modules[path]; ok {
		return m
	}
	m := &module{name: path}
	s.modules[path] = m
	f, err := elf.Open(path)
	if err != nil {
		return m
	}
	defer f.Close()
	m.buildID = elfimage.BuildID(f)
	m.loadBase = elfimage.LoadBase(f)
	syms, err := f.Symbols()
	if err != nil || len(syms) == 0 {
		syms, _ = f.DynamicSymbols()
	}
	m.funcs = elfimage.FunctionsOf(syms)
	if path != s.exe {
		m.name = loaderName(f, path)
	}
	return m
}

// loaderName is the name the dynamic loader gives a shared object, which
// the program's symbolizer reports: a library found through DT_NEEDED is
// named by its soname (libfoo.so.1, a symbolic link), while the kernel's
// maps show the file it resolves to (libfoo.so.1.2.3).
func loaderName(f *elf.File, path string) string {
	names, err := f.DynString(elf.DT_SONAME)
	if err != nil || len(names) == 0 || names[0] == filepath.Base(path) {
		return path
	}
	alias := filepath.Join(filepath.Dir(path), names[0])
	a, err1 := os.Stat(alias)
	b, err2 := os.Stat(path)
	if err1 == nil && err2 == nil && os.SameFile(a, b) {
		return alias
	}
	return path
}
