package grpcguard_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/cgoguard/cgoguard/gobindings/grpcguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// Both interceptors take the same reporter; a handler that returns a native
// fault fails its call with codes.Internal carrying the incident ID only.
func ExampleUnaryServerInterceptor() {
	rep := grpcguard.WithReporter(incident.Reporter{Logger: slog.New(slog.DiscardHandler)})
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(grpcguard.UnaryServerInterceptor(rep)),
		grpc.ChainStreamInterceptor(grpcguard.StreamServerInterceptor(rep)),
	)
	srv.RegisterService(&serviceDesc, &crashServer{}) // your generated pb.RegisterXServer(srv, impl)
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(lis)
	defer srv.Stop()

	conn, _ := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	defer conn.Close()
	err := conn.Invoke(context.Background(), "/crash.Crash/Unary", wrapperspb.String("return-fault"), new(wrapperspb.StringValue))
	st := status.Convert(err)
	fmt.Println(st.Code(), st.Message() == "internal error (incident "+grpcguard.IncidentID(err)+")")
	// Output: Internal true
}
