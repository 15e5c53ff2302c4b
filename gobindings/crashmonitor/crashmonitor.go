package crashmonitor

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// Environment variables. EnvMonitor and envProgramPID are set by Start on
// the monitor it runs; EnvDisable is for users.
const (
	// EnvMonitor marks the re-executed program as the monitor.
	EnvMonitor = "CGOGUARD_CRASHMONITOR_MONITOR"
	// EnvDisable, set to "off" (or "0"), makes Start do nothing: for
	// development runs, debuggers and tests that must not spawn a monitor.
	EnvDisable = "CGOGUARD_CRASHMONITOR"

	envProgramPID = "CGOGUARD_CRASHMONITOR_PID"
	// envMemStats names a file the monitor writes its peak RSS (VmHWM)
	// into before it exits: a diagnostic for measuring the monitor.
	envMemStats = "CGOGUARD_CRASHMONITOR_MEMSTATS"
)

// File descriptors of the monitor's two pipes (os/exec's ExtraFiles start at 3).
const (
	crashFD   = 3 // the program's crash report (runtime/debug.SetCrashOutput)
	controlFD = 4 // the program's clean-shutdown mark
	mapsFD    = 5 // the program's /proc/self/maps at Start
)

// maxMaps bounds the maps text Start hands the monitor: what a pipe holds
// without a reader (a program's maps are a few KiB).
const maxMaps = 64 << 10

// Marks Shutdown writes on the control pipe: a clean end, or a main that
// is ending by runtime.Goexit.
const (
	cleanMark  = "clean-shutdown\n"
	goexitMark = "main-goexit\n"
)

// ErrStarted is returned by a second Start in one process.
var ErrStarted = errors.New("crashmonitor: already started")

// Option configures Start.
type Option func(*config)

type config struct {
	reporter    incident.Reporter
	spoolDir    string
	noSpool     bool
	hookTimeout time.Duration
	disabled    bool
}

// WithReporter sets where the monitor sends its records: the reporter's
// Logger (nil: slog.Default() as the monitor process sets it up, i.e. as
// main configured it before Start) and its OnIncident hook (otelguard,
// sentryguard.Record). The reporter's log budget and clusters are not
// used: each crash is one record.
func WithReporter(r incident.Reporter) Option { return func(c *config) { c.reporter = r } }

// WithSpoolDir sets the spool directory: the monitor writes every record
// there before it logs it, and the next Start of the program logs what it
// finds as "previous run crashed" (and calls the hook for records whose
// hook had not returned), then removes them. The default is
// <os.UserCacheDir()>/cgoguard-crashes/<executable name> (the temporary
// directory when there is no cache directory). An empty dir disables the
// spool.
func WithSpoolDir(dir string) Option {
	return func(c *config) { c.spoolDir, c.noSpool = dir, dir == "" }
}

// WithHookTimeout bounds how long the monitor waits for the reporter's hook
// per record (default 10 s): a hook that hangs (a tracker that does not
// answer) does not keep the monitor process alive.
func WithHookTimeout(d time.Duration) Option { return func(c *config) { c.hookTimeout = d } }

// Enabled(false) makes Start do nothing (as EnvDisable does): for example
// Enabled(!debugMode).
func Enabled(on bool) Option { return func(c *config) { c.disabled = !on } }

var (
	startMu sync.Mutex
	started bool
	control *os.File // write end of the control pipe; nil when not started
)

// Start starts the crash monitor. Call it at the top of main, after setting
// up logging and the reporter's hooks (sentry.Init) and before anything
// else: Start re-executes the program, and in that second process (the
// monitor) it never returns, so the code before it runs twice.
//
// The program then runs as before. When it dies, the monitor reads the
// crash report the Go runtime writes (runtime/debug.SetCrashOutput), turns
// it into one incident record and sends it to the spool, the log and the
// hook (see the package documentation for the kinds). An exit without
// Shutdown's mark and without a crash report (os.Exit from a library,
// SIGKILL, the OOM killer) is recorded as "program exited without a crash
// report".
//
// Start costs the program a fork and exec of its own executable and a read
// of /proc/self/maps (0.7 ms) and nothing afterwards: no goroutine, no
// timer. It returns an error when the monitor cannot be started (the
// program then runs unmonitored), ErrStarted on a second call, and nil
// without starting anything when disabled (Enabled(false),
// CGOGUARD_CRASHMONITOR=off).
//
// Under go test, call it from TestMain before m.Run, and end TestMain with
// Exit(m.Run()): the monitor is the test binary re-executed with
// -test.run=^$, so it runs no test and becomes the monitor when TestMain
// calls Start.
func Start(opts ...Option) error {
	cfg := config{hookTimeout: 10 * time.Second}
	for _, opt := range opts {
		opt(&cfg)
	}
	if os.Getenv(EnvMonitor) != "" {
		os.Exit(runMonitor(&cfg)) // the monitor process: never returns
	}
	if cfg.disabled || disabledByEnv() {
		return nil
	}
	startMu.Lock()
	defer startMu.Unlock()
	if started {
		return ErrStarted
	}
	if err := startMonitor(&cfg); err != nil {
		return fmt.Errorf("crashmonitor: %w", err)
	}
	started = true
	return nil
}

func disabledByEnv() bool {
	switch strings.ToLower(os.Getenv(EnvDisable)) {
	case "off", "0", "false", "no":
		return true
	}
	return false
}

func startMonitor(cfg *config) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	crashR, crashW, err := os.Pipe()
	if err != nil {
		return err
	}
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		crashR.Close()
		crashW.Close()
		return err
	}
	defer crashR.Close()
	defer ctlR.Close()
	// The program's modules as they are now, for a monitor that starts
	// reading only after the program is gone (a crash right after Start):
	// /proc/<pid>/maps is gone with it.
	mapsR, err := startMaps()
	if err != nil {
		crashW.Close()
		ctlW.Close()
		return err
	}
	defer mapsR.Close()
	args := os.Args[1:]
	if flag.Lookup("test.run") != nil {
		// A test binary: the monitor runs no test, no benchmark, no fuzzing.
		args = append(append([]string(nil), args...), "-test.run=^$", "-test.bench=^$", "-test.fuzz=")
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), EnvMonitor+"=1", envProgramPID+"="+strconv.Itoa(os.Getpid()))
	cmd.ExtraFiles = []*os.File{crashR, ctlR, mapsR}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// Its own process group: a terminal's ^C ends the program, and the
	// monitor is left to report it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		crashW.Close()
		ctlW.Close()
		return err
	}
	// Never waited for: the monitor ends after the program. If it ends
	// first it stays a zombie until the program exits, which costs nothing.
	cmd.Process.Release()

	fd := int(crashW.Fd()) // Fd puts the pipe in blocking mode
	if err := debug.SetCrashOutput(crashW, debug.CrashOptions{}); err != nil {
		crashW.Close()
		ctlW.Close()
		return err
	}
	// The runtime writes the crash report through its own duplicate of fd,
	// which shares this file status: non-blocking, a monitor that does not
	// read (stopped, gone) never stalls the dying program; a report larger
	// than the pipe loses its tail. The pipe is enlarged so that the whole
	// of a usual report fits without the monitor's help.
	syscall.SetNonblock(fd, true)
	growPipe(fd)
	crashW.Close()
	control = ctlW
	return nil
}

// startMaps returns the read end of a pipe that holds the program's
// /proc/self/maps (its head, if larger than maxMaps).
func startMaps() (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer w.Close()
	if f, err := os.Open("/proc/self/maps"); err == nil {
		b, _ := io.ReadAll(io.LimitReader(f, maxMaps))
		f.Close()
		w.Write(b) // fits: a pipe holds 64 KiB
	}
	return r, nil
}

// Shutdown marks the program's exit as clean: the monitor records nothing
// when the program then ends without a crash report. Call it where the
// program decides to end: `defer crashmonitor.Shutdown()` right after
// Start (it runs when main returns), and before an os.Exit of the
// program's own (or use Exit). A Shutdown deferred in a main that is
// panicking marks nothing: the panic's crash report is recorded.
// runtime.Goexit in main runs the deferred Shutdown too, which then tells
// the monitor so instead of marking a clean end; the program goes on with
// its other goroutines (a cgo program never ends by itself then: the
// runtime's deadlock check is off with cgo), and its end is recorded as
// exit_without_report with main_goexit set.
//
// A crash after Shutdown (a goroutine that panics while the program winds
// down) is still recorded. Shutdown never blocks; it is a no-op when Start
// did not start a monitor.
func Shutdown() {
	mark := cleanMark
	switch unwinding() {
	case "runtime.gopanic":
		return // the panic's report follows
	case "runtime.Goexit":
		mark = goexitMark
	}
	startMu.Lock()
	defer startMu.Unlock()
	if control != nil {
		control.Write([]byte(mark)) // an error: the monitor is gone; nothing to tell
	}
}

// Exit marks the exit as clean (Shutdown) and ends the program with
// os.Exit(code): the program's own decision to stop, whatever the code.
func Exit(code int) {
	Shutdown()
	os.Exit(code)
}

// unwinding tells whether the caller runs in a deferred call of a panic
// ("runtime.gopanic") or of runtime.Goexit ("runtime.Goexit"), or neither ("").
func unwinding() string {
	var pcs [64]uintptr
	n := runtime.Callers(2, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		fr, more := frames.Next()
		switch fr.Function {
		case "runtime.gopanic", "runtime.Goexit":
			return fr.Function
		}
		if !more {
			return ""
		}
	}
}

// Crash describes the crash a monitor record comes from; hooks reach it
// with FromContext.
type Crash struct {
	// PID is the crashed program's process ID.
	PID int
	// Time is when the monitor saw the program end.
	Time time.Time
	// Previous is true when the record is reported by a later start of the
	// program, from the spool (its own monitor could not deliver it).
	Previous bool
	// Report is the head of the runtime's crash report (at most 64 KiB),
	// empty for an exit without one.
	Report string
}

type crashKey struct{}

// FromContext returns the crash of a monitor record, when ctx is the
// context the monitor passes to the reporter's hook.
func FromContext(ctx context.Context) (*Crash, bool) {
	c, ok := ctx.Value(crashKey{}).(*Crash)
	return c, ok
}

func spoolDirOf(cfg *config) string {
	if cfg.spoolDir != "" {
		return cfg.spoolDir
	}
	base := os.TempDir()
	if dir, err := os.UserCacheDir(); err == nil {
		base = dir
	}
	name := "program"
	if exe, err := os.Executable(); err == nil {
		name = filepath.Base(exe)
	}
	return filepath.Join(base, "cgoguard-crashes", name)
}
