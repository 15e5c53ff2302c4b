package exesymbols

import (
	"os"
	"testing"

	"github.com/cgoguard/cgoguard/gobindings/internal/testbinary"
)

// These tests read the test binary's own symbol table, which a plain
// `go test` binary lacks: they run in one built by `go test -c`.
func TestMain(m *testing.M) {
	testbinary.EnsureUnstripped()
	os.Exit(m.Run())
}
