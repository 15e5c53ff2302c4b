package crashmonitor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// The kinds of a monitor record (its incident's Kind).
const (
	// KindNativeCrash: a native fault in a cgo call that no guard
	// contained (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP).
	KindNativeCrash = "native_crash"
	// KindAbort: abort() (a failed assert, a C++ terminate, glibc's heap
	// checks) in a cgo call outside a guard.
	KindAbort = "abort"
	// KindFatalError: a Go fatal error ("concurrent map writes", "out of
	// memory", a deadlock).
	KindFatalError = "fatal_error"
	// KindUnrecoveredPanic: a Go panic that no recover stopped.
	KindUnrecoveredPanic = "unrecovered_panic"
	// KindSignal: a fatal signal the runtime reported outside a cgo call
	// (kill -QUIT, a signal sent by another process).
	KindSignal = "signal"
	// KindExitWithoutReport: the program ended with no crash report and
	// without Shutdown's mark: os.Exit from a library, runtime.Goexit in
	// main, SIGKILL (the OOM killer, an orchestrator's kill).
	KindExitWithoutReport = "exit_without_report"
)

// OriginCrash is the Origin of a monitor record's incident.
const OriginCrash = "crash"

// MessagePreviousRun is the message of a record that a later start of the
// program logs from the spool.
const MessagePreviousRun = "previous run crashed"

// Messages of the records the monitor logs, by kind.
var messages = map[string]string{
	KindNativeCrash:       "program crashed: unguarded native fault",
	KindAbort:             "program crashed: abort() outside a guard",
	KindFatalError:        "program crashed: Go fatal error",
	KindUnrecoveredPanic:  "program crashed: unrecovered panic",
	KindSignal:            "program crashed: fatal signal",
	KindExitWithoutReport: "program exited without a crash report",
}

// Message returns the log message of a monitor record of kind.
func Message(kind string) string { return messages[kind] }

// maxReport bounds the crash report the monitor keeps (its head: the crashing
// goroutine comes first); the rest is read and dropped.
const maxReport = 1 << 20

// maxReportInRecord bounds the crash report's head kept in the record.
const maxReportInRecord = 64 << 10

// maxSpooled bounds the records a spool holds (the oldest go first).
const maxSpooled = 32

// record is a monitor record as the spool keeps it.
type record struct {
	ID          string           `json:"incident_id"`
	Kind        string           `json:"kind"`
	Fingerprint string           `json:"fingerprint"`
	Message     string           `json:"message"`
	Time        time.Time        `json:"time"`
	PID         int              `json:"pid"`
	Signal      int              `json:"signal,omitempty"`
	Code        int              `json:"code,omitempty"`
	Addr        uint64           `json:"addr,omitempty"`
	PC          uint64           `json:"pc,omitempty"`
	Native      []cgoguard.Frame `json:"native,omitempty"`
	GoStack     []cgoguard.Frame `json:"go_stack,omitempty"`
	Report      string           `json:"report,omitempty"`
	MainGoexit  bool             `json:"main_goexit,omitempty"`
	Delivered   bool             `json:"delivered"`
}

// runMonitor is the monitor process: it waits for the program to end and
// records how it ended. Its result is the monitor's exit status.
func runMonitor(cfg *config) int {
	// The program's terminal or service manager may signal the whole
	// group; the monitor ends by itself right after the program.
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE, syscall.SIGQUIT)
	// The monitor's work (reading the report, the modules' symbol tables)
	// starts while the program is still dying: it yields the CPU to it.
	lowerPriority()
	defer writeMemStats()
	pid, _ := strconv.Atoi(os.Getenv(envProgramPID))
	crashPipe := os.NewFile(crashFD, "crash-report")
	controlPipe := os.NewFile(controlFD, "control")
	if crashPipe == nil || controlPipe == nil || pid == 0 {
		return 2
	}
	maps := readMappings(pid)
	if mapsPipe := os.NewFile(mapsFD, "maps"); mapsPipe != nil {
		atStart := parseMappings(io.LimitReader(mapsPipe, maxMaps))
		mapsPipe.Close()
		if len(maps) == 0 {
			maps = atStart // the program is gone already
		}
	}
	var sp *spool
	if !cfg.noSpool {
		sp = &spool{dir: spoolDirOf(cfg)}
		sp.reportPrevious(cfg)
	}

	type crashText struct {
		text string
		maps []mapping
	}
	crashCh := make(chan crashText, 1)
	go func() {
		var buf []byte
		var at []mapping
		chunk := make([]byte, 64<<10)
		for {
			n, err := crashPipe.Read(chunk)
			if n > 0 && at == nil {
				// The program is printing its report, so it is still
				// there: its modules now, dlopen'ed ones included.
				at = readMappings(pid)
			}
			if len(buf) < maxReport {
				buf = append(buf, chunk[:min(n, maxReport-len(buf))]...)
			}
			if err != nil {
				crashCh <- crashText{string(buf), at}
				return
			}
			if n < len(chunk) {
				// The runtime writes its report a line at a time (about
				// a thousand writes for a small one); the pipe holds them
				// while the monitor waits, instead of being woken, and
				// taking the CPU, for each.
				time.Sleep(5 * time.Millisecond)
			}
		}
	}()
	type marks struct{ clean, goexit bool }
	cleanCh := make(chan marks, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(controlPipe, 4096))
		cleanCh <- marks{strings.Contains(string(b), cleanMark), strings.Contains(string(b), goexitMark)}
	}()

	// Both pipes end when the program does. If something else holds them
	// open (a child that inherited them across a fork without exec), the
	// program's end is seen by the monitor being re-parented.
	var crash *crashText
	var mark marks
	var haveClean bool
	var gone <-chan time.Time
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for crash == nil || !haveClean {
		select {
		case c := <-crashCh:
			crash = &c
		case mark = <-cleanCh:
			haveClean = true
		case <-tick.C:
			if gone == nil && os.Getppid() != pid {
				gone = time.After(time.Second)
			}
		case <-gone:
			if crash == nil {
				crash = &crashText{}
			}
			haveClean = true
		}
	}
	end := time.Now()
	if crash.text == "" && mark.clean {
		return 0
	}
	if len(crash.maps) > 0 {
		maps = crash.maps
	}
	rec := newRecord(crash.text, maps, pid, end)
	rec.MainGoexit = mark.goexit
	if rec.MainGoexit && rec.Kind == KindExitWithoutReport {
		rec.Message = "exited without a crash report after main called runtime.Goexit"
	}
	deliver(cfg, sp, rec, false)
	return 0
}

// newRecord turns a crash report (empty: none) into a record.
func newRecord(text string, maps []mapping, pid int, at time.Time) *record {
	rec := &record{Time: at, PID: pid}
	if strings.TrimSpace(text) == "" {
		rec.Kind = KindExitWithoutReport
		rec.Message = "exited without a crash report"
		rec.Fingerprint = cgoguard.Fingerprint(KindExitWithoutReport, nil)
		rec.ID = incident.NewID(rec.Fingerprint)
		return rec
	}
	r := parseReport(text)
	rec.Kind, rec.Message = r.kind, r.message
	rec.Report = text[:min(len(text), maxReportInRecord)]
	rec.GoStack = siteFrames(r.kind, r.goFrames)
	switch r.kind {
	case KindNativeCrash, KindAbort, KindSignal:
		rec.Signal, rec.Code, rec.Addr, rec.PC = int(r.signal), r.code, r.addr, r.pc
		rec.Native = nativeFrames(r, maps)
		rec.Fingerprint = cgoguard.SignalFingerprint(r.signal, rec.Native)
	case KindUnrecoveredPanic:
		rec.Fingerprint = incident.PanicFingerprint(panicType(r.message), rec.GoStack)
	default:
		// The error's text is not in the report (see parseReport): the
		// function that threw stands for it.
		thrower := ""
		if len(r.goFrames) > 0 {
			thrower = r.goFrames[0].Function
		}
		rec.Fingerprint = cgoguard.Fingerprint(KindFatalError+"|"+thrower, rec.GoStack)
	}
	rec.ID = incident.NewID(rec.Fingerprint)
	return rec
}

// nativeFrames names the native frames of the crash: the cgo traceback's
// when the program registered one (cgoguard.WithCgoTraceback), otherwise
// the faulting pc alone. They end where the native stack enters from Go
// (cgo's call wrapper), as a contained fault's frames end at its guard.
func nativeFrames(r *report, maps []mapping) []cgoguard.Frame {
	pcs := r.native
	names := r.nativeNames
	if len(pcs) == 0 && r.pc != 0 {
		pcs, names = []uint64{r.pc}, []string{""}
	}
	sym := newSymbolizer(maps)
	var out []cgoguard.Frame
	for i, pc := range pcs {
		ra := i > 0
		if ra {
			pc++ // the runtime prints a caller's call site; frames hold return addresses
		}
		fr := sym.frame(pc, ra)
		if fr.Function == "" {
			fr.Function = names[i]
		}
		// The faulting frame stays whatever its name: a static C function
		// of a cgo preamble is inlined into cgo's wrapper
		// (_cgo_<hash>_Cfunc_f), and the pc then names the wrapper.
		if f := fr.Function; i > 0 && (strings.HasPrefix(f, "_cgo_") || strings.HasPrefix(f, "crosscall") ||
			strings.HasPrefix(f, "runtime.") || strings.HasPrefix(f, "x_cgo_")) {
			break
		}
		out = append(out, fr)
	}
	return out
}

// incidentOf builds the incident that the log record and the hook get.
func (rec *record) incidentOf() *incident.Incident {
	inc := &incident.Incident{
		ID: rec.ID, Kind: incident.Kind(rec.Kind), Time: rec.Time, Origin: OriginCrash,
		Value: rec.Message, Stack: rec.GoStack, Fingerprint: rec.Fingerprint,
	}
	if rec.Signal != 0 {
		msg, _, _ := strings.Cut(rec.Message, "\n")
		inc.Fault = &cgoguard.NativeFault{
			Signal: syscall.Signal(rec.Signal), Code: rec.Code, Addr: uintptr(rec.Addr), PC: uintptr(rec.PC),
			Frames: rec.Native, GoStack: rec.GoStack, Message: msg, Fingerprint: rec.Fingerprint, Time: rec.Time,
		}
	}
	return inc
}

// attrs are the record's log attributes: the incident's (incident.LogAttrs,
// without the fields that describe a live process) plus pid and the head of
// the crash report.
func (rec *record) attrs(previous bool) []slog.Attr {
	var out []slog.Attr
	for _, a := range rec.incidentOf().LogAttrs() {
		switch a.Key {
		case "fault_id", "thread_id", "tainted":
			continue
		}
		out = append(out, a)
	}
	out = append(out, slog.Int("pid", rec.PID), slog.Time("crash_time", rec.Time))
	if rec.MainGoexit {
		out = append(out, slog.Bool("main_goexit", true))
	}
	if previous {
		out = append(out, slog.String("crash", Message(rec.Kind)))
	}
	if rec.Report != "" {
		out = append(out, slog.String("crash_report", truncate(rec.Report, 8<<10)))
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// deliver sends a record to the spool (first: it survives whatever happens
// next), the log and the hook, and marks it delivered in the spool.
func deliver(cfg *config, sp *spool, rec *record, previous bool) {
	var path string
	if sp != nil && !previous {
		path = sp.write(rec)
	}
	logger := cfg.reporter.ResolvedLogger()
	msg := Message(rec.Kind)
	if previous {
		msg = MessagePreviousRun
	}
	ctx := context.WithValue(context.Background(), crashKey{}, &Crash{PID: rec.PID, Time: rec.Time, Previous: previous, Report: rec.Report})
	logger.LogAttrs(ctx, slog.LevelError, msg, rec.attrs(previous)...)
	if hook := cfg.reporter.OnIncident; hook != nil && (!previous || !rec.Delivered) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() {
				if v := recover(); v != nil {
					logger.LogAttrs(ctx, slog.LevelError, "incident callback panicked",
						slog.String("incident_id", rec.ID), slog.String("panic", fmt.Sprint(v)))
				}
			}()
			hook(ctx, rec.incidentOf())
		}()
		select {
		case <-done:
		case <-time.After(cfg.hookTimeout):
			logger.LogAttrs(ctx, slog.LevelError, "crash monitor: incident callback timed out",
				slog.String("incident_id", rec.ID), slog.Duration("timeout", cfg.hookTimeout))
			return
		}
	}
	if path != "" {
		rec.Delivered = true
		sp.rewrite(path, rec)
	}
}

// spool is a directory of records, one JSON file each.
type spool struct{ dir string }

func (s *spool) write(rec *record) string {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return ""
	}
	s.trim(maxSpooled - 1)
	path := filepath.Join(s.dir, rec.Time.UTC().Format("20060102T150405.000000000Z")+"-"+rec.ID+".json")
	if !s.rewrite(path, rec) {
		return ""
	}
	return path
}

// rewrite writes rec to path atomically (a temporary file renamed over it).
func (s *spool) rewrite(path string, rec *record) bool {
	b, err := json.Marshal(rec)
	if err != nil {
		return false
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return false
	}
	return os.Rename(tmp, path) == nil
}

func (s *spool) list() []string {
	names, _ := filepath.Glob(filepath.Join(s.dir, "*.json"))
	sort.Strings(names) // by time: the names start with it
	return names
}

// trim removes the oldest records until at most keep remain.
func (s *spool) trim(keep int) {
	names := s.list()
	for len(names) > keep {
		os.Remove(names[0])
		names = names[1:]
	}
}

// reportPrevious logs every spooled record as MessagePreviousRun, calls
// the hook for those whose hook had not returned, and removes them.
func (s *spool) reportPrevious(cfg *config) {
	for _, path := range s.list() {
		b, err := os.ReadFile(path)
		var rec record
		if err == nil && json.Unmarshal(b, &rec) == nil && rec.ID != "" {
			deliver(cfg, nil, &rec, true)
		}
		os.Remove(path)
	}
}

// writeMemStats writes the monitor's peak RSS to the file envMemStats
// names, if set.
func writeMemStats() {
	path := os.Getenv(envMemStats)
	if path == "" {
		return
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	var out []string
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmHWM:") || strings.HasPrefix(l, "VmRSS:") {
			out = append(out, l)
		}
	}
	os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o600)
}
