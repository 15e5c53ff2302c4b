package crashmonitor_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/crashmonitor"
	"github.com/cgoguard/cgoguard/gobindings/internal/testbinary"
	"github.com/cgoguard/cgoguard/gobindings/internal/testlog"
	"github.com/cgoguard/cgoguard/gobindings/internal/unguarded"
)

func TestMain(m *testing.M) {
	if name := os.Getenv(envScenario); name != "" {
		runScenario(name)
		os.Exit(0)
	}
	// Native frames are named from the executable's symbol table, which a
	// plain `go test` binary lacks.
	testbinary.EnsureUnstripped()
	os.Exit(m.Run())
}

// child is one run of a child program and what its monitor recorded.
type child struct {
	status         syscall.WaitStatus
	stdout, stderr string
	records        []map[string]any // the JSON log, program and monitor
	hooks          []hookLine
	exitLatency    time.Duration // from the line before the crash to the end of the process
	start          time.Duration // crashmonitor.Start in the program
	memStats       string        // the monitor's VmHWM and VmRSS
	spool          string
}

type runOpt struct {
	spool  string
	env    []string
	exe    string                                        // the program's file (default: this test binary)
	during func(t testing.TB, c *exec.Cmd, token string) // while the program runs
	after  func(t testing.TB, token string)              // once the program has ended
}

// run runs scenario in a child process and waits for it and for its
// monitor to end (a monitor that outlives it by 15 s fails the test).
func run(t testing.TB, scenario string, o runOpt) *child {
	t.Helper()
	dir := t.TempDir()
	if o.spool == "" {
		o.spool = filepath.Join(dir, "spool")
	}
	token := fmt.Sprintf("%s-%d-%d", scenario, os.Getpid(), time.Now().UnixNano())
	stdout, _ := os.Create(filepath.Join(dir, "stdout"))
	stderr, _ := os.Create(filepath.Join(dir, "stderr"))
	defer stdout.Close()
	defer stderr.Close()
	if o.exe == "" {
		o.exe = os.Args[0]
	}
	cmd := exec.Command(o.exe, "-test.run=^$")
	cmd.Env = append(os.Environ(),
		envScenario+"="+scenario,
		envLog+"="+filepath.Join(dir, "log.json"),
		envHookLog+"="+filepath.Join(dir, "hook.json"),
		envSpool+"="+o.spool,
		"CGOGUARD_CRASHMONITOR_MEMSTATS="+filepath.Join(dir, "mem"),
		"CRASHMONITOR_TEST_TOKEN="+token,
		// A race-enabled process sleeps 1 s before it exits, by default.
		"GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	cmd.Env = append(cmd.Env, o.env...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A child that hangs is killed: the test fails, it does not hang.
	watchdog := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer watchdog.Stop()
	if o.during != nil {
		o.during(t, cmd, token)
	}
	err := cmd.Wait()
	ended := time.Now()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatal(err)
	}
	if o.after != nil {
		o.after(t, token)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(processesWith(token)) > 0 {
		if time.Now().After(deadline) {
			for _, pid := range processesWith(token) {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			t.Fatalf("%s: the monitor outlived the program by 15 s", scenario)
		}
		time.Sleep(10 * time.Millisecond)
	}
	c := &child{status: cmd.ProcessState.Sys().(syscall.WaitStatus), spool: o.spool}
	c.stdout = readFile(filepath.Join(dir, "stdout"))
	c.stderr = readFile(filepath.Join(dir, "stderr"))
	c.memStats = readFile(filepath.Join(dir, "mem"))
	if log := readFile(filepath.Join(dir, "log.json")); log != "" {
		for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line is not JSON: %q", line)
			}
			c.records = append(c.records, rec)
		}
	}
	if hooks := readFile(filepath.Join(dir, "hook.json")); hooks != "" {
		for _, line := range strings.Split(strings.TrimSpace(hooks), "\n") {
			var h hookLine
			json.Unmarshal([]byte(line), &h)
			c.hooks = append(c.hooks, h)
		}
	}
	if v, ok := c.value("crash_at_ns"); ok {
		ns, _ := strconv.ParseInt(v, 10, 64)
		c.exitLatency = ended.Sub(time.Unix(0, ns))
	}
	if v, ok := c.value("start_ns"); ok {
		ns, _ := strconv.ParseInt(v, 10, 64)
		c.start = time.Duration(ns)
	}
	return c
}

// value returns the "key=value" line of the child's stdout.
func (c *child) value(key string) (string, bool) {
	sc := bufio.NewScanner(strings.NewReader(c.stdout))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+"="); ok {
			return v, true
		}
	}
	return "", false
}

// monitorRecord returns the one record the monitor logged, failing the
// test unless there is exactly one.
func (c *child) monitorRecord(t *testing.T) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, r := range c.records {
		if r["origin"] == crashmonitor.OriginCrash {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one monitor record, got %d: %v\nstderr: %s", len(found), c.records, c.stderr)
	}
	return found[0]
}

// checkRecord checks what every monitor record must hold: its kind and
// message, a well-formed incident ID and fingerprint, and a hook call with
// the same ID, kind and fingerprint.
func (c *child) checkRecord(t *testing.T, kind string) map[string]any {
	t.Helper()
	rec := c.monitorRecord(t)
	if rec["kind"] != kind || rec["msg"] != crashmonitor.Message(kind) || rec["level"] != "ERROR" {
		t.Errorf("record kind %v, msg %q, level %v; want %s, %q, ERROR", rec["kind"], rec["msg"], rec["level"], kind, crashmonitor.Message(kind))
	}
	id, _ := rec["incident_id"].(string)
	if !testlog.IncidentID.MatchString(id) {
		t.Errorf("incident_id %q", id)
	}
	fp, _ := rec["fingerprint"].(string)
	if len(fp) != 16 {
		t.Errorf("fingerprint %q", fp)
	}
	if len(c.hooks) != 1 || c.hooks[0].ID != id || c.hooks[0].Kind != kind || c.hooks[0].Fingerprint != fp {
		t.Errorf("hook calls %+v; want one with ID %s, kind %s, fingerprint %s", c.hooks, id, kind, fp)
	}
	if rec["pid"] == nil {
		t.Error("record has no pid")
	}
	return rec
}

func (c *child) exitCode(t *testing.T, want int) {
	t.Helper()
	if !c.status.Exited() || c.status.ExitStatus() != want {
		t.Errorf("child ended with %v; want exit status %d\nstderr: %s", c.status, want, c.stderr)
	}
}

func needCgo(t *testing.T) {
	if !unguarded.Available {
		t.Skip("needs cgo (native fixtures)")
	}
}

func TestUnguardedNativeFaultHasTheContainedFaultsFingerprint(t *testing.T) {
	needCgo(t)
	contained := run(t, "contained", runOpt{})
	contained.exitCode(t, 0)
	want, ok := contained.value("fingerprint")
	if !ok || want == "" {
		t.Fatalf("the contained run printed no fingerprint: %s %s", contained.stdout, contained.stderr)
	}
	if len(contained.records) != 0 {
		t.Errorf("a clean run left records: %v", contained.records)
	}
	// The same program under another file name: the program's own frames
	// enter fingerprints as "<program>", whatever the file is called.
	renamed := filepath.Join(t.TempDir(), "server-v2")
	copyFile(t, os.Args[0], renamed)
	for _, tc := range []struct{ name, scenario, exe string }{
		{"native", "native", ""},
		{"native-traceback", "native-traceback", ""},
		{"monitor-starts-late", "native-late-monitor", ""},
		{"renamed", "native", renamed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := run(t, tc.scenario, runOpt{exe: tc.exe})
			c.exitCode(t, 2) // the runtime's exit status for a fatal signal
			for _, s := range []string{"SIGSEGV: segmentation violation", "signal arrived during cgo execution"} {
				if !strings.Contains(c.stderr, s) {
					t.Errorf("stderr lacks Go's own %q:\n%s", s, c.stderr)
				}
			}
			rec := c.checkRecord(t, crashmonitor.KindNativeCrash)
			if rec["fingerprint"] != want {
				t.Errorf("crashed fingerprint %v, contained %s (native frames %v)", rec["fingerprint"], want, rec["native_frames"])
			}
			if rec["signal"] != "SIGSEGV" || rec["fault_addr"] != fmt.Sprintf("%#x", 0x10) {
				t.Errorf("signal %v, fault_addr %v", rec["signal"], rec["fault_addr"])
			}
			frames, _ := rec["native_frames"].([]any)
			if len(frames) == 0 || !strings.HasPrefix(fmt.Sprint(frames[0]), "cgg_fx_null_write+0x") {
				t.Errorf("native_frames %v; want cgg_fx_null_write first", frames)
			}
			mods, _ := rec["native_modules"].([]any)
			if len(mods) == 0 || mods[0].(map[string]any)["build_id"] == "" {
				t.Errorf("native_modules %v; want the build ID", mods)
			}
			stack, _ := rec["go_stack"].([]any)
			if len(stack) == 0 || !strings.Contains(fmt.Sprint(stack[0]), "unguarded.NullWrite") {
				t.Errorf("go_stack %v; want unguarded.NullWrite first", stack)
			}
			t.Logf("record: %v", rec)
			t.Logf("start %v, exit latency %v, monitor %s", c.start, c.exitLatency, strings.ReplaceAll(c.memStats, "\n", " "))
		})
	}
}

// A fault in a static function of a cgo preamble: its code is cgo's
// wrapper's, and the record still names the faulting frame.
func TestFaultInsideCgosWrapperKeepsItsFrame(t *testing.T) {
	needCgo(t)
	c := run(t, "native-preamble", runOpt{})
	c.exitCode(t, 2)
	rec := c.checkRecord(t, crashmonitor.KindNativeCrash)
	frames, _ := rec["native_frames"].([]any)
	if len(frames) != 1 || !strings.Contains(fmt.Sprint(frames[0]), "_Cfunc_preamble_null_write+0x") {
		t.Errorf("native_frames %v; want the wrapper the fault is in", frames)
	}
	mods, _ := rec["native_modules"].([]any)
	if len(mods) != 1 || mods[0].(map[string]any)["module"] != filepath.Base(os.Args[0]) {
		t.Errorf("native_modules %v; want the program", mods)
	}
}

// A static binary, with cgo (glibc linked in) and without: the monitor
// starts and records the crash; with cgo, the native frame is named from
// the binary's own symbol table.
func TestStaticBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	for _, tc := range []struct {
		name, crash, kind string
		env, flags        []string
	}{
		{"cgo-static", "native", crashmonitor.KindNativeCrash, []string{"CGO_ENABLED=1"}, []string{"-ldflags=-linkmode=external -extldflags=-static"}},
		{"no-cgo", "panic", crashmonitor.KindUnrecoveredPanic, []string{"CGO_ENABLED=0"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.crash == "native" && !unguarded.Available {
				t.Skip("needs cgo")
			}
			bin := filepath.Join(t.TempDir(), "program")
			build := exec.Command(goTool, append(append([]string{"build", "-o", bin}, tc.flags...), "./testdata/program")...)
			build.Env = append(os.Environ(), tc.env...)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			if out, _ := exec.Command("readelf", "-lW", bin).Output(); bytes.Contains(out, []byte("INTERP")) {
				t.Fatalf("%s is not static", bin)
			}
			cmd := exec.Command(bin, tc.crash)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			cmd.Env = append(os.Environ(), crashmonitor.EnvDisable+"=on")
			watchdog := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
			err := cmd.Run()
			watchdog.Stop()
			if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || st.ExitStatus() != 2 {
				t.Fatalf("program ended with %v; want exit status 2\n%s", err, stderr.String())
			}
			// Run returns once the monitor too has closed stderr.
			var rec map[string]any
			for _, line := range strings.Split(stderr.String(), "\n") {
				var r map[string]any
				if json.Unmarshal([]byte(line), &r) == nil && r["origin"] == crashmonitor.OriginCrash {
					rec = r
				}
			}
			if rec == nil || rec["kind"] != tc.kind {
				t.Fatalf("record %v; want kind %s\n%s", rec, tc.kind, stderr.String())
			}
			if tc.crash == "native" {
				frames, _ := rec["native_frames"].([]any)
				if len(frames) == 0 || !strings.HasPrefix(fmt.Sprint(frames[0]), "cgg_fx_null_write+0x") {
					t.Errorf("native_frames %v", frames)
				}
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestAbortOutsideAGuard(t *testing.T) {
	needCgo(t)
	c := run(t, "abort", runOpt{})
	c.exitCode(t, 2)
	if !strings.Contains(c.stderr, "SIGABRT: abort") {
		t.Errorf("stderr lacks Go's report:\n%s", c.stderr)
	}
	rec := c.checkRecord(t, crashmonitor.KindAbort)
	if rec["signal"] != "SIGABRT" || rec["fault_code"] != float64(-6) { // SI_TKILL
		t.Errorf("signal %v, fault_code %v", rec["signal"], rec["fault_code"])
	}
	again := run(t, "abort", runOpt{}).checkRecord(t, crashmonitor.KindAbort)
	if again["fingerprint"] != rec["fingerprint"] {
		t.Errorf("two runs of one abort gave fingerprints %v and %v", rec["fingerprint"], again["fingerprint"])
	}
	// Through a C library without frame pointers the report holds the
	// faulting pc in libc alone, so the contained abort's fingerprint
	// (which names abort's caller) is not expected here.
	contained := run(t, "contained-abort", runOpt{})
	fp, _ := contained.value("fingerprint")
	t.Logf("record: %v; contained abort's fingerprint %s", rec, fp)
}

func TestGoFatalError(t *testing.T) {
	var fps []any
	for i := 0; i < 2; i++ {
		c := run(t, "fatal", runOpt{})
		c.exitCode(t, 2)
		rec := c.checkRecord(t, crashmonitor.KindFatalError)
		if rec["error"] != "fatal error in internal/runtime/maps.fatal" {
			t.Errorf("error %q", rec["error"])
		}
		stack, _ := rec["go_stack"].([]any)
		if len(stack) == 0 || !strings.Contains(fmt.Sprint(stack[0]), "concurrentMapWrites.func1") {
			t.Errorf("go_stack %v; want the writing goroutine first", stack)
		}
		fps = append(fps, rec["fingerprint"])
		if i == 0 {
			t.Logf("record: %v", rec)
		}
	}
	if fps[0] != fps[1] {
		t.Errorf("two runs of one fatal error gave fingerprints %v", fps)
	}
}

func TestUnrecoveredPanicHasTheRecoveredPanicsFingerprint(t *testing.T) {
	for _, tc := range []struct{ scenario, message string }{
		{"panic", "panic: boom"},
		{"panic-main", "panic: boom"},
		{"panic-index", "panic: runtime error: index out of range [5] with length 0"},
		{"panic-nil-map", "panic: assignment to entry in nil map"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			contained := run(t, "contained-"+tc.scenario, runOpt{})
			contained.exitCode(t, 0)
			want, _ := contained.value("fingerprint")
			c := run(t, tc.scenario, runOpt{})
			c.exitCode(t, 2)
			if !strings.Contains(c.stderr, tc.message) {
				t.Errorf("stderr lacks Go's report:\n%s", c.stderr)
			}
			rec := c.checkRecord(t, crashmonitor.KindUnrecoveredPanic)
			if rec["fingerprint"] != want {
				t.Errorf("unrecovered fingerprint %v, recovered %s; stack %v", rec["fingerprint"], want, rec["go_stack"])
			}
			if rec["error"] != tc.message {
				t.Errorf("error %q", rec["error"])
			}
			t.Logf("record: %v", rec)
		})
	}
}

func TestExitWithoutACrashReport(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		check    func(*testing.T, *child)
	}{
		{"os-exit", func(t *testing.T, c *child) { c.exitCode(t, 4) }},
		{"sigkill", func(t *testing.T, c *child) {
			if !c.status.Signaled() || c.status.Signal() != syscall.SIGKILL {
				t.Errorf("child ended with %v; want SIGKILL", c.status)
			}
		}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			c := run(t, tc.scenario, runOpt{})
			tc.check(t, c)
			rec := c.checkRecord(t, crashmonitor.KindExitWithoutReport)
			if rec["fingerprint"] != cgoguard.Fingerprint(crashmonitor.KindExitWithoutReport, nil) {
				t.Errorf("fingerprint %v", rec["fingerprint"])
			}
			t.Logf("record: %v", rec)
		})
	}
}

// runtime.Goexit in main: the deferred Shutdown tells the monitor, and the
// program (which its other goroutines keep alive: the runtime's deadlock
// check is off with cgo, and os/signal's goroutine counts without) is ended
// by a liveness check's SIGKILL.
func TestGoexitInMain(t *testing.T) {
	c := run(t, "goexit", runOpt{during: func(t testing.TB, c *exec.Cmd, token string) {
		monitorPID(t, c, token)
		time.Sleep(500 * time.Millisecond)
		c.Process.Kill()
	}})
	rec := c.checkRecord(t, crashmonitor.KindExitWithoutReport)
	if rec["main_goexit"] != true || rec["error"] != "exited without a crash report after main called runtime.Goexit" {
		t.Errorf("record %v; want main_goexit", rec)
	}
	t.Logf("record: %v", rec)
}

// kill -QUIT: the runtime's report of a fatal signal outside cgo.
func TestFatalSignal(t *testing.T) {
	c := run(t, "wait", runOpt{during: func(t testing.TB, c *exec.Cmd, token string) {
		monitorPID(t, c, token)
		c.Process.Signal(syscall.SIGQUIT)
	}})
	c.exitCode(t, 2)
	rec := c.checkRecord(t, crashmonitor.KindSignal)
	if rec["signal"] != "SIGQUIT" || !strings.HasPrefix(fmt.Sprint(rec["error"]), "cgoguard: native fault: SIGQUIT: quit") {
		t.Errorf("signal %v, error %v", rec["signal"], rec["error"])
	}
	t.Logf("record: %v", rec)
}

func TestCleanExitLeavesNoRecordAndNoProcess(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		code     int
	}{{"clean", 0}, {"exit-clean", 3}} {
		t.Run(tc.scenario, func(t *testing.T) {
			c := run(t, tc.scenario, runOpt{}) // run fails the test if the monitor stays
			c.exitCode(t, tc.code)
			if len(c.records) != 0 || len(c.hooks) != 0 {
				t.Errorf("a clean exit left records %v, hook calls %v", c.records, c.hooks)
			}
			if names, _ := filepath.Glob(filepath.Join(c.spool, "*")); len(names) != 0 {
				t.Errorf("a clean exit left spool files %v", names)
			}
			t.Logf("start %v, monitor %s", c.start, strings.ReplaceAll(c.memStats, "\n", " "))
		})
	}
}

func TestNextStartReportsThePreviousCrash(t *testing.T) {
	spool := t.TempDir()
	crashed := run(t, "fatal", runOpt{spool: spool})
	rec := crashed.checkRecord(t, crashmonitor.KindFatalError)
	if names, _ := filepath.Glob(filepath.Join(spool, "*.json")); len(names) != 1 {
		t.Fatalf("spool holds %v; want the crash's record", names)
	}
	next := run(t, "clean", runOpt{spool: spool})
	var prev []map[string]any
	for _, r := range next.records {
		if r["msg"] == crashmonitor.MessagePreviousRun {
			prev = append(prev, r)
		}
	}
	if len(prev) != 1 || prev[0]["incident_id"] != rec["incident_id"] || prev[0]["fingerprint"] != rec["fingerprint"] ||
		prev[0]["kind"] != crashmonitor.KindFatalError || prev[0]["crash"] != crashmonitor.Message(crashmonitor.KindFatalError) {
		t.Errorf("next start logged %v; want one %q record of incident %v", next.records, crashmonitor.MessagePreviousRun, rec["incident_id"])
	}
	if len(next.hooks) != 0 {
		t.Errorf("the hook ran again for a delivered record: %+v", next.hooks)
	}
	if names, _ := filepath.Glob(filepath.Join(spool, "*")); len(names) != 0 {
		t.Errorf("spool not emptied: %v", names)
	}
}

// monitorPID finds the monitor of the program that carries token, once it
// runs the monitor's code.
func monitorPID(t testing.TB, c *exec.Cmd, token string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, pid := range processesWith(token) {
			if pid != c.Process.Pid && ignoresSIGHUP(pid) {
				return pid
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no monitor process")
	return 0
}

// ignoresSIGHUP tells whether process pid ignores SIGHUP: a monitor does
// once it runs its own code (before that it is the Go runtime starting,
// and a SIGHUP, which the kernel sends a stopped process whose parent
// dies, would end it).
func ignoresSIGHUP(pid int) bool {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "SigIgn:"); ok {
			mask, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return mask&(1<<(syscall.SIGHUP-1)) != 0
		}
	}
	return false
}

// A monitor that is stopped (or gone) costs the crashing program nothing:
// it ends by itself, with Go's whole report on stderr, while the monitor
// reads nothing (a stopped monitor is continued only once the program has
// ended; a program that waited for it would be killed by run's watchdog).
func TestMonitorThatDoesNotReadNeverHoldsTheProgram(t *testing.T) {
	needCgo(t)
	for _, how := range []syscall.Signal{syscall.SIGSTOP, syscall.SIGKILL} {
		t.Run(how.String(), func(t *testing.T) {
			var mon int
			c := run(t, "native-when-told", runOpt{during: func(t testing.TB, c *exec.Cmd, token string) {
				mon = monitorPID(t, c, token)
				syscall.Kill(mon, how)
				c.Process.Signal(syscall.SIGUSR1) // now crash
			}, after: func(t testing.TB, token string) {
				if how == syscall.SIGSTOP {
					syscall.Kill(mon, syscall.SIGCONT)
				}
			}})
			c.exitCode(t, 2)
			if !strings.Contains(c.stderr, "SIGSEGV: segmentation violation") || !strings.Contains(c.stderr, "goroutine 5000 ") {
				t.Errorf("stderr lacks Go's report or its tail (%d bytes)", len(c.stderr))
			}
			if how == syscall.SIGSTOP {
				// Its report's head was in the pipe: the monitor records it
				// once it runs again.
				c.checkRecord(t, crashmonitor.KindNativeCrash)
			}
			t.Logf("exit latency %v, stderr %d bytes", c.exitLatency, len(c.stderr))
		})
	}
}

// A clean end after the monitor died: Shutdown's write to the control
// pipe fails (no SIGPIPE: not stdout or stderr) and the program exits 0.
func TestCleanExitAfterTheMonitorDied(t *testing.T) {
	c := run(t, "clean-when-told", runOpt{during: func(t testing.TB, c *exec.Cmd, token string) {
		mon := monitorPID(t, c, token)
		syscall.Kill(mon, syscall.SIGKILL)
		for len(processesWith(token)) > 1 {
			time.Sleep(5 * time.Millisecond) // until it is gone (a zombie has no environment)
		}
		c.Process.Signal(syscall.SIGUSR1)
	}})
	c.exitCode(t, 0)
	if len(c.records) != 0 {
		t.Errorf("records %v", c.records)
	}
}

func TestSlowHookDoesNotKeepTheMonitor(t *testing.T) {
	needCgo(t)
	c := run(t, "slow-hook", runOpt{}) // fails if the monitor stays 15 s
	rec := c.monitorRecord(t)
	found := false
	for _, r := range c.records {
		if r["msg"] == "crash monitor: incident callback timed out" && r["incident_id"] == rec["incident_id"] {
			found = true
		}
	}
	if !found {
		t.Errorf("no time-out record: %v", c.records)
	}
	if names, _ := filepath.Glob(filepath.Join(c.spool, "*.json")); len(names) != 1 {
		t.Errorf("spool %v; want the undelivered record kept for the next start", names)
	}
	// The next start logs it and calls its (working) hook, marked Previous.
	next := run(t, "clean", runOpt{spool: c.spool})
	if len(next.hooks) != 1 || next.hooks[0].ID != rec["incident_id"] || !next.hooks[0].Previous ||
		next.hooks[0].Fingerprint != rec["fingerprint"] || next.hooks[0].Kind != crashmonitor.KindNativeCrash {
		t.Errorf("next start's hook calls %+v; want one of incident %v, Previous", next.hooks, rec["incident_id"])
	}
	if names, _ := filepath.Glob(filepath.Join(c.spool, "*")); len(names) != 0 {
		t.Errorf("spool not emptied: %v", names)
	}
}

// The monitor's memory is bounded: its peak RSS, recording a crash whose
// report fills the 1 MiB pipe (5000 goroutines), or seeing a clean exit.
func TestMonitorMemoryIsBounded(t *testing.T) {
	needCgo(t)
	for _, scenario := range []string{"native-big-report", "clean"} {
		c := run(t, scenario, runOpt{})
		kb := vmHWM(c.memStats)
		if kb == 0 || kb > 64<<10 {
			t.Errorf("%s: monitor peak RSS %d KiB (want at most 64 MiB); %s", scenario, kb, c.memStats)
		}
		t.Logf("%s: monitor %s", scenario, strings.ReplaceAll(c.memStats, "\n", " "))
	}
}

// BenchmarkCosts measures, per iteration, a crashing program with its
// monitor and the same program without one (CGOGUARD_CRASHMONITOR=off), in
// the same run: Start's time in the program (median), the exit latency from
// the line before the crash to the end of the process (medians and their
// ratio), and the monitor's peak RSS (the largest seen).
//
//	go test -run '^$' -bench Costs -benchtime 20x ./crashmonitor/
func BenchmarkCosts(b *testing.B) {
	if !unguarded.Available {
		b.Skip("needs cgo (native fixtures)")
	}
	var with, without, starts []time.Duration
	hwm := 0
	for i := 0; i < b.N; i++ {
		c := run(b, "native", runOpt{})
		if len(c.records) != 1 {
			b.Fatalf("monitor records %v", c.records)
		}
		with = append(with, c.exitLatency)
		starts = append(starts, c.start)
		hwm = max(hwm, vmHWM(c.memStats))
		d := run(b, "native", runOpt{env: []string{crashmonitor.EnvDisable + "=off"}})
		if len(d.records) != 0 {
			b.Fatalf("a disabled monitor recorded %v", d.records)
		}
		without = append(without, d.exitLatency)
	}
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	b.ReportMetric(ms(median(starts)), "start-ms")
	b.ReportMetric(ms(median(with)), "exit-with-ms")
	b.ReportMetric(ms(median(without)), "exit-without-ms")
	b.ReportMetric(float64(median(with))/float64(median(without)), "exit-ratio")
	b.ReportMetric(float64(hwm), "monitor-hwm-KiB")
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func vmHWM(stats string) int {
	for _, l := range strings.Split(stats, "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

// processesWith lists the processes whose environment holds token.
func processesWith(token string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	needle := []byte("CRASHMONITOR_TEST_TOKEN=" + token + "\x00")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err == nil && bytes.Contains(env, needle) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
