package sim_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"testing"
	"time"

	"go.fd.io/govpp/adapter/socketclient"
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

// TestConcurrentClients pipelines adds from several clients at once; the
// server serialises them and loses none.
func TestConcurrentClients(t *testing.T) {
	const clients, each = 4, 2000
	srv := startSim(t, "eth0")
	ctx := ctxFor(t)
	errs := make(chan error, clients)
	for k := range clients {
		conn := connect(t, srv)
		go func() {
			gen := hostRoute()
			errs <- pipeline(ctx, conn, each, func(i int) *ip.IPRouteAddDel { return gen(k*each + i) }, 64)
		}()
	}
	for range clients {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := len(dumpRoutes(t, connect(t, srv), false, 0, sim.SourceAPI)); got != clients*each {
		t.Errorf("dumped %d API routes, want %d", got, clients*each)
	}
}

// BenchmarkPipelinedAdd measures ip_route_add_del throughput through
// GoVPP with 1024 requests in flight. By default vppsim runs in the test
// process; set VPPSIM_SOCKET to the socket of a separately started one
// (go run ./testbed/vppsim -interface eth0 -socket PATH), or of a real
// VPP with an interface at sw_if_index 1, to keep the server's CPU and GC
// out of the client's process, as with a real VPP.
func BenchmarkPipelinedAdd(b *testing.B) {
	var conn *core.Connection
	if path := os.Getenv("VPPSIM_SOCKET"); path != "" {
		c, err := core.Connect(socketclient.NewVppClient(path))
		if err != nil {
			b.Fatalf("core.Connect(%s): %v", path, err)
		}
		b.Cleanup(c.Disconnect)
		conn = c
	} else {
		_, conn = startAndConnect(b, "eth0")
	}
	gen := hostRoute()
	b.ResetTimer()
	start := time.Now()
	if err := pipeline(context.Background(), conn, b.N, func(i int) *ip.IPRouteAddDel { return gen(i % (1 << 20)) }, window); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "routes/s")
}

// BenchmarkServerRawAdd measures vppsim alone: a raw client writes
// ip_route_add_del requests for distinct /32s in chunks of 256, keeping up
// to 1024 in flight, and checks the replies.
func BenchmarkServerRawAdd(b *testing.B) {
	srv := startSim(b, "eth0")
	c := dialRawTB(b, srv)
	c.handshake()
	msg := c.request(hostRoute()(0), 1)
	frame := make([]byte, 16, 16+len(msg))
	binary.BigEndian.PutUint32(frame[8:12], uint32(len(msg)))
	frame = append(frame, msg...)
	const (
		chunk      = 256
		addrOffset = 16 + 10 + 11 // frame header, request header, up to the address
	)
	if err := c.nc.SetDeadline(time.Time{}); err != nil {
		b.Fatal(err)
	}
	slots := make(chan struct{}, window/chunk)
	done := make(chan error, 1)
	go func() {
		r := bufio.NewReaderSize(c.nc, 64<<10)
		var hdr [16]byte
		body := make([]byte, 64)
		for i := 0; i < b.N; i++ {
			if _, err := io.ReadFull(r, hdr[:]); err != nil {
				done <- err
				return
			}
			n := binary.BigEndian.Uint32(hdr[8:12])
			if n > uint32(len(body)) {
				done <- fmt.Errorf("reply %d: %d bytes", i, n)
				return
			}
			if _, err := io.ReadFull(r, body[:n]); err != nil {
				done <- err
				return
			}
			if rv := int32(binary.BigEndian.Uint32(body[6:10])); rv != 0 {
				done <- fmt.Errorf("reply %d: retval %d", i, rv)
				return
			}
			if (i+1)%chunk == 0 {
				<-slots
			}
		}
		done <- nil
	}()
	b.ResetTimer()
	start := time.Now()
	buf := make([]byte, 0, chunk*len(frame))
	for i := 0; i < b.N; {
		buf = buf[:0]
		for j := 0; j < chunk && i < b.N; j, i = j+1, i+1 {
			buf = append(buf, frame...)
			f := buf[len(buf)-len(frame):]
			f[addrOffset], f[addrOffset+1], f[addrOffset+2], f[addrOffset+3] = 10, byte(i>>16), byte(i>>8), byte(i)
		}
		if i%chunk == 0 {
			slots <- struct{}{}
		}
		if _, err := c.nc.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "routes/s")
	if n, _ := srv.RouteCount(false, 0, sim.SourceAPI); n != min(b.N, 1<<24) {
		b.Errorf("RouteCount = %d, want %d", n, b.N)
	}
}

// BenchmarkRouteDump measures ip_route_dump of a table of 100,000 routes
// through GoVPP (a real VPP takes 0.1-0.3 s).
func BenchmarkRouteDump(b *testing.B) {
	const n = 100000
	_, conn := startAndConnect(b, "eth0")
	if err := pipeline(context.Background(), conn, n, hostRoute(), window); err != nil {
		b.Fatal(err)
	}
	c := ip.NewServiceClient(conn)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		st, err := c.IPRouteDump(context.Background(), &ip.IPRouteDump{})
		if err != nil {
			b.Fatal(err)
		}
		if got := len(drain(b, st.Recv)); got < n {
			b.Fatalf("dumped %d entries, want at least %d", got, n)
		}
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/dump")
}
