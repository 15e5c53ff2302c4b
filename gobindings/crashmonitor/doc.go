// Package crashmonitor records the crashes that no guard contains: one call
// at the top of main starts a monitor process that outlives the program and
// turns the way the program ended into an incident record.
//
//	func main() {
//		logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
//		if err := crashmonitor.Start(crashmonitor.WithReporter(incident.Reporter{Logger: logger})); err != nil {
//			logger.Warn("running without a crash monitor", "error", err)
//		}
//		defer crashmonitor.Shutdown() // returning from main is a clean exit
//		...
//	}
//
// The monitor is the program's own executable, started again by Start with
// an environment variable that makes Start run the monitor instead of
// returning (the pattern of runtime/debug.SetCrashOutput's documentation).
// The runtime writes its crash report into a pipe to the monitor as well as
// to stderr; the monitor reads it when the program has died and records:
//
//	kind                 when                                              fingerprint, as a contained incident's
//	native_crash         a SIGSEGV, SIGBUS, ... in a cgo call, unguarded   "signal|N" and the native frames
//	abort                abort() in a cgo call, unguarded                  "signal|6" and the native frames
//	fatal_error          "fatal error: concurrent map writes", ...         the function that threw and the Go frames
//	unrecovered_panic    a panic no recover stopped                        as incident.FromPanic: "panic|type" and the Go frames
//	signal               a fatal signal outside cgo (kill -QUIT)           "signal|N" and the native frames
//	exit_without_report  an end with no crash report and no Shutdown mark  a constant
//
// Native frames are named as cgoguard names a contained fault's frames
// (module, function and offset from the modules' ELF symbol tables, the GNU
// build ID) and hashed by cgoguard.Fingerprint, so a fault site has one
// fingerprint whether a guard contained it in one run or it crashed the
// process in another. With cgoguard.WithCgoTraceback the runtime's report
// holds the native stack as far as frame pointers lead (through a C library
// built without them, the faulting pc alone: an unguarded abort() then has
// one frame in libc and not the contained abort's fingerprint); without it,
// the faulting pc alone. Frames
// carry no file and line (the monitor reads no DWARF); cmd/cgoguard-symbolize
// adds them from the record's native_modules. The type of an unrecovered
// panic's value is not in the report: a value printed as "(T) v" has type
// T, a runtime error is runtime.Error, anything else is taken for a string
// (so a panic(err) that one run recovers and another does not gets two
// fingerprints). A fatal error's text ("concurrent map writes") is not in
// the report either: the runtime prints that line before it starts copying
// to the crash output, so it is on stderr only, and the record names the
// function that threw ("fatal error in internal/runtime/maps.fatal").
//
// # Where records go
//
// Each record goes, in this order, to the spool directory (WithSpoolDir), to
// the reporter's logger (one record at level Error, with the attributes of
// incident.Incident.LogAttrs plus pid, crash_time and the head of the crash
// report) and to the reporter's hook (WithReporter; FromContext tells the
// hook it runs in the monitor). The next start of the program logs the
// spooled records again as "previous run crashed", calls the hook for those
// whose hook did not return, and empties the spool: a crash loop shows up
// even when the monitor's own output was lost.
//
// # The clean-shutdown mark
//
// The runtime writes no report for os.Exit, runtime.Goexit in main,
// SIGKILL, or a SIGTERM or SIGINT the program does not handle (a service
// stops cleanly on them by returning from main). The monitor tells those from a deliberate end by a mark: Shutdown
// (deferred in main, it runs when main returns) or Exit (Shutdown, then
// os.Exit). An end without report and without mark is recorded as
// exit_without_report. A Shutdown deferred in a main that panics marks
// nothing; in a main that calls runtime.Goexit it tells the monitor, whose
// record of the program's end then has main_goexit set.
//
// # Safety
//
// The program never waits for the monitor. The crash pipe is non-blocking
// and 1 MiB large: a monitor that is stopped or gone costs a report its
// tail, never the program its exit. The monitor reads the report in
// batches, not woken for each of the runtime's writes, and runs at nice 10. The monitor is in its own process group
// and ignores SIGINT, SIGTERM, SIGHUP and SIGQUIT, so a ^C or a service
// manager's SIGTERM to the group ends the program and leaves the monitor to
// record it; it ends as soon as it has (a hook gets WithHookTimeout, 10 s
// by default), and at once, recording nothing, after a clean exit. If a
// child process holds the pipes open, the monitor sees the program's end by
// being re-parented (within 1.2 s).
//
// Under go test, call Start from TestMain and end it with Exit(m.Run()):
// the monitor is the test binary run with -test.run=^$. CGOGUARD_CRASHMONITOR=off (or Enabled(false))
// turns the monitor off. The package needs no cgo and works in static
// binaries.
package crashmonitor
