//go:build cgo

package quarantine_test

import (
	"errors"
	"fmt"
	"time"

	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

// After three faults the site fails fast, without entering native code,
// until the cool-down; then the reset hook runs before one probe call.
func ExampleQuarantine_Site() {
	q := quarantine.New(quarantine.Threshold(3), quarantine.Window(time.Minute), quarantine.Cooldown(30*time.Second))
	site := q.Site("decoder", quarantine.WithReset(func() error {
		return nil // re-initialize the native library's state here
	}))
	for range 4 {
		err := site.Call(fx.NullWrite.Fn, nil) // unsafe.Pointer(C.decode), arg
		fmt.Println(errors.Is(err, quarantine.ErrQuarantined))
	}
	fmt.Println(site.Stats().State)
	// Output:
	// false
	// false
	// false
	// true
	// open
}
