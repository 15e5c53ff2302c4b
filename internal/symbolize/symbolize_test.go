package symbolize

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// run runs a command and fails the test with its output when it fails.
func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// records parses incident log lines.
func records(t *testing.T, log []byte) []incidentRecord {
	t.Helper()
	var recs []incidentRecord
	for _, line := range strings.Split(strings.TrimSpace(string(log)), "\n") {
		var rec incidentRecord
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON record: %q", line)
		}
		recs = append(recs, rec)
	}
	return recs
}

// Build the faulter, strip a copy, run the stripped copy to produce
// incidents, symbolize them offline against the unstripped binary (and
// against a separate debug file in the .build-id layout), and compare with
// what the unstripped binary logged online.
func TestStrippedIncidentsSymbolizeAsTheUnstrippedRunShowsThem(t *testing.T) {
	for _, tool := range []string{"strip", "objcopy"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (binutils)", tool)
		}
	}
	tmp := t.TempDir()
	unstrippedDir := filepath.Join(tmp, "unstripped")
	strippedDir := filepath.Join(tmp, "stripped")
	debugDir := filepath.Join(tmp, "debug")
	for _, dir := range []string{unstrippedDir, strippedDir} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Same base name in both directories: the module name is part of a frame.
	unstripped := filepath.Join(unstrippedDir, "faulter")
	stripped := filepath.Join(strippedDir, "faulter")
	gocmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	run(t, gocmd, "build", "-o", unstripped, "./testdata/faulter")
	run(t, "objcopy", "--strip-all", unstripped, stripped)
	id := buildIDOfFile(unstripped)
	if len(id) < 4 {
		t.Fatalf("the program has no GNU build ID (%q)", id)
	}
	if got := buildIDOfFile(stripped); got != id {
		t.Fatalf("strip changed the build ID: %s -> %s", id, got)
	}
	debugFile := filepath.Join(debugDir, ".build-id", id[:2], id[2:]+".debug")
	if err := os.MkdirAll(filepath.Dir(debugFile), 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, "objcopy", "--only-keep-debug", unstripped, debugFile)

	online := records(t, run(t, unstripped))
	strippedLog := run(t, stripped)
	offline := records(t, strippedLog)
	if len(online) != 4 || len(offline) != len(online) {
		t.Fatalf("%d incidents online, %d from the stripped run: want 4 each", len(online), len(offline))
	}
	var want []string
	for i, rec := range online {
		if len(rec.NativeFrames) == 0 || len(rec.NativeModules) != len(rec.NativeFrames) {
			t.Fatalf("incident %d: %d native frames, %d modules", i, len(rec.NativeFrames), len(rec.NativeModules))
		}
		if rec.NativeModules[0].BuildID != id {
			t.Errorf("incident %d: build ID %q, want the program's %s", i, rec.NativeModules[0].BuildID, id)
		}
		if offline[i].NativeFrames[0] == rec.NativeFrames[0] {
			t.Errorf("incident %d: the stripped run named its frame (%s): nothing to prove", i, rec.NativeFrames[0])
		}
		want = append(want, rec.NativeFrames...)
	}
	if !strings.HasPrefix(want[0], "cgg_fx_null_write+0x0 (") {
		t.Fatalf("the unstripped run's first frame is %q", want[0])
	}

	for _, dir := range []string{unstrippedDir, debugDir} {
		idx, err := indexDirs([]string{dir})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		input := "not a record\n{\"msg\":\"a record without frames\"}\n" + string(strippedLog)
		if err := symbolizeStream(strings.NewReader(input), idx, &out); err != nil {
			t.Fatal(err)
		}
		idx.Close()
		var got []string
		headers := 0
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if frame, ok := strings.CutPrefix(line, "    "); ok {
				got = append(got, frame)
			} else {
				headers++
			}
		}
		if headers != 4 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("symbolized against %s:\n%s\nwant the frames the unstripped run logged:\n%s",
				filepath.Base(dir), out.String(), strings.Join(want, "\n"))
		}
	}
}

func TestBuildIDFromPath(t *testing.T) {
	for path, want := range map[string]string{
		"/d/.build-id/ab/cdef01.debug": "abcdef01",
		"/d/.build-id/AB/cdef01.debug": "abcdef01",
		"/d/.build-id/ab/cdef01":       "",
		"/d/build-id/ab/cdef01.debug":  "",
		"/d/.build-id/abc/def.debug":   "",
		"/d/.build-id/ab/xyz.debug":    "",
	} {
		if got := buildIDFromPath(path); got != want {
			t.Errorf("buildIDFromPath(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestIndexRejectsAMissingDirectory(t *testing.T) {
	if _, err := indexDirs([]string{filepath.Join(t.TempDir(), "absent")}); err == nil {
		t.Error("no error for a directory that does not exist")
	}
}
