//go:build !cgo

package main

import (
	"errors"
	"fmt"
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

func nativeCheck() bool {
	var fn byte
	err := cgoguard.Call(unsafe.Pointer(&fn), nil)
	if !errors.Is(err, errors.ErrUnsupported) {
		fmt.Println("Call without cgo: want ErrUnsupported, got", err)
		return false
	}
	fmt.Println("Call without cgo:", err)
	return true
}
