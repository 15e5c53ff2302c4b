// Package grpcguard is a pair of gRPC server interceptors that contain, per
// call, Go panics and native faults, and keep internals out of the status
// a client gets:
//
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(grpcguard.UnaryServerInterceptor(grpcguard.WithReporter(rep))),
//		grpc.ChainStreamInterceptor(grpcguard.StreamServerInterceptor(grpcguard.WithReporter(rep))),
//	)
//
// A handler that panics, or panics with or returns a *cgoguard.NativeFault
// (or an error wrapping one), makes one incident (log record, cluster, the
// reporter's hook with the call's context) and the call fails with
// codes.Internal whose message carries the incident ID and nothing else —
// no signal, address, function or file — with the ID also in an
// errdetails.ErrorInfo detail (domain "cgoguard", metadata "incident_id")
// and in the "x-incident-id" trailer. A call refused by a quarantine
// (quarantine.ErrQuarantined) fails with codes.Unavailable and an
// errdetails.RetryInfo detail saying when to retry; it is not an incident.
// Any other returned error passes through unchanged. The server goes on
// serving.
package grpcguard

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

// TrailerIncidentID is the trailer key that carries the incident ID.
const TrailerIncidentID = "x-incident-id"

// ErrorInfoDomain is the Domain of the errdetails.ErrorInfo detail of an
// incident's status; its Metadata["incident_id"] is the incident ID.
const ErrorInfoDomain = "cgoguard"

// Option configures the interceptors.
type Option func(*config)

type config struct{ reporter incident.Reporter }

// WithReporter sets where incidents go: the logger of their records, the
// fault clusters they are counted in, and the hook called with each, with
// the call's context (default: the zero incident.Reporter —
// slog.Default() and incident.DefaultClusters()). It is the same Reporter
// that httpguard.WithReporter and safego.WithReporter take.
func WithReporter(r incident.Reporter) Option { return func(c *config) { c.reporter = r } }

func newConfig(opts []Option) *config {
	c := &config{}
	for _, opt := range opts {
		opt(c)
	}
	c.reporter.Clusters = c.reporter.ResolvedClusters() // start counting now
	return c
}

// UnaryServerInterceptor contains panics and native faults in unary
// handlers.
func UnaryServerInterceptor(opts ...Option) grpc.UnaryServerInterceptor {
	c := newConfig(opts)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if v := recover(); v != nil {
				resp, err = nil, c.recovered(ctx, info.FullMethod, v, func(md metadata.MD) { grpc.SetTrailer(ctx, md) })
			}
		}()
		resp, err = handler(ctx, req)
		if err != nil {
			err = c.returned(ctx, info.FullMethod, err, func(md metadata.MD) { grpc.SetTrailer(ctx, md) })
		}
		return resp, err
	}
}

// StreamServerInterceptor contains panics and native faults in streaming
// handlers.
func StreamServerInterceptor(opts ...Option) grpc.StreamServerInterceptor {
	c := newConfig(opts)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		ctx := ss.Context()
		defer func() {
			if v := recover(); v != nil {
				err = c.recovered(ctx, info.FullMethod, v, ss.SetTrailer)
			}
		}()
		if err = handler(srv, ss); err != nil {
			err = c.returned(ctx, info.FullMethod, err, ss.SetTrailer)
		}
		return err
	}
}

// recovered turns a panic into the call's status. It runs in the deferred
// call that recovered, so the panic's stack is still there to capture.
func (c *config) recovered(ctx context.Context, method string, v any, setTrailer func(metadata.MD)) error {
	if err, ok := v.(error); ok {
		if st := c.notAnIncident(ctx, method, err); st != nil {
			return st
		}
	}
	return c.report(ctx, method, incident.FromPanic(v), setTrailer)
}

// returned turns a native fault or a refused call the handler returned
// into the call's status, and passes any other error on.
func (c *config) returned(ctx context.Context, method string, err error, setTrailer func(metadata.MD)) error {
	if !cgoguard.IsContained(err) {
		return err
	}
	if st := c.notAnIncident(ctx, method, err); st != nil {
		return st
	}
	return c.report(ctx, method, incident.FromError(err, 1), setTrailer)
}

// notAnIncident returns the status for a refused call or a client that
// went away, or nil.
func (c *config) notAnIncident(ctx context.Context, method string, err error) error {
	var qe *quarantine.Error
	if errors.As(err, &qe) {
		return unavailable(qe.RetryAfter)
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		c.reporter.ResolvedLogger().LogAttrs(ctx, slog.LevelDebug, "client went away",
			slog.String("path", method), slog.Any("error", err))
		return status.FromContextError(ctx.Err()).Err()
	}
	return nil
}

func (c *config) report(ctx context.Context, method string, inc *incident.Incident, setTrailer func(metadata.MD)) error {
	inc.Origin = incident.OriginGRPC
	inc.Path = method
	c.reporter.Report(ctx, inc)
	setTrailer(metadata.Pairs(TrailerIncidentID, inc.ID))
	st := status.New(codes.Internal, "internal error (incident "+inc.ID+")")
	if d, err := st.WithDetails(&errdetails.ErrorInfo{
		Reason: "INCIDENT", Domain: ErrorInfoDomain, Metadata: map[string]string{"incident_id": inc.ID},
	}); err == nil {
		st = d
	}
	return st.Err()
}

// unavailable is the status of a refused call: codes.Unavailable with a
// RetryInfo detail, in whole seconds rounded up (as HTTP's Retry-After).
func unavailable(retryAfter time.Duration) error {
	delay := (retryAfter + time.Second - 1).Truncate(time.Second)
	st := status.New(codes.Unavailable, "service unavailable, retry later")
	if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(delay)}); err == nil {
		st = d
	}
	return st.Err()
}

// IncidentID returns the incident ID that an error from a call answered by
// these interceptors carries in its status details, or "".
func IncidentID(err error) string {
	st, ok := status.FromError(err)
	if !ok {
		return ""
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.Domain == ErrorInfoDomain {
			return info.Metadata["incident_id"]
		}
	}
	return ""
}

// RetryDelay returns the retry delay that an Unavailable error from a
// refused call carries in its status details, and whether it has one.
func RetryDelay(err error) (time.Duration, bool) {
	st, ok := status.FromError(err)
	if !ok {
		return 0, false
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.RetryDelay.AsDuration(), true
		}
	}
	return 0, false
}
