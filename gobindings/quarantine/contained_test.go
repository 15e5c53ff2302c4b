package quarantine_test

import (
	"errors"
	"fmt"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

// A call a quarantine refuses is a contained failure for every boundary
// (cgoguard.IsContained), bare or wrapped, and still ErrQuarantined.
func TestRefusedCallIsContained(t *testing.T) {
	site := quarantine.New(quarantine.Threshold(1)).Site("decoder")
	fault := &cgoguard.NativeFault{}
	if err := site.Do(func() error { return fault }); err != fault {
		t.Fatalf("Do = %v, want the fault", err)
	}
	err := site.Do(func() error { t.Error("a quarantined site ran its function"); return nil })
	if !errors.Is(err, quarantine.ErrQuarantined) {
		t.Fatalf("Do on a tripped site = %v, want ErrQuarantined", err)
	}
	if !cgoguard.IsContained(err) || !cgoguard.IsContained(fmt.Errorf("decode: %w", err)) {
		t.Errorf("IsContained(%v) = false for a refused call", err)
	}
	if !errors.Is(err, cgoguard.ErrRefused) {
		t.Errorf("a refused call is not cgoguard.ErrRefused: %v", err)
	}
}
