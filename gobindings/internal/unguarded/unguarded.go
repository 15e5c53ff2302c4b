//go:build cgo

// Package unguarded calls crash fixtures through plain cgo, with no guard:
// the crashes the crash monitor's tests record.
package unguarded

/*
#cgo CFLAGS: -I${SRCDIR}/../../../tests/fixtures
#include "cgg_fixtures.h"

// A static function of the preamble: compiled into cgo's wrapper.
static void preamble_null_write(void) { *(volatile int *)16 = 1; }
*/
import "C"

import (
	// The fixtures, compiled from tests/fixtures.
	_ "github.com/cgoguard/cgoguard/tests/fixtures"
)

// Available reports whether the fixtures are compiled in (cgo).
const Available = true

// NullWrite writes through a null pointer, unguarded.
func NullWrite() { C.cgg_fx_null_write(nil) }

// Abort calls abort(), unguarded.
func Abort() { C.cgg_fx_abort(nil) }

// PreambleNullWrite writes through a null pointer in a static function of
// the cgo preamble (inlined into cgo's _cgo_<hash>_Cfunc_ wrapper), unguarded.
func PreambleNullWrite() { C.preamble_null_write() }
