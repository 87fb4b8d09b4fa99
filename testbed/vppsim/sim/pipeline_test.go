package sim_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/ip_types"
	"go.fd.io/govpp/core"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

// window is how many requests the pipelined tests keep in flight.
const window = 1024

// hostRoute returns a generator of ip_route_add_del adds of distinct /32s
// in 10/8 via 192.0.2.1 on sw_if_index 1. It reuses one request: GoVPP
// encodes a request before SendMsg returns.
func hostRoute() func(i int) *ip.IPRouteAddDel {
	req := &ip.IPRouteAddDel{IsAdd: true, Route: ip.IPRoute{
		Prefix: ip_types.Prefix{Address: ip_types.Address{Af: ip_types.ADDRESS_IP4}, Len: 32},
		NPaths: 1,
		Paths:  []fib_types.FibPath{via("192.0.2.1", 1)},
	}}
	return func(i int) *ip.IPRouteAddDel {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		b := a.As4()
		copy(req.Route.Prefix.Address.Un.XXX_UnionData[:], b[:])
		return req
	}
}

// pipeline sends n requests from gen on one GoVPP stream keeping up to
// window requests in flight, and checks every reply. As GoVPP v0.13.0
// requires, the first request completes before the others are pipelined.
func pipeline(ctx context.Context, conn api.Connection, n int, gen func(int) *ip.IPRouteAddDel, window int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := conn.NewStream(ctx,
		core.WithRequestSize(window), core.WithReplySize(window), core.WithReplyTimeout(rpcTimeout))
	if err != nil {
		return err
	}
	defer stream.Close()

	check := func(i int) error {
		msg, err := stream.RecvMsg()
		if err != nil {
			return fmt.Errorf("reply %d: %w", i, err)
		}
		r, ok := msg.(*ip.IPRouteAddDelReply)
		if !ok {
			return fmt.Errorf("reply %d: unexpected %T", i, msg)
		}
		if r.Retval != 0 {
			return fmt.Errorf("reply %d: %w", i, api.RetvalToVPPApiError(r.Retval))
		}
		return nil
	}
	if n == 0 {
		return nil
	}
	if err := stream.SendMsg(gen(0)); err != nil {
		return err
	}
	if err := check(0); err != nil {
		return err
	}

	slots := make(chan struct{}, window)
	recvErr := make(chan error, 1)
	go func() {
		for i := 1; i < n; i++ {
			if err := check(i); err != nil {
				recvErr <- err
				cancel()
				return
			}
			<-slots
		}
		recvErr <- nil
	}()
	for i := 1; i < n; i++ {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return <-recvErr
		}
		if err := stream.SendMsg(gen(i)); err != nil {
			cancel()
			<-recvErr
			return err
		}
	}
	return <-recvErr
}

func TestPipelinedRouteAdds(t *testing.T) {
	const n = 20000
	srv, conn := startAndConnect(t, "eth0")
	start := time.Now()
	if err := pipeline(ctxFor(t), conn, n, hostRoute(), window); err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	t.Logf("%d pipelined adds in %v", n, time.Since(start))

	got := dumpRoutes(t, conn, false, 0, sim.SourceAPI)
	if len(got) != n {
		t.Errorf("dumped %d API routes, want %d", len(got), n)
	}
	for _, r := range got {
		if r.Src != sim.SourceAPI {
			t.Errorf("%s: src %v", r.Prefix, r.Src)
		}
	}
	if c, _ := srv.RouteCount(false, 0, sim.SourceAPI); c != n {
		t.Errorf("RouteCount = %d, want %d", c, n)
	}
}

// BenchmarkPipelinedAdd measures ip_route_add_del throughput through
// GoVPP with 1024 requests in flight, client and vppsim in one process.
func BenchmarkPipelinedAdd(b *testing.B) {
	_, conn := startAndConnect(b, "eth0")
	gen := hostRoute()
	b.ResetTimer()
	start := time.Now()
	if err := pipeline(context.Background(), conn, b.N, func(i int) *ip.IPRouteAddDel { return gen(i % (1 << 20)) }, window); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "routes/s")
}
