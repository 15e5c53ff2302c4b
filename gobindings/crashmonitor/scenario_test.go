package crashmonitor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/crashmonitor"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/internal/unguarded"
)

// Environment of a child program (the test binary re-executed): the
// scenario to run, its JSON log file, the file its hook appends to and the
// spool directory.
const (
	envScenario = "CRASHMONITOR_TEST_SCENARIO"
	envLog      = "CRASHMONITOR_TEST_LOG"
	envHookLog  = "CRASHMONITOR_TEST_HOOK"
	envSpool    = "CRASHMONITOR_TEST_SPOOL"
)

// hookLine is what the child's hook writes per incident.
type hookLine struct {
	ID, Kind, Fingerprint, Signal string
	Previous                      bool
	NativeFrames                  int
}

// runScenario is the child program's main. The code before Start runs in
// the monitor too (it is the same program): it only sets up the log.
func runScenario(name string) {
	logFile, err := os.OpenFile(os.Getenv(envLog), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		panic(err)
	}
	logger := slog.New(slog.NewJSONHandler(logFile, nil))
	hook := func(ctx context.Context, inc *incident.Incident) {
		c, ok := crashmonitor.FromContext(ctx)
		f, err := os.OpenFile(os.Getenv(envHookLog), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return
		}
		defer f.Close()
		line := hookLine{ID: inc.ID, Kind: string(inc.Kind), Fingerprint: inc.Fingerprint, Signal: inc.Signal(), Previous: ok && c.Previous}
		if inc.Fault != nil {
			line.NativeFrames = len(inc.Fault.Frames)
		}
		json.NewEncoder(f).Encode(line)
	}
	opts := []crashmonitor.Option{
		crashmonitor.WithReporter(incident.Reporter{Logger: logger, OnIncident: hook}),
		crashmonitor.WithSpoolDir(os.Getenv(envSpool)),
	}
	if name == "slow-hook" {
		opts = append(opts, crashmonitor.WithHookTimeout(200*time.Millisecond),
			crashmonitor.WithReporter(incident.Reporter{Logger: logger, OnIncident: func(context.Context, *incident.Incident) {
				select {} // a tracker that never answers
			}}))
	}
	if name == "native-late-monitor" && os.Getenv(crashmonitor.EnvMonitor) != "" {
		time.Sleep(300 * time.Millisecond) // the code before Start runs in the monitor too
	}
	told := make(chan os.Signal, 1)
	signal.Notify(told, syscall.SIGUSR1) // before Start: the test signals once the monitor runs
	t0 := time.Now()
	if err := crashmonitor.Start(opts...); err != nil {
		fmt.Println("start error:", err)
		os.Exit(9)
	}
	fmt.Printf("start_ns=%d\n", time.Since(t0).Nanoseconds())
	defer crashmonitor.Shutdown()

	crashAt := func() { fmt.Printf("crash_at_ns=%d\n", time.Now().UnixNano()) }
	switch name {
	case "native", "slow-hook":
		cgoguard.Init()
		crashAt()
		unguarded.NullWrite()
	case "native-traceback":
		if err := cgoguard.Init(cgoguard.WithCgoTraceback()); err != nil {
			panic(err)
		}
		crashAt()
		unguarded.NullWrite()
	case "native-preamble":
		cgoguard.Init()
		crashAt()
		unguarded.PreambleNullWrite()
	case "native-late-monitor":
		// The program is gone before its monitor runs: the monitor names
		// the frames from the modules the program had at Start.
		cgoguard.Init()
		crashAt()
		unguarded.NullWrite()
	case "contained":
		fmt.Printf("fingerprint=%s\n", containedFingerprint(false))
	case "native-when-told", "native-big-report":
		// Many parked goroutines: a crash report larger than the pipe.
		for i := 0; i < 5000; i++ {
			go func() { select {} }()
		}
		if name == "native-when-told" {
			<-told
		}
		crashAt()
		unguarded.NullWrite()
	case "abort":
		cgoguard.Init()
		crashAt()
		unguarded.Abort()
	case "abort-traceback":
		cgoguard.Init(cgoguard.WithCgoTraceback())
		crashAt()
		unguarded.Abort()
	case "contained-abort":
		fmt.Printf("fingerprint=%s\n", containedFingerprint(true))
	case "fatal":
		crashAt()
		concurrentMapWrites()
	case "panic", "contained-panic", "panic-index", "contained-panic-index", "panic-nil-map", "contained-panic-nil-map",
		"panic-main", "contained-panic-main":
		site := panicSite
		if strings.HasSuffix(name, "-index") {
			site = indexSite
		} else if strings.HasSuffix(name, "-nil-map") {
			site = nilMapSite
		}
		done := make(chan struct{})
		crashAt()
		if strings.HasSuffix(name, "-main") { // on the main goroutine, whose stack ends in runtime.main
			panicWorker(strings.HasPrefix(name, "contained-"), site, done)
		} else {
			go panicWorker(strings.HasPrefix(name, "contained-"), site, done)
		}
		<-done
	case "os-exit":
		crashAt()
		libraryExit()
	case "sigkill":
		crashAt()
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	case "wait":
		select {}
	case "clean-when-told":
		<-told
	case "goexit":
		crashAt()
		runtime.Goexit()
	case "exit-clean":
		crashmonitor.Exit(3)
	case "clean":
	default:
		panic("unknown scenario " + name)
	}
}

//go:noinline
func libraryExit() { os.Exit(4) }

// concurrentMapWrites writes one map from several goroutines until the
// runtime notices ("fatal error: concurrent map writes").
func concurrentMapWrites() {
	m := map[int]int{}
	for i := 0; i < 4; i++ {
		go func() {
			for j := 0; ; j++ {
				m[j%64] = j
			}
		}()
	}
	select {}
}

// panicWorker panics at site; with recoverIt the panic is recovered and
// its incident's fingerprint printed.
//
//go:noinline
func panicWorker(recoverIt bool, site func(), done chan struct{}) {
	if recoverIt {
		defer func() {
			inc := incident.FromPanic(recover())
			fmt.Printf("fingerprint=%s\n", inc.Fingerprint)
			close(done)
		}()
	}
	site()
}

//go:noinline
func panicSite() { panic("boom") }

var sink []int

//go:noinline
func indexSite() { sink[len(sink)+5]++ }

var nilMap map[string]int

//go:noinline
func nilMapSite() { nilMap["x"] = 1 }
