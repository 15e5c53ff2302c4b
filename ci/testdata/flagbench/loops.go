// Package flagbench measures a trivial cgo call as a module outside
// cgoguard's sees it, built with and without the build flag
// (go test -c -toolexec=cgoguard). cgo cannot be used in a _test.go file,
// so the loop lives here and its benchmark (bench_test.go) passes b.N.
package flagbench

/*
__attribute__((noinline)) static void noop(void* arg) { (void)arg; }
__attribute__((noinline)) static int add(int a, int b) { return a + b; }
*/
import "C"

// Noop makes n cgo calls of an empty C function with a constant nil
// argument: the cheapest cgo call there is, so the guard's share is largest.
func Noop(n int) {
	for i := 0; i < n; i++ {
		C.noop(nil)
	}
}

// Add makes n cgo calls with integer arguments and a result, the shape of
// most binding calls.
func Add(n int) int {
	s := C.int(0)
	for i := 0; i < n; i++ {
		s = C.add(s, 1)
	}
	return int(s)
}
