// Command program is a user's program with a crash monitor, built by the
// tests as a static binary (with and without cgo): it crashes as its first
// argument says ("native": an unguarded null write in C, "panic": an
// unrecovered panic), its monitor logging JSON to stderr.
package main

import (
	"log/slog"
	"os"

	"github.com/cgoguard/cgoguard/gobindings/crashmonitor"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/internal/unguarded"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := crashmonitor.Start(crashmonitor.WithReporter(incident.Reporter{Logger: logger}), crashmonitor.WithSpoolDir("")); err != nil {
		logger.Error("no crash monitor", "error", err)
		os.Exit(9)
	}
	defer crashmonitor.Shutdown()
	switch os.Args[1] {
	case "native":
		unguarded.NullWrite()
	case "panic":
		panic("boom")
	}
}
