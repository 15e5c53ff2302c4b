//go:build cgo

package docsnippets

/*
// quickstart.go's preamble defines it.
void decode_frame(void* frame);
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// driverDB stands for a database handle of a binding built with the build
// flag: its Query makes a guarded cgo call, which panics with the
// *cgoguard.NativeFault when the native code faults (as every call the flag
// guards does).
type driverDB struct{ frame unsafe.Pointer }

func (db driverDB) Query(q string) (int, error) {
	if err := cgoguard.Call(unsafe.Pointer(C.decode_frame), db.frame); err != nil {
		panic(err)
	}
	return len(q), nil
}

// catchQuery is the build-flag quick start's Catch: a query whose native
// code faulted returns the fault as an error.
func catchQuery(db driverDB, q string) (int, error) {
	var rows int
	var qerr error
	err := cgoguard.Catch(func() { rows, qerr = db.Query(q) })
	if errors.Is(err, cgoguard.ErrNativeFault) {
		return 0, fmt.Errorf("query %q: %w", q, err) // the driver faulted: see below
	}
	return rows, qerr
}
