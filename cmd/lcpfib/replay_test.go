package main

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.fd.io/govpp/api"

	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/rib"
	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
	"github.com/lcpfib/lcpfib/vpp"
	"github.com/lcpfib/lcpfib/zebra"
)

// captureIfs pairs the Linux ifindexes of the FRR captures (2, 3, 4) with
// vppsim's interfaces 1, 2, 3.
type captureIfs struct{}

func (captureIfs) SwIfIndex(i uint32) (uint32, bool) {
	if i >= 2 && i <= 4 {
		return i - 1, true
	}
	return 0, false
}

func (captureIfs) Sync(context.Context, api.Connection) error { return nil }

// pipelineEnv is lcpfib's pipeline (fpm server, zebra feed, rib, vpp
// programmer) over a vppsim, without network namespaces or FRR.
type pipelineEnv struct {
	sim  *sim.Server
	rib  *rib.RIB
	feed *zebra.Feed
	srv  *fpm.Server
	prog *vpp.Programmer
	addr string
}

func newPipeline(t *testing.T, quiet time.Duration) *pipelineEnv {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "api.sock")
	s, err := sim.Listen(sock, sim.WithChangeLogCap(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"GigabitEthernet3/0/0", "GigabitEthernet3/0/1", "GigabitEthernet3/0/2"} {
		if _, err := s.AddInterface(sim.Interface{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &pipelineEnv{sim: s, addr: ln.Addr().String()}
	e.rib = rib.New(rib.Options{})
	e.feed = zebra.NewFeed(e.rib, zebra.Options{})
	e.srv = fpm.NewServer(e.feed, fpm.Options{Listener: ln, IdleAfter: quiet})
	e.prog = vpp.New(vpp.Config{Socket: sock}, e.rib, captureIfs{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{s.Serve, e.rib.Run, e.srv.Run, e.prog.Run} {
		wg.Add(1)
		go func() { defer wg.Done(); run(ctx) }()
	}
	t.Cleanup(func() { cancel(); wg.Wait(); s.Close() })
	return e
}

// send plays the frames of captures, one after the other, over one new
// TCP connection, as one zebra connection would send them.
func (e *pipelineEnv) send(t *testing.T, captures ...string) int {
	t.Helper()
	var buf []byte
	n := 0
	for _, capture := range captures {
		recs, err := fpm.ReadCaptureFile(filepath.Join("../../../shared/fpm-captures", capture))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if buf, err = r.Frame.AppendBinary(buf); err != nil {
				t.Fatal(err)
			}
		}
		n += len(recs)
	}
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(buf); err != nil {
		t.Fatal(err)
	}
	// Keep the connection open: a close would end the session before
	// the quiet period ends the replay. The next connection replaces it.
	t.Cleanup(func() { c.Close() })
	return n
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestReplayRestartCapture loads FRR's 120,000-route load capture, then
// plays restart.bin.gz, what zebra sent when it reconnected, as a second
// connection. VPP must end with exactly the replayed table, and the replay
// of unchanged routes must cost no delete and no add.
func TestReplayRestartCapture(t *testing.T) {
	e := newPipeline(t, 500*time.Millisecond)
	e.send(t, "load.bin.gz")
	waitUntil(t, "the load replayed and programmed", time.Minute, func() bool {
		return e.feed.Counters().Replays == 1 && e.prog.Stats().RoutesAdded == 120000
	})
	seq := e.sim.LastSeq()
	e.send(t, "restart.bin.gz")
	waitUntil(t, "the second replay", time.Minute, func() bool { return e.feed.Counters().Replays == 2 })
	waitUntil(t, "the dataplane to settle", time.Minute, func() bool {
		st, _ := e.rib.Stats(context.Background())
		return st.Pending == 0 && e.prog.Stats().InFlight == 0
	})
	if n, _ := e.sim.RouteCount(false, 0, sim.SourceAPI); n != 100000 {
		t.Errorf("IPv4 API routes: %d, want 100,000", n)
	}
	if n, _ := e.sim.RouteCount(true, 0, sim.SourceAPI); n != 20000 {
		t.Errorf("IPv6 API routes: %d, want 20,000", n)
	}
	if got := e.sim.ChangesSince(seq); len(got) != 0 {
		t.Fatalf("the replay of an unchanged table changed VPP %d times, first %+v", len(got), got[0])
	}
	if e.sim.ChangesDropped() != 0 {
		t.Fatal("change log overflowed")
	}
	// The rib saw every replayed route equal to what it had: nothing
	// reached the programmer, nothing was swept.
	if vs := e.prog.Stats(); vs.RoutesAdded != 120000 || vs.RoutesDeleted != 0 || vs.RouteErrors != 0 {
		t.Fatalf("programmer %+v", vs)
	}
	if st, _ := e.rib.Stats(context.Background()); st.Swept != 0 || st.Resyncs != 2 {
		t.Fatalf("rib %+v", st)
	}
}

// TestSlowVPPDoesNotStallZebra slows vppsim to ~20k requests/s and plays
// the 120,000-route load twice on one connection: zebra's stream is read to its end while
// VPP is still far behind, and what waits for VPP stays bounded by the
// table (one entry per prefix), not by the number of updates.
func TestSlowVPPDoesNotStallZebra(t *testing.T) {
	e := newPipeline(t, 500*time.Millisecond)
	if err := e.sim.SetDelay(50 * time.Microsecond); err != nil {
		t.Fatal(err)
	}
	// The table, then the same table again in the other mode.
	n := e.send(t, "load.bin.gz", "load_nonhg.bin.gz")
	waitUntil(t, "both streams read", time.Minute, func() bool { return e.srv.Stats().Frames == uint64(n) })
	added := e.prog.Stats().RoutesAdded
	st, err := e.rib.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("all %d frames read; VPP had taken %d routes; %d keys pending", n, added, st.Pending)
	if added >= 100000 {
		t.Fatalf("VPP kept up (%d routes programmed): the test did not slow it down", added)
	}
	if st.Pending > st.Routes || st.Routes > 120000 {
		t.Fatalf("pending %d for %d routes: not bounded by the table", st.Pending, st.Routes)
	}
	if err := e.sim.SetDelay(0); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "VPP to hold the whole table", 2*time.Minute, func() bool {
		v4, _ := e.sim.RouteCount(false, 0, sim.SourceAPI)
		v6, _ := e.sim.RouteCount(true, 0, sim.SourceAPI)
		return v4 == 100000 && v6 == 20000
	})
	t.Logf("programmer %+v", e.prog.Stats())
}

// TestMetrics scrapes the Prometheus collector after FRR's load capture.
func TestMetrics(t *testing.T) {
	e := newPipeline(t, 300*time.Millisecond)
	e.send(t, "load.bin.gz")
	waitUntil(t, "the load programmed", time.Minute, func() bool { return e.prog.Stats().RoutesAdded == 120000 })
	d := &daemon{rib: e.rib, feed: e.feed, fpm: e.srv, vpp: e.prog}
	reg := prometheus.NewRegistry()
	if err := reg.Register(newCollector(d)); err != nil {
		t.Fatal(err)
	}
	got := gather(t, reg)
	for name, want := range map[string]float64{
		"lcpfib_fpm_connected":                     1,
		"lcpfib_fpm_frames_total":                  120021,
		"lcpfib_fpm_messages_total{type=newroute}": 120007,
		"lcpfib_rib_routes":                        120000,
		"lcpfib_vpp_connected":                     1,
		"lcpfib_vpp_routes_installed":              120000,
		"lcpfib_vpp_route_calls_total{op=add}":     120000,
		"lcpfib_vpp_route_errors_total":            0,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	if len(got) < 30 {
		t.Errorf("only %d series: %v", len(got), got)
	}
}

// gather scrapes reg into name{label=value} -> value (gauges, counters).
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "{" + l.GetName() + "=" + l.GetValue() + "}"
			}
			switch {
			case m.GetGauge() != nil:
				got[name] = m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				got[name] = m.GetCounter().GetValue()
			}
		}
	}
	return got
}
