package vpp

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.fd.io/govpp/adapter/socketclient"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/core"

	"github.com/lcpfib/lcpfib/rib"
	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

// staticIfs is an InterfaceSync with a fixed map and a count of Syncs.
type staticIfs struct {
	ifmap
	mu    sync.Mutex
	syncs int
}

func (s *staticIfs) SwIfIndex(i uint32) (uint32, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ifmap.SwIfIndex(i)
}

func (s *staticIfs) Sync(context.Context, api.Connection) error {
	s.mu.Lock()
	s.syncs++
	s.mu.Unlock()
	return nil
}

type fixture struct {
	t    testing.TB
	sock string
	sim  *sim.Server
	rib  *rib.RIB
	prog *Programmer
	stop func()
}

// startSim starts a vppsim with two interfaces (sw_if_index 1 and 2).
func startSim(t testing.TB, sock string, pid uint32) (*sim.Server, func()) {
	t.Helper()
	s, err := sim.Listen(sock, sim.WithPID(pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"GigabitEthernet3/0/0", "GigabitEthernet3/0/1"} {
		if _, err := s.AddInterface(sim.Interface{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx); close(done) }()
	return s, func() { cancel(); <-done; s.Close() }
}

func newFixture(t testing.TB, cfg Config) *fixture {
	t.Helper()
	f := &fixture{t: t, sock: filepath.Join(t.TempDir(), "api.sock")}
	var stopSim func()
	f.sim, stopSim = startSim(t, f.sock, 1000)
	cfg.Socket = f.sock
	cfg.RetryMin, cfg.RetryMax = 20*time.Millisecond, 100*time.Millisecond
	cfg.PingInterval = 50 * time.Millisecond
	f.rib = rib.New(rib.Options{})
	f.prog = New(cfg, f.rib, &staticIfs{ifmap: ifmap{2: 1, 3: 2}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); f.rib.Run(ctx) }()
	go func() { defer wg.Done(); f.prog.Run(ctx) }()
	f.stop = func() { cancel(); wg.Wait(); stopSim() }
	t.Cleanup(func() { f.stop() })
	return f
}

// apiRoutes dumps the API-source entries of VPP table 0 (both families)
// through GoVPP.
func apiRoutes(t *testing.T, sock string, table uint32) map[netip.Prefix]Entry {
	t.Helper()
	conn, err := core.Connect(socketclient.NewVppClient(sock))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Disconnect()
	ctx := context.Background()
	srcs, err := Sources(ctx, conn, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	out := map[netip.Prefix]Entry{}
	for _, ip6 := range []bool{false, true} {
		es, err := DumpRoutes(ctx, conn, table, ip6, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Source == srcs["API"] {
				out[e.Prefix] = e
			}
		}
	}
	return out
}

// waitFor polls cond for up to 20 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func v4route(i int, gwIfindex uint32) rib.Route {
	p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(20 + i>>16), byte(i >> 8), byte(i), 0}), 24)
	return rib.Route{Key: rib.Key{Table: 254, Prefix: p}, Kind: rib.Unicast,
		Paths: []rib.Path{{Gateway: netip.MustParseAddr("10.0.0.2"), Ifindex: gwIfindex, Weight: 1}}}
}

func TestProgrammerPipelinesManyRoutes(t *testing.T) {
	t.Run("coalescing client", func(t *testing.T) { testPipelinesManyRoutes(t, Config{Window: 256}) })
	t.Run("GoVPP socketclient", func(t *testing.T) { testPipelinesManyRoutes(t, Config{Window: 256, PlainSocketClient: true}) })
}

func testPipelinesManyRoutes(t *testing.T, cfg Config) {
	f := newFixture(t, cfg)
	ctx := context.Background()
	const n = 20000
	var u rib.Update
	u.Source = rib.SourceFRR
	for i := range n {
		u.Set = append(u.Set, v4route(i, 2))
	}
	if err := f.rib.Apply(ctx, u); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "20000 adds", func() bool { return f.prog.Stats().RoutesAdded == n })
	got := apiRoutes(t, f.sock, 0)
	if len(got) != n {
		t.Fatalf("VPP holds %d API routes, want %d", len(got), n)
	}
	e := got[v4route(12345, 2).Prefix]
	if len(e.Paths) != 1 || e.Paths[0].SwIfIndex != 1 {
		t.Fatalf("route 12345: %+v", e)
	}

	// Delete every other route.
	var del rib.Update
	del.Source = rib.SourceFRR
	for i := 0; i < n; i += 2 {
		del.Del = append(del.Del, v4route(i, 2).Key)
	}
	f.rib.Apply(ctx, del)
	waitFor(t, "10000 deletes", func() bool { return f.prog.Stats().RoutesDeleted == n/2 })
	got = apiRoutes(t, f.sock, 0)
	if len(got) != n/2 {
		t.Fatalf("VPP holds %d API routes after deletes, want %d", len(got), n/2)
	}
	if _, ok := got[v4route(1, 2).Prefix]; !ok {
		t.Fatal("route 1 (odd, kept) is missing")
	}
	if s := f.prog.Stats(); s.RouteErrors != 0 || s.InFlight != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestProgrammerTablesUnresolvedAndErrors(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	t100 := v4route(1, 3)
	t100.Table = 100
	local := v4route(2, 2)
	local.Table = 255
	unpaired := v4route(3, 9) // ifindex 9 has no VPP twin
	badIf := v4route(4, 2)    // resolved below to a sw_if_index VPP lacks
	f.prog.ifs.(*staticIfs).ifmap[7] = 77
	badIf.Paths[0].Ifindex = 7
	ok := v4route(5, 2)
	f.rib.Apply(ctx, rib.Update{Source: rib.SourceFRR, Set: []rib.Route{t100, local, unpaired, badIf, ok}})
	// The refused route is retried after RouteRetryMin (1 s) and refused
	// again: on a loaded machine the first look may come after that.
	var last Stats
	defer func() {
		if t.Failed() {
			t.Logf("stats at the last look: %+v", last)
		}
	}()
	waitFor(t, "all five handled", func() bool {
		last = f.prog.Stats()
		return last.RoutesAdded == 2 && last.Skipped == 1 && last.Unresolved == 1 && last.RouteErrors >= 1
	})
	if got := apiRoutes(t, f.sock, 100); len(got) != 1 {
		t.Fatalf("table 100 holds %v, want the one route", got)
	}
	main := apiRoutes(t, f.sock, 0)
	if _, has := main[ok.Prefix]; !has || len(main) != 1 {
		t.Fatalf("table 0 holds %v, want only %s", main, ok.Prefix)
	}
}

func TestProgrammerReprogramsAfterVPPRestart(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	var u rib.Update
	u.Source = rib.SourceFRR
	for i := range 100 {
		u.Set = append(u.Set, v4route(i, 2))
	}
	f.rib.Apply(ctx, u)
	waitFor(t, "100 routes", func() bool { return len(apiRoutes(t, f.sock, 0)) == 100 })

	// VPP restarts: the old one goes away with all its state, a new one
	// with another pid takes the socket.
	f.sim.Close()
	_, stop2 := startSim(t, f.sock, 2000)
	defer stop2()
	waitFor(t, "reconnect", func() bool { return f.prog.Stats().Connects >= 2 })
	waitFor(t, "100 routes in the new VPP", func() bool { return len(apiRoutes(t, f.sock, 0)) == 100 })
	if s := f.prog.Stats(); s.VPP.PID != 2000 || !s.Connected {
		t.Fatalf("stats after restart: %+v", s)
	}
}

func ExampleTableID() {
	for _, t := range []uint32{254, 100, 255} {
		id, ok := TableID(t)
		fmt.Println(t, id, ok)
	}
	// Output:
	// 254 0 true
	// 100 100 true
	// 255 0 false
}

// TestProgrammerRestartCostsNothing is lcpfib restarting over a VPP that
// holds its routes: a new programmer and rib, zebra's replay with one
// route changed and ten gone. Unchanged routes cost no VPP call, and the
// ten are swept only after the replay.
func TestProgrammerRestartCostsNothing(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	var u rib.Update
	u.Source = rib.SourceFRR
	for i := range 100 {
		u.Set = append(u.Set, v4route(i, 2))
	}
	f.rib.Apply(ctx, u)
	waitFor(t, "100 adds", func() bool { return f.prog.Stats().RoutesAdded == 100 })

	// A second lcpfib (rib and programmer) against the same VPP.
	r2 := rib.New(rib.Options{})
	p2 := New(Config{Socket: f.sock, PingInterval: 50 * time.Millisecond}, r2, &staticIfs{ifmap: ifmap{2: 1, 3: 2}}, nil)
	ctx2, cancel2 := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); r2.Run(ctx2) }()
	go func() { defer wg.Done(); p2.Run(ctx2) }()
	defer func() { cancel2(); wg.Wait() }()
	waitFor(t, "second programmer to read VPP", func() bool { return p2.Stats().Installed == 100 })

	r2.Apply(ctx, rib.Update{Source: rib.SourceFRR, Resync: rib.ResyncBegin})
	replay := rib.Update{Source: rib.SourceFRR}
	for i := range 90 {
		rt := v4route(i, 2)
		if i == 5 {
			rt.Paths[0].Ifindex = 3 // changed while lcpfib was down
		}
		replay.Set = append(replay.Set, rt)
	}
	r2.Apply(ctx, replay)
	// Keys VPP holds are compared once the replay is complete (rib holds
	// them meanwhile); then the 10 routes not replayed are swept.
	r2.Apply(ctx, rib.Update{Source: rib.SourceFRR, Resync: rib.ResyncEnd})
	waitFor(t, "replay handled and swept", func() bool {
		s := p2.Stats()
		return s.Unchanged == 89 && s.RoutesAdded == 1 && s.RoutesDeleted == 10
	})
	got := apiRoutes(t, f.sock, 0)
	if len(got) != 90 {
		t.Fatalf("VPP holds %d routes, want 90", len(got))
	}
	if e := got[v4route(5, 2).Prefix]; e.Paths[0].SwIfIndex != 2 {
		t.Fatalf("changed route: %+v", e)
	}
	if s := p2.Stats(); s.RouteErrors != 0 || s.RoutesAdded != 1 || s.Installed != 90 {
		t.Fatalf("stats %+v", s)
	}
}

// TestProgrammerOwnership: lcpfib removes the API-source entries an earlier
// lcpfib left that no daemon wants any more, and never touches an
// operator's CLI route or VPP's own entries.
func TestProgrammerOwnership(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "api.sock")
	s, stopSim := startSim(t, sock, 1000)
	defer stopSim()
	conn, err := core.Connect(socketclient.NewVppClient(sock))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Disconnect()
	ctx := context.Background()
	add := func(p string, src uint8) {
		t.Helper()
		pfx := netip.MustParsePrefix(p)
		m := &ip.IPRouteAddDelV2{IsAdd: true}
		m.Route.Prefix = ToPrefix(pfx)
		m.Route.Src = src
		m.Route.Paths = []fib_types.FibPath{{SwIfIndex: 1, Weight: 1, Proto: NhProto(pfx.Addr()), Nh: fib_types.FibPathNh{Address: ToUnion(netip.MustParseAddr("10.0.0.2"))}}}
		m.Route.NPaths = 1
		var r ip.IPRouteAddDelV2Reply
		if err := conn.Invoke(ctx, m, &r); err != nil || r.Retval != 0 {
			t.Fatalf("adding %s: %v %d", p, err, r.Retval)
		}
	}
	add("10.99.0.0/16", uint8(sim.SourceCLI)) // an operator's vppctl route
	add("10.98.0.0/16", uint8(sim.SourceAPI)) // left by an earlier lcpfib
	add("10.97.0.0/16", uint8(sim.SourceAPI)) // likewise, and still wanted

	r := rib.New(rib.Options{})
	p := New(Config{Socket: sock, PingInterval: 50 * time.Millisecond}, r, &staticIfs{ifmap: ifmap{2: 1}}, nil)
	pctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); r.Run(pctx) }()
	go func() { defer wg.Done(); p.Run(pctx) }()
	defer func() { cancel(); wg.Wait() }()
	waitFor(t, "VPP read", func() bool { return p.Stats().Installed == 2 })

	wanted := rib.Route{Key: rib.Key{Table: 254, Prefix: netip.MustParsePrefix("10.97.0.0/16")}, Kind: rib.Unicast,
		Paths: []rib.Path{{Gateway: netip.MustParseAddr("10.0.0.2"), Ifindex: 2, Weight: 1}}}
	r.Apply(ctx, rib.Update{Source: rib.SourceFRR, Resync: rib.ResyncBegin, Set: []rib.Route{wanted}})
	r.Apply(ctx, rib.Update{Source: rib.SourceFRR, Resync: rib.ResyncEnd})
	waitFor(t, "the orphan swept", func() bool { return p.Stats().RoutesDeleted == 1 })
	if len(s.DeletesOf(0, netip.MustParsePrefix("10.98.0.0/16"))) != 1 {
		t.Fatal("the earlier lcpfib's route was not deleted")
	}
	for _, keep := range []string{"10.99.0.0/16", "10.97.0.0/16", "0.0.0.0/32", "224.0.0.0/4"} {
		if d := s.DeletesOf(0, netip.MustParsePrefix(keep)); len(d) != 0 {
			t.Fatalf("%s was deleted: %v", keep, d)
		}
	}
	if n := len(s.ChangesOf(0, netip.MustParsePrefix("10.97.0.0/16"))); n != 1 {
		t.Fatalf("the wanted route changed %d times, want only its first add", n)
	}
	if st := p.Stats(); st.RoutesAdded != 0 || st.Unchanged != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestProgrammerSimRestart: VPP restarts in place (same socket, new pid,
// empty FIB): lcpfib reconnects and programs everything again.
func TestProgrammerSimRestart(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	var u rib.Update
	u.Source = rib.SourceFRR
	for i := range 50 {
		u.Set = append(u.Set, v4route(i, 2))
	}
	f.rib.Apply(ctx, u)
	waitFor(t, "50 routes", func() bool { return len(apiRoutes(t, f.sock, 0)) == 50 })
	f.sim.Restart()
	waitFor(t, "reconnect", func() bool { return f.prog.Stats().Connects >= 2 })
	waitFor(t, "50 routes after the restart", func() bool { return len(apiRoutes(t, f.sock, 0)) == 50 })
	if s := f.prog.Stats(); s.VPP.PID != f.sim.PID() {
		t.Fatalf("programmer sees pid %d, VPP has %d", s.VPP.PID, f.sim.PID())
	}
}

// TestProgrammerRetriesRefusedRoutes: a route VPP refuses is counted,
// listed with VPP's error, retried with backoff without holding up the
// others, and programmed once VPP can take it.
func TestProgrammerRetriesRefusedRoutes(t *testing.T) {
	f := newFixture(t, Config{RouteRetryMin: 50 * time.Millisecond, RouteRetryMax: 200 * time.Millisecond})
	f.prog.ifs.(*staticIfs).ifmap[7] = 3 // VPP has no sw_if_index 3 yet
	bad := v4route(1, 7)
	good := v4route(2, 2)
	f.rib.Apply(context.Background(), rib.Update{Source: rib.SourceFRR, Set: []rib.Route{bad, good}})
	waitFor(t, "two failed attempts", func() bool {
		fs := f.prog.Failures()
		return len(fs) == 1 && fs[0].Attempts >= 2
	})
	fs := f.prog.Failures()
	if fs[0].Key != bad.Key || !strings.Contains(fs[0].Err, "-54") {
		t.Fatalf("failure %+v", fs[0])
	}
	if _, ok := apiRoutes(t, f.sock, 0)[good.Prefix]; !ok {
		t.Fatal("the good route waits for the bad one")
	}
	if _, err := f.sim.AddInterface(sim.Interface{Name: "GigabitEthernet3/0/2"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refused route programmed", func() bool {
		_, ok := apiRoutes(t, f.sock, 0)[bad.Prefix]
		return ok && f.prog.Stats().Failing == 0
	})
}

// TestProgrammerRefreshFollowsPairs: a route through an interface with no
// VPP twin yet waits outside VPP; once the pair exists (Refresh) it is
// programmed, and once the pair goes it is removed.
func TestProgrammerRefreshFollowsPairs(t *testing.T) {
	f := newFixture(t, Config{})
	ifs := f.prog.ifs.(*staticIfs)
	r := v4route(1, 9) // ifindex 9: not paired yet
	f.rib.Apply(context.Background(), rib.Update{Source: rib.SourceFRR, Set: []rib.Route{r}})
	waitFor(t, "the route counted unresolved", func() bool { return f.prog.Stats().Unresolved == 1 })
	if _, ok := apiRoutes(t, f.sock, 0)[r.Prefix]; ok {
		t.Fatal("an unresolved route reached VPP")
	}
	ifs.mu.Lock()
	ifs.ifmap[9] = 2 // the pair appears
	ifs.mu.Unlock()
	f.prog.Refresh()
	waitFor(t, "the route programmed", func() bool {
		e, ok := apiRoutes(t, f.sock, 0)[r.Prefix]
		return ok && e.Paths[0].SwIfIndex == 2
	})
	ifs.mu.Lock()
	delete(ifs.ifmap, 9) // the pair goes
	ifs.mu.Unlock()
	f.prog.Refresh()
	waitFor(t, "the route removed", func() bool {
		_, ok := apiRoutes(t, f.sock, 0)[r.Prefix]
		return !ok
	})
}
