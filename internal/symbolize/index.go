package symbolize

import (
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cgoguard/cgoguard/internal/elfimage"
)

// errNotFound: no file of the given directories has the frame's build ID.
var errNotFound = errors.New("no binary or debug file with this build ID")

// index maps build IDs to the files that carry them, and keeps the modules
// opened so far.
type index struct {
	paths   map[string]string // hex build ID -> file
	modules map[string]*module
}

// indexDirs reads the build ID of every ELF file below dirs. A file in a
// .build-id/xx/rest.debug layout is taken by its path; other files by the
// NT_GNU_BUILD_ID note they hold. The first file found for an ID wins.
func indexDirs(dirs []string) (*index, error) {
	idx := &index{paths: map[string]string{}, modules: map[string]*module{}}
	for _, dir := range dirs {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("%s: not a directory", dir)
		}
		err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil // unreadable entries and symlinks are skipped
			}
			id := buildIDFromPath(path)
			if id == "" {
				id = buildIDOfFile(path)
			}
			if _, seen := idx.paths[id]; id != "" && !seen {
				idx.paths[id] = path
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return idx, nil
}

// buildIDFromPath returns "xxrest" for .../.build-id/xx/rest.debug, else "".
func buildIDFromPath(path string) string {
	dir, file := filepath.Split(path)
	prefix := filepath.Base(dir)
	if filepath.Base(filepath.Dir(filepath.Clean(dir))) != ".build-id" || len(prefix) != 2 ||
		!strings.HasSuffix(file, ".debug") {
		return ""
	}
	id := prefix + strings.TrimSuffix(file, ".debug")
	if _, err := hex.DecodeString(id); err != nil {
		return ""
	}
	return strings.ToLower(id)
}

// buildIDOfFile returns the hex GNU build ID of an ELF file, or "".
func buildIDOfFile(path string) string {
	f, err := elf.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	return elfimage.BuildID(f)
}

// module opens (once) the file with the given build ID.
func (idx *index) module(id string) (*module, error) {
	if m, ok := idx.modules[id]; ok {
		return m, nil
	}
	path, ok := idx.paths[strings.ToLower(id)]
	if !ok {
		return nil, errNotFound
	}
	m, err := openModule(path)
	if err != nil {
		return nil, err
	}
	idx.modules[id] = m
	return m, nil
}

// symbolize renders one frame as the online symbolizer does:
// "func+0xoff (file:line) [module+0xoff]", leaving out what is unknown.
func (idx *index) symbolize(nm nativeModule, returnAddress bool) (string, error) {
	if nm.BuildID == "" {
		return "", errNotFound
	}
	var offset uint64
	if _, err := fmt.Sscanf(nm.Offset, "0x%x", &offset); err != nil {
		return "", fmt.Errorf("bad offset %q", nm.Offset)
	}
	m, err := idx.module(nm.BuildID)
	if err != nil {
		return "", err
	}
	fn, fnOffset, file, line := m.lookup(offset, returnAddress)
	var b strings.Builder
	if fn != "" {
		fmt.Fprintf(&b, "%s+%#x", fn, fnOffset)
	} else {
		return "", errNotFound // the logged text (the raw pc) is as good
	}
	if file != "" {
		fmt.Fprintf(&b, " (%s:%d)", file, line)
	}
	if nm.Module != "" {
		fmt.Fprintf(&b, " [%s+%#x]", nm.Module, offset)
	}
	return b.String(), nil
}

// Close releases the opened modules.
func (idx *index) Close() {
	for _, m := range idx.modules {
		m.close()
	}
}
