// Package symbolize is `cgoguard symbolize` (and the older command
// cgoguard-symbolize): it names the native frames of cgoguard incidents
// offline, for programs that run stripped (or with their debug information
// kept apart).
//
// It reads incident log records — JSON lines as cgoguard's incident package
// writes them through log/slog's JSON handler — and, for each record with
// native frames, finds every frame's module among the given directories by
// its GNU build ID, then prints the frames as an unstripped process prints
// them online ("func+0xoff (file:line) [module+0xoff]"):
//
//	cgoguard symbolize -dir ./dist -dir /usr/lib/debug incidents.log
//	journalctl -o cat -u server | cgoguard symbolize -dir ./dist
//
// A directory may hold unstripped binaries and shared objects anywhere below
// it, and separate debug files in the .build-id/xx/rest.debug layout that
// `objcopy --only-keep-debug` plus debuginfod use. Lines that are not JSON or
// hold no native frames are skipped. A frame whose module is not found keeps
// the text the process logged.
//
// Go frames need nothing of this: strip(1) keeps the Go runtime's own symbol
// table (.gopclntab), so a stripped Go program names its Go frames (go_stack)
// online.
package symbolize

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// incidentRecord holds the fields of an incident log record this command
// reads (see the incident package's LogAttrs).
type incidentRecord struct {
	IncidentID    string         `json:"incident_id"`
	Signal        string         `json:"signal"`
	Error         string         `json:"error"`
	FaultID       uint64         `json:"fault_id"`
	NativeFrames  []string       `json:"native_frames"`
	NativeModules []nativeModule `json:"native_modules"`
}

type nativeModule struct {
	Module  string `json:"module"`
	BuildID string `json:"build_id"`
	Offset  string `json:"offset"`
}

type dirList []string

func (d *dirList) String() string     { return strings.Join(*d, ",") }
func (d *dirList) Set(v string) error { *d = append(*d, v); return nil }

// Main runs the command with args (the arguments after its name) and
// returns its exit status. prog names it in messages ("cgoguard symbolize").
func Main(prog string, args []string) int {
	var dirs dirList
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.Var(&dirs, "dir", "directory of unstripped binaries or .build-id debug files (repeatable)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(),
			"usage: %s -dir DIR [-dir DIR...] [incident-log-file...]\n"+
				"Reads incident JSON log lines (stdin when no file is given) and prints their native stacks symbolized.\n", prog)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(dirs) == 0 {
		fmt.Fprintf(os.Stderr, "%s: at least one -dir is required\n", prog)
		fs.Usage()
		return 2
	}
	idx, err := indexDirs(dirs)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
		return 1
	}
	defer idx.Close()
	inputs := fs.Args()
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	for _, name := range inputs {
		if err := symbolizeInput(name, idx, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
			return 1
		}
	}
	return 0
}

func symbolizeInput(name string, idx *index, w io.Writer) error {
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	return symbolizeStream(r, idx, w)
}

// symbolizeStream prints, for every incident record of r with native frames,
// a header line and its frames, innermost first.
func symbolizeStream(r io.Reader, idx *index, w io.Writer) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var rec incidentRecord
		if err := json.Unmarshal([]byte(line), &rec); err != nil || len(rec.NativeFrames) == 0 {
			continue
		}
		fmt.Fprintf(w, "incident %s fault %d %s: %s\n", rec.IncidentID, rec.FaultID, rec.Signal, rec.Error)
		for i, logged := range rec.NativeFrames {
			text := logged
			if i < len(rec.NativeModules) {
				// Every frame of an exception is a return address; of a
				// signal, all but the faulting pc.
				returnAddress := i > 0 || rec.Signal == "cxx_exception"
				if s, err := idx.symbolize(rec.NativeModules[i], returnAddress); err == nil {
					text = s
				} else if !errors.Is(err, errNotFound) {
					fmt.Fprintf(os.Stderr, "cgoguard-symbolize: frame %d of incident %s: %v\n", i, rec.IncidentID, err)
				}
			}
			fmt.Fprintf(w, "    %s\n", text)
		}
	}
	return sc.Err()
}
