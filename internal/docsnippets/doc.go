// Package docsnippets holds, verbatim, every Go and C snippet that the
// README and the pages under docs/ show, inside code that compiles, so that
// `go test ./...` compiles each snippet against the current API. Its test
// (docs_test.go) fails when a snippet in the documentation has no verbatim
// copy here or in another compiled file of the repository (an Example test,
// an example program), and runs the quick starts.
//
// Nothing imports this package; it exists for its test.
package docsnippets
