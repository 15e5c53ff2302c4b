// Package leakcheck holds tests, in a module of its own, that cgoguard and
// the sub-packages of the root module leave no goroutine behind, checked with
// go.uber.org/goleak as a Go test suite that uses it would (the root module
// depends on the standard library only).
package leakcheck
