package grpcguard_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/grpcguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/internal/testlog"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

func TestMain(m *testing.M) {
	if err := cgoguard.Init(); err != nil {
		panic(err)
	}
	<-cgoguard.SymbolizerReady() // tests read fault names right after Call
	os.Exit(m.Run())
}

// grpcLeaks must not reach a client either, besides testlog.Internals: the
// leak this package exists for was "SIGSEGV: address not mapped to object
// at 0x0 in kv_key_len".
var grpcLeaks = []string{"address", "grpcguard_test", "decoder", "quarantine"}

// The test service "crash.Crash": the request's value names what the
// handler does.
type crashServer struct{ site *quarantine.Site }

func (s *crashServer) act(what string) error {
	switch what {
	case "ok":
		return nil
	case "panic-fault":
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); err != nil {
			panic(err)
		}
	case "return-fault":
		return cgoguard.Call(fx.NullRead.Fn, nil)
	case "return-wrapped-fault":
		return fmt.Errorf("reading key: %w", cgoguard.Call(fx.ReadonlyWrite.Fn, nil))
	case "go-panic":
		var m map[string]int
		m["x"]++
	case "quarantined":
		return s.site.Call(fx.NullWrite.Fn, nil)
	case "quarantined-panic":
		if err := s.site.Call(fx.NullWrite.Fn, nil); err != nil {
			panic(err)
		}
	case "not-found":
		return status.Error(codes.NotFound, "no such key")
	}
	return nil
}

var serviceDesc = grpc.ServiceDesc{
	ServiceName: "crash.Crash",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Unary",
		Handler: func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			h := func(ctx context.Context, req any) (any, error) {
				if err := srv.(*crashServer).act(req.(*wrapperspb.StringValue).Value); err != nil {
					return nil, err
				}
				return wrapperspb.String("ok"), nil
			}
			return icpt(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/crash.Crash/Unary"}, h)
		},
	}},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Stream",
		ServerStreams: true,
		ClientStreams: true,
		Handler: func(srv any, stream grpc.ServerStream) error {
			for {
				in := new(wrapperspb.StringValue)
				if err := stream.RecvMsg(in); err == io.EOF {
					return nil
				} else if err != nil {
					return err
				}
				if err := srv.(*crashServer).act(in.Value); err != nil {
					return err
				}
				if err := stream.SendMsg(wrapperspb.String("ok")); err != nil {
					return err
				}
			}
		},
	}},
}

type app struct {
	conn     *grpc.ClientConn
	logs     *testlog.Sink
	clusters *incident.Clusters
	hooked   chan string // the hook's view of the call's metadata
}

// newApp serves the crash service on a loopback port, with both
// interceptors, and dials it.
func newApp(t *testing.T) *app {
	q := quarantine.New(quarantine.Threshold(1), quarantine.Cooldown(42*time.Second))
	site := q.Site("decoder")
	site.Call(fx.NullWrite.Fn, nil) // trips the site, before the clusters count
	a := &app{logs: &testlog.Sink{}, clusters: incident.NewClusters(), hooked: make(chan string, 16)}
	t.Cleanup(a.clusters.Close)
	rep := grpcguard.WithReporter(incident.Reporter{
		Logger: slog.New(slog.NewJSONHandler(a.logs, nil)), Clusters: a.clusters,
		OnIncident: func(ctx context.Context, inc *incident.Incident) {
			md, _ := metadata.FromIncomingContext(ctx)
			a.hooked <- strings.Join(md.Get("request-id"), ",")
		},
	})
	srv := grpc.NewServer(grpc.UnaryInterceptor(grpcguard.UnaryServerInterceptor(rep)),
		grpc.StreamInterceptor(grpcguard.StreamServerInterceptor(rep)))
	srv.RegisterService(&serviceDesc, &crashServer{site: site})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	a.conn, err = grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.conn.Close() })
	return a
}

func (a *app) unary(what string) (error, metadata.MD) {
	var trailer metadata.MD
	ctx := metadata.AppendToOutgoingContext(context.Background(), "request-id", "req-"+what)
	err := a.conn.Invoke(ctx, "/crash.Crash/Unary", wrapperspb.String(what), new(wrapperspb.StringValue), grpc.Trailer(&trailer))
	return err, trailer
}

// stream sends "ok", then what, on one stream and returns the error that
// ends it.
func (a *app) stream(t *testing.T, what string) (error, metadata.MD) {
	ctx := metadata.AppendToOutgoingContext(context.Background(), "request-id", "req-"+what)
	st, err := a.conn.NewStream(ctx, &serviceDesc.Streams[0], "/crash.Crash/Stream")
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"ok", what} {
		if err := st.SendMsg(wrapperspb.String(msg)); err != nil {
			break
		}
	}
	st.CloseSend()
	for {
		if err := st.RecvMsg(new(wrapperspb.StringValue)); err != nil {
			if err == io.EOF {
				err = nil
			}
			return err, st.Trailer()
		}
	}
}

// checkIncident asserts codes.Internal with only the incident ID, the same
// ID in the details and the trailer, and one log record for the method.
func (a *app) checkIncident(t *testing.T, what, method, kind string, err error, trailer metadata.MD) {
	t.Helper()
	st, _ := status.FromError(err)
	id := grpcguard.IncidentID(err)
	if st.Code() != codes.Internal || !testlog.IncidentID.MatchString(id) || st.Message() != "internal error (incident "+id+")" {
		t.Fatalf("%s: got %v, want Internal with the incident ID only", what, err)
	}
	testlog.NoInternals(t, what+": the status", err.Error(), grpcLeaks...)
	if got := trailer.Get(grpcguard.TrailerIncidentID); len(got) != 1 || got[0] != id {
		t.Errorf("%s: trailer %v, want the incident ID", what, trailer)
	}
	recs := a.logs.WithID(t, id)
	if len(recs) != 1 || recs[0]["kind"] != kind || recs[0]["path"] != method || recs[0]["origin"] != "grpc" {
		t.Errorf("%s: records %v, want one %s record for %s", what, recs, kind, method)
	}
	if md := <-a.hooked; md != "req-"+what {
		t.Errorf("%s: the hook saw request-id %q, want the call's metadata", what, md)
	}
}

func TestUnaryFaultsAndPanicsBecomeInternalWithTheIncidentIDOnly(t *testing.T) {
	a := newApp(t)
	for what, kind := range map[string]string{"panic-fault": "native_fault", "return-fault": "native_fault",
		"return-wrapped-fault": "native_fault", "go-panic": "panic"} {
		err, trailer := a.unary(what)
		a.checkIncident(t, what, "/crash.Crash/Unary", kind, err, trailer)
		if err, _ := a.unary("ok"); err != nil { // the server goes on serving
			t.Fatalf("after %s: %v", what, err)
		}
	}
	if snap := a.clusters.Snapshot(); snap.Totals.NativeFaults != 3 || snap.Totals.Panics != 1 || len(snap.Clusters) != 4 {
		t.Errorf("clusters %+v", snap.Totals)
	}
	if err, _ := a.unary("not-found"); status.Code(err) != codes.NotFound || status.Convert(err).Message() != "no such key" {
		t.Errorf("the application's own status was changed: %v", err)
	}
}

func TestStreamFaultsAndPanicsBecomeInternal(t *testing.T) {
	a := newApp(t)
	for what, kind := range map[string]string{"panic-fault": "native_fault", "return-fault": "native_fault", "go-panic": "panic"} {
		err, trailer := a.stream(t, what)
		a.checkIncident(t, what, "/crash.Crash/Stream", kind, err, trailer)
	}
	if err, _ := a.stream(t, "ok"); err != nil {
		t.Errorf("a healthy stream after the faults: %v", err)
	}
}

func TestQuarantinedCallIsUnavailableWithRetryDelay(t *testing.T) {
	a := newApp(t)
	for _, what := range []string{"quarantined", "quarantined-panic"} {
		err, _ := a.unary(what)
		delay, ok := grpcguard.RetryDelay(err)
		if status.Code(err) != codes.Unavailable || !ok || delay != 42*time.Second {
			t.Errorf("%s: got %v (retry delay %v, %v), want Unavailable with a 42s retry delay", what, err, delay, ok)
		}
		testlog.NoInternals(t, what+": the status", err.Error(), grpcLeaks...)
	}
	if err, _ := a.stream(t, "quarantined"); status.Code(err) != codes.Unavailable {
		t.Errorf("stream: %v", err)
	}
	if s := a.logs.String(); s != "" {
		t.Errorf("a refused call was logged as an incident: %s", s)
	}
}
