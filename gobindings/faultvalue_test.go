package cgoguard_test

import (
	"reflect"
	"sync"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// NativeFault holds nothing that go vet's copylocks check counts as a lock
// (a type with Lock and Unlock methods, or one of sync/atomic's types) by
// value, at any depth: the check above in terms of the type, whatever a
// later field adds.
func TestNativeFaultHoldsNoLockByValue(t *testing.T) {
	locker := reflect.TypeFor[sync.Locker]()
	var walk func(typ reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		if reflect.PointerTo(typ).Implements(locker) || typ.PkgPath() == "sync/atomic" {
			t.Errorf("NativeFault%s is a %s: a lock held by value", path, typ)
			return
		}
		switch typ.Kind() {
		case reflect.Struct:
			for i := range typ.NumField() {
				walk(typ.Field(i).Type, path+"."+typ.Field(i).Name)
			}
		case reflect.Array:
			walk(typ.Elem(), path+"[]")
		}
	}
	walk(reflect.TypeFor[cgoguard.NativeFault](), "")
}
