package fpstack

// Callers fills pcs with the return addresses of the stack of the function
// that called Callers: pcs[0] is where that function returns to (a PC in
// its caller). It returns the number of PCs stored and whether the walk
// reached the goroutine's first frame or filled pcs; false means the stack
// could not be walked this way (see the package documentation). The
// function that calls Callers must not be inlined (//go:noinline): its frame
// is where the walk starts.
//
// Implemented in fpstack_amd64.s.
//
//go:noescape
func Callers(pcs []uintptr) (n int, ok bool)
