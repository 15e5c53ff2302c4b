package main

// #include "native.h"
import "C"

import (
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

// checksum runs the benign native function under a guard.
func checksum(seed, rounds uint32) (uint32, error) {
	job := C.checksum_job{seed: C.uint32_t(seed), rounds: C.uint32_t(rounds)}
	if err := cgoguard.Call(unsafe.Pointer(C.example_checksum), unsafe.Pointer(&job)); err != nil {
		return 0, err
	}
	return uint32(job.result), nil
}

// decoder wraps the native decoder in a quarantine site whose reset hook
// re-initializes the decoder's state before each probe.
type decoder struct{ site *quarantine.Site }

func newDecoder(q *quarantine.Quarantine) *decoder {
	C.decoder_init()
	return &decoder{site: q.Site("decoder", quarantine.WithReset(func() error {
		C.decoder_init()
		return nil
	}))}
}

// decode returns the decoded value, a *cgoguard.NativeFault, or a
// quarantine error while the site is quarantined.
func (d *decoder) decode(input int, poison bool) (int, error) {
	job := C.decode_job{input: C.int32_t(input)}
	if poison {
		job.poison = 1
	}
	if err := d.site.Call(unsafe.Pointer(C.decoder_decode), unsafe.Pointer(&job)); err != nil {
		return 0, err
	}
	return int(job.output), nil
}
