package testlog

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"
)

func TestSinkFindsRecordsByIncidentIDWhileWritten(t *testing.T) {
	s, log := NewSink(nil)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			log.Error("incident", "incident_id", fmt.Sprintf("%016x", i%2))
		}()
	}
	wg.Wait()
	log.Info("no incident")
	if n := len(s.Records(t)); n != 9 {
		t.Errorf("%d records, want 9", n)
	}
	recs := s.WithID(t, "0000000000000001")
	if len(recs) != 4 || recs[0]["msg"] != "incident" || recs[0]["level"] != slog.LevelError.String() {
		t.Errorf("records with ID 1: %v", recs)
	}
	if !IncidentID.MatchString("4952b62a-0000000000000001") || IncidentID.MatchString("0000000000000001") || IncidentID.MatchString("0x01") {
		t.Error("IncidentID matches the wrong shape")
	}
}

// recorder is a testing.TB that keeps what the check under test reports.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestNoInternalsNamesEachLeak(t *testing.T) {
	r := &recorder{TB: t}
	NoInternals(r, "body", `{"error":"internal server error","incident_id":"00000000000000aa"}`, "decoder")
	if len(r.errors) != 0 {
		t.Errorf("a clean body was reported: %v", r.errors)
	}
	NoInternals(r, "body", "SIGSEGV at 0x0 in decoder", "decoder")
	if len(r.errors) != 3 {
		t.Errorf("got %v, want SIGSEGV, 0x and decoder reported", r.errors)
	}
}
