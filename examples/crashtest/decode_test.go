//go:build cgo

package crashtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/examples/crashtest"
	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// The service contains abort() and friends (failed asserts, std::terminate,
// glibc's heap checks) too; without this, RunEach skips those kinds.
func TestMain(m *testing.M) {
	if err := cgoguard.Init(cgoguard.ContainAbort()); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// One subtest per kind of native crash: the decoder is replaced by the
// kind's fixture, the handler is called over HTTP, and the fault must come
// back as a 500 with an incident ID and as that incident's fault.
func TestDecodeSurvivesEveryNativeCrash(t *testing.T) {
	crashfixtures.RunEach(t, func(t *testing.T, k crashfixtures.Kind) error {
		incidents := make(chan *incident.Incident, 1)
		svc := &crashtest.Service{Decode: k.Fixture.Fn}
		srv := httptest.NewServer(svc.Handler(httpguard.WithReporter(incident.Reporter{
			Logger:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
			OnIncident: func(_ context.Context, inc *incident.Incident) { incidents <- inc },
		})))
		defer srv.Close()

		resp, err := srv.Client().Get(srv.URL + "/decode")
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get(httpguard.HeaderIncidentID)
		if resp.StatusCode != http.StatusInternalServerError || id == "" || !strings.Contains(string(body), id) {
			return fmt.Errorf("GET /decode: %d %q, want 500 with an incident ID", resp.StatusCode, body)
		}
		select {
		case inc := <-incidents:
			if inc.ID != id || inc.Fault == nil {
				return fmt.Errorf("incident %s (%s) for response incident %s", inc.ID, inc.Kind, id)
			}
			return inc.Fault // RunEach's ExpectFault checks it is this kind's fault
		case <-time.After(10 * time.Second):
			return errors.New("no incident was reported")
		}
	})
}

// The real decoder still works once every kind went through the service.
func TestDecodeHealthyPath(t *testing.T) {
	svc := &crashtest.Service{Decode: crashfixtures.Empty.Fn} // stands for a working C.decode
	srv := httptest.NewServer(svc.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/decode")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || string(body) != "decoded\n" {
		t.Errorf("GET /decode: %d %q", resp.StatusCode, body)
	}
}
