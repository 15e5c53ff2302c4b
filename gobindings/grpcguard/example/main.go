// Command example is a gRPC server wired with grpcguard, serving a small
// key-value service (a hand-written service descriptor over protobuf's
// well-known StringValue, so that it needs no code generation): the key
// "crash" makes a native call that faults (a crash fixture standing for
// your C library). It starts the server on a loopback port, calls it as a
// client would, prints what the client gets, and exits.
package main

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/grpcguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// get is the service's one method: it looks a key up in native code.
func get(ctx context.Context, key *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	if key.Value == "crash" {
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); err != nil {
			return nil, err // returned as is: grpcguard keeps its internals out of the status
		}
	}
	return wrapperspb.String("value of " + key.Value), nil
}

var kvService = grpc.ServiceDesc{
	ServiceName: "example.KV",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{MethodName: "Get",
		Handler: func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			return icpt(ctx, in, &grpc.UnaryServerInfo{FullMethod: "/example.KV/Get"},
				func(ctx context.Context, req any) (any, error) { return get(ctx, req.(*wrapperspb.StringValue)) })
		}}},
}

func main() {
	if err := cgoguard.Init(); err != nil {
		log.Fatal(err)
	}
	rep := grpcguard.WithReporter(incident.Reporter{Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))})
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(grpcguard.UnaryServerInterceptor(rep)),
		grpc.ChainStreamInterceptor(grpcguard.StreamServerInterceptor(rep)),
	)
	srv.RegisterService(&kvService, struct{}{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(lis)
	defer srv.Stop()

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	for _, key := range []string{"a", "crash", "b"} {
		out := new(wrapperspb.StringValue)
		err := conn.Invoke(context.Background(), "/example.KV/Get", wrapperspb.String(key), out)
		if err != nil {
			st := status.Convert(err)
			fmt.Printf("Get(%q) -> %s %q (incident %s)\n", key, st.Code(), st.Message(), grpcguard.IncidentID(err))
			continue
		}
		fmt.Printf("Get(%q) -> OK %q\n", key, out.Value)
	}
}
