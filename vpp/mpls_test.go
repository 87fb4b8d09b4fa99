package vpp

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.fd.io/govpp/adapter/socketclient"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/mpls"
	"go.fd.io/govpp/core"

	"github.com/lcpfib/lcpfib/rib"
)

func labelled(gw string, ifindex uint32, labels ...uint32) rib.Path {
	return rib.Path{Gateway: netip.MustParseAddr(gw), Ifindex: ifindex, Weight: 1, Labels: rib.MustLabels(labels...)}
}

func stack(labels ...uint32) (n uint8, s [16]fib_types.FibMplsLabel) {
	for i, l := range labels {
		s[i] = fib_types.FibMplsLabel{IsUniform: 1, Label: l}
	}
	return uint8(len(labels)), s
}

func TestRouteAddLabels(t *testing.T) {
	r := rib.Route{Key: rib.Key{Table: 254, Prefix: netip.MustParsePrefix("192.0.2.0/24")}, Kind: rib.Unicast,
		Paths: []rib.Path{labelled("10.0.0.2", 2, 100, 200), labelled("10.0.1.2", 3)}}
	m, err := routeAdd(&r, 0, ifmap{2: 1, 3: 2})
	if err != nil {
		t.Fatal(err)
	}
	p0 := fib_types.FibPath{SwIfIndex: 1, Weight: 1, Proto: fib_types.FIB_API_PATH_NH_PROTO_IP4,
		Nh: fib_types.FibPathNh{Address: ToUnion(netip.MustParseAddr("10.0.0.2"))}}
	p0.NLabels, p0.LabelStack = stack(100, 200)
	p1 := fib_types.FibPath{SwIfIndex: 2, Weight: 1, Proto: fib_types.FIB_API_PATH_NH_PROTO_IP4,
		Nh: fib_types.FibPathNh{Address: ToUnion(netip.MustParseAddr("10.0.1.2"))}}
	if d := cmp.Diff([]fib_types.FibPath{p0, p1}, m.Route.Paths); d != "" {
		t.Fatalf("paths (-want +got):\n%s", d)
	}
	// The digest sees labels, and only labels change it.
	plain := r
	plain.Paths = []rib.Path{labelled("10.0.0.2", 2), labelled("10.0.1.2", 3)}
	m2, _ := routeAdd(&plain, 0, ifmap{2: 1, 3: 2})
	relabel := r
	relabel.Paths = []rib.Path{labelled("10.0.0.2", 2, 100, 201), labelled("10.0.1.2", 3)}
	m3, _ := routeAdd(&relabel, 0, ifmap{2: 1, 3: 2})
	if digest(m.Route.Paths) == digest(m2.Route.Paths) || digest(m.Route.Paths) == digest(m3.Route.Paths) {
		t.Fatal("digest ignores labels")
	}
	// VPP's dump does not show is_uniform.
	dumped := []fib_types.FibPath{p1, p0}
	dumped[1].LabelStack[0].IsUniform, dumped[1].LabelStack[1].IsUniform = 0, 0
	if digest(dumped) != digest(m.Route.Paths) {
		t.Fatal("digest depends on is_uniform or order")
	}
}

func TestLSPAdd(t *testing.T) {
	ifs := ifmap{2: 1, 3: 2}
	ip4, ip6 := fib_types.FIB_API_PATH_NH_PROTO_IP4, fib_types.FIB_API_PATH_NH_PROTO_IP6
	path := func(gw string, sw uint32, proto fib_types.FibPathNhProto, labels ...uint32) fib_types.FibPath {
		fp := fib_types.FibPath{SwIfIndex: sw, Weight: 1, Proto: proto,
			Nh: fib_types.FibPathNh{Address: ToUnion(netip.MustParseAddr(gw))}}
		fp.NLabels, fp.LabelStack = stack(labels...)
		return fp
	}
	for _, tc := range []struct {
		name     string
		paths    []rib.Path
		want     []fib_types.FibPath
		eosProto uint8
		err      bool
	}{
		{
			name:  "swap",
			paths: []rib.Path{labelled("10.0.0.2", 2, 200)},
			want:  []fib_types.FibPath{path("10.0.0.2", 1, ip4, 200)},
		},
		{
			name:  "pop is implicit-null",
			paths: []rib.Path{labelled("10.0.0.2", 2)},
			want:  []fib_types.FibPath{path("10.0.0.2", 1, ip4, labelImplicitNull)},
		},
		{
			name:     "multipath over IPv6, the EOS payload follows the first path",
			paths:    []rib.Path{labelled("2001:db8::2", 3, 300, 301), labelled("2001:db8::3", 2)},
			want:     []fib_types.FibPath{path("2001:db8::2", 2, ip6, 300, 301), path("2001:db8::3", 1, ip6, labelImplicitNull)},
			eosProto: uint8(ip6),
		},
		{
			name:  "unpaired path left out",
			paths: []rib.Path{labelled("10.0.0.2", 9, 200), labelled("10.0.1.2", 3, 201)},
			want:  []fib_types.FibPath{path("10.0.1.2", 2, ip4, 201)},
		},
		{name: "no path on a paired interface", paths: []rib.Path{labelled("10.0.0.2", 9, 200)}, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rib.Route{Key: rib.LSPKey(254, 100), Kind: rib.Unicast, Paths: tc.paths}
			got, err := lspAdd(&r, 0, ifs)
			if tc.err {
				var ue *UnresolvedError
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v, want *UnresolvedError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for eos, m := range got {
				want := &mpls.MplsRouteAddDel{MrIsAdd: true, MrRoute: mpls.MplsRoute{MrLabel: 100, MrEos: uint8(eos),
					MrNPaths: uint8(len(tc.want)), MrPaths: tc.want}}
				if eos == 1 {
					want.MrRoute.MrEosProto = tc.eosProto
				}
				if d := cmp.Diff(want, m); d != "" {
					t.Fatalf("eos %d (-want +got):\n%s", eos, d)
				}
			}
		})
	}
}

func TestOwnedLSPs(t *testing.T) {
	p := func(labels ...uint32) []fib_types.FibPath {
		fp := fib_types.FibPath{SwIfIndex: 1, Weight: 1}
		fp.NLabels, fp.LabelStack = stack(labels...)
		return []fib_types.FibPath{fp}
	}
	pair := func(label uint32, neos, eos []fib_types.FibPath) []mpls.MplsRoute {
		return []mpls.MplsRoute{{MrLabel: label, MrPaths: neos}, {MrLabel: label, MrEos: 1, MrPaths: eos}}
	}
	var routes []mpls.MplsRoute
	routes = append(routes, pair(2, p(3), p(3))...)                                  // special range: VPP's
	routes = append(routes, pair(100, p(200), p(200))...)                            // lcpfib's swap
	routes = append(routes, pair(101, p(3), p(3))...)                                // lcpfib's pop
	routes = append(routes, pair(102, p(200), p(201))...)                            // paths differ: not lcpfib's
	routes = append(routes, pair(103, p(), p())...)                                  // no out-label: an operator's
	routes = append(routes, mpls.MplsRoute{MrLabel: 104, MrEos: 1, MrPaths: p(300)}) // EOS only
	got := ownedLSPs(routes)
	if len(got) != 2 || got[100] == 0 || got[101] == 0 {
		t.Fatalf("owned %v, want labels 100 and 101", got)
	}
}

// mplsDump dumps an MPLS table through GoVPP: entries by label and eos.
type mplsEntry struct {
	label uint32
	eos   uint8
}

func mplsRoutes(t *testing.T, sock string, table uint32) map[mplsEntry]mpls.MplsRoute {
	t.Helper()
	conn, err := core.Connect(socketclient.NewVppClient(sock))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Disconnect()
	out := map[mplsEntry]mpls.MplsRoute{}
	err = Dump(context.Background(), conn, &mpls.MplsRouteDump{Table: mpls.MplsTable{MtTableID: table}}, 5*time.Second,
		func(m api.Message) error {
			r := m.(*mpls.MplsRouteDetails).MrRoute
			if r.MrLabel >= 16 {
				out[mplsEntry{r.MrLabel, r.MrEos}] = r
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mplsInterfaces(t *testing.T, sock string) []uint32 {
	t.Helper()
	conn, err := core.Connect(socketclient.NewVppClient(sock))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Disconnect()
	var out []uint32
	err = Dump(context.Background(), conn, &mpls.MplsInterfaceDump{SwIfIndex: ^interface_types.InterfaceIndex(0)}, 5*time.Second,
		func(m api.Message) error {
			out = append(out, uint32(m.(*mpls.MplsInterfaceDetails).SwIfIndex))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func lspOf(label uint32, paths ...rib.Path) rib.Route {
	return rib.Route{Key: rib.LSPKey(254, label), Kind: rib.Unicast, Paths: paths}
}

func TestProgrammerMPLS(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	swap := lspOf(100, labelled("10.0.0.2", 2, 200))
	pop := lspOf(101, labelled("10.0.0.2", 2))
	multi := lspOf(102, labelled("10.0.0.2", 2, 200), labelled("10.0.1.2", 3, 201))
	ipr := rib.Route{Key: rib.Key{Table: 254, Prefix: netip.MustParsePrefix("192.0.2.0/24")}, Kind: rib.Unicast,
		Paths: []rib.Path{labelled("10.0.0.2", 2, 100, 200)}}
	f.rib.Apply(ctx, rib.Update{Source: rib.SourceFRR, Set: []rib.Route{swap, pop, multi, ipr}})
	waitFor(t, "3 LSPs and a route", func() bool {
		s := f.prog.Stats()
		return s.MPLS.LSPsAdded == 3 && s.RoutesAdded == 1
	})
	if s := f.prog.Stats(); s.RouteErrors != 0 || !s.MPLS.Supported || s.MPLS.Tables != 1 || s.MPLS.Interfaces != 2 || s.Installed != 4 {
		t.Fatalf("stats %+v", s)
	}

	got := mplsRoutes(t, f.sock, 0)
	if len(got) != 6 {
		t.Fatalf("MPLS table 0 holds %d entries of ours, want 6: %v", len(got), got)
	}
	for _, e := range []struct {
		label  uint32
		labels []uint32
	}{{100, []uint32{200}}, {101, []uint32{labelImplicitNull}}} {
		for eos := range uint8(2) {
			r, ok := got[mplsEntry{e.label, eos}]
			if !ok || len(r.MrPaths) != 1 || r.MrPaths[0].SwIfIndex != 1 || int(r.MrPaths[0].NLabels) != len(e.labels) ||
				r.MrPaths[0].LabelStack[0].Label != e.labels[0] {
				t.Fatalf("label %d eos %d: %+v", e.label, eos, r)
			}
			if eos == 1 && r.MrEosProto != uint8(fib_types.FIB_API_PATH_NH_PROTO_IP4) {
				t.Fatalf("label %d: EOS payload %d, want IPv4", e.label, r.MrEosProto)
			}
		}
	}
	if r := got[mplsEntry{102, 1}]; len(r.MrPaths) != 2 {
		t.Fatalf("multipath LSP: %+v", r)
	}
	ipe := apiRoutes(t, f.sock, 0)[ipr.Prefix]
	if len(ipe.Paths) != 1 || ipe.Paths[0].NLabels != 2 || ipe.Paths[0].LabelStack[0].Label != 100 || ipe.Paths[0].LabelStack[1].Label != 200 {
		t.Fatalf("labelled route: %+v", ipe)
	}
	if ifs := mplsInterfaces(t, f.sock); len(ifs) != 2 {
		t.Fatalf("MPLS-enabled interfaces %v, want sw_if_index 1 and 2", ifs)
	}
	reqs := f.sim.RequestCounts()
	if reqs["mpls_table_add_del"] != 1 || reqs["sw_interface_set_mpls_enable"] != 2 {
		t.Fatalf("requests %v: want one table add and two enables", reqs)
	}

	// Pop -> swap, and a delete.
	pop2 := lspOf(101, labelled("10.0.1.2", 3, 300))
	f.rib.Apply(ctx, rib.Update{Source: rib.SourceFRR, Set: []rib.Route{pop2}, Del: []rib.Key{multi.Key}})
	waitFor(t, "change and delete", func() bool {
		s := f.prog.Stats()
		return s.MPLS.LSPsAdded == 4 && s.MPLS.LSPsDeleted == 1
	})
	got = mplsRoutes(t, f.sock, 0)
	if len(got) != 4 || got[mplsEntry{101, 1}].MrPaths[0].LabelStack[0].Label != 300 || got[mplsEntry{101, 0}].MrPaths[0].SwIfIndex != 2 {
		t.Fatalf("after the change: %v", got)
	}
	if reqs := f.sim.RequestCounts(); reqs["mpls_table_add_del"] != 1 || reqs["sw_interface_set_mpls_enable"] != 2 {
		t.Fatalf("requests %v: the table and interfaces are set up once", reqs)
	}
	// An LSP whose interfaces are all unpaired is withdrawn.
	f.rib.Apply(ctx, rib.Update{Source: rib.SourceFRR, Set: []rib.Route{lspOf(100, labelled("10.0.0.2", 9, 200))}})
	waitFor(t, "unresolved LSP withdrawn", func() bool { return f.prog.Stats().MPLS.LSPsDeleted == 2 })
	if got := mplsRoutes(t, f.sock, 0); len(got) != 2 {
		t.Fatalf("after the withdrawal: %v", got)
	}
}

// TestProgrammerMPLSRestartCostsNothing: a restarted lcpfib adopts the
// LSPs in VPP, zebra's replay of them costs no call, and the sweep removes
// the one zebra no longer has.
func TestProgrammerMPLSRestartCostsNothing(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	lsps := []rib.Route{
		lspOf(100, labelled("10.0.0.2", 2, 200)),
		lspOf(101, labelled("10.0.0.2", 2)),
		lspOf(102, labelled("10.0.0.2", 2, 200), labelled("10.0.1.2", 3, 201)),
	}
	ipr := rib.Route{Key: rib.Key{Table: 254, Prefix: netip.MustParsePrefix("192.0.2.0/24")}, Kind: rib.Unicast,
		Paths: []rib.Path{labelled("10.0.0.2", 2, 100)}}
	f.rib.Apply(ctx, rib.Update{Source: rib.SourceFRR, Set: append([]rib.Route{ipr}, lsps...)})
	waitFor(t, "programmed", func() bool { return f.prog.Stats().MPLS.LSPsAdded == 3 && f.prog.Stats().RoutesAdded == 1 })
	before := f.sim.RequestCounts()

	r2 := rib.New(rib.Options{})
	p2 := New(Config{Socket: f.sock, PingInterval: 50 * time.Millisecond}, r2, &staticIfs{ifmap: ifmap{2: 1, 3: 2}}, nil)
	ctx2, cancel2 := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); r2.Run(ctx2) }()
	go func() { defer wg.Done(); p2.Run(ctx2) }()
	defer func() { cancel2(); wg.Wait() }()
	waitFor(t, "second programmer to read VPP", func() bool { return p2.Stats().Installed == 4 })

	r2.Apply(ctx, rib.Update{Source: rib.SourceFRR, Resync: rib.ResyncBegin})
	r2.Apply(ctx, rib.Update{Source: rib.SourceFRR, Set: []rib.Route{ipr, lsps[0], lsps[1]}}) // 102 is gone
	// What the dataplane holds is compared once the replay is complete.
	r2.Apply(ctx, rib.Update{Source: rib.SourceFRR, Resync: rib.ResyncEnd})
	waitFor(t, "replay handled and swept", func() bool { return p2.Stats().Unchanged == 3 && p2.Stats().MPLS.LSPsDeleted == 1 })
	s := p2.Stats()
	if s.RoutesAdded != 0 || s.MPLS.LSPsAdded != 0 || s.RouteErrors != 0 || s.Installed != 3 {
		t.Fatalf("stats %+v", s)
	}
	after := f.sim.RequestCounts()
	for _, m := range []string{"ip_route_add_del", "mpls_table_add_del", "sw_interface_set_mpls_enable"} {
		if after[m] != before[m] {
			t.Errorf("%s sent %d times by the restarted lcpfib", m, after[m]-before[m])
		}
	}
	if after["mpls_route_add_del"]-before["mpls_route_add_del"] != 2 { // the sweep of 102: two entries
		t.Errorf("mpls_route_add_del sent %d times, want 2", after["mpls_route_add_del"]-before["mpls_route_add_del"])
	}
	if got := mplsRoutes(t, f.sock, 0); len(got) != 4 {
		t.Fatalf("VPP holds %v", got)
	}
}

// TestProgrammerNoMPLS: a VPP without the MPLS API is used for IP routes;
// LSPs are counted as skipped.
func TestProgrammerNoMPLS(t *testing.T) {
	p := &Programmer{log: slog.New(slog.DiscardHandler), fails: newFailures(time.Second, time.Minute)}
	p.mpls.sess = &mplsSession{} // what start leaves when VPP lacks MPLS
	inst := &installed{}
	c := rib.Change{Key: rib.LSPKey(254, 100)}
	r := lspOf(100, labelled("10.0.0.2", 2, 200))
	c.Route = &r
	if err := p.sendLSP(context.Background(), nil, inst, &c); err != nil {
		t.Fatal(err)
	}
	if s := p.mpls.stats(); s.Skipped != 1 || s.Supported {
		t.Fatalf("stats %+v", s)
	}
	if err := p.prepareLabelled(context.Background(), nil, rib.Key{}, []fib_types.FibPath{{NLabels: 1}}); err != nil {
		t.Fatal(err)
	}
}

// TestProgrammerMPLSAfterVPPRestart: a VPP restart loses the MPLS table,
// the enables and the LSPs; lcpfib sets them all up again.
func TestProgrammerMPLSAfterVPPRestart(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	f.rib.Apply(ctx, rib.Update{Source: rib.SourceFRR, Set: []rib.Route{
		lspOf(100, labelled("10.0.0.2", 2, 200)), lspOf(101, labelled("10.0.1.2", 3))}})
	waitFor(t, "2 LSPs", func() bool { return f.prog.Stats().MPLS.LSPsAdded == 2 })
	f.sim.Restart()
	waitFor(t, "reconnect", func() bool { return f.prog.Stats().Connects >= 2 })
	waitFor(t, "2 LSPs in the new VPP", func() bool { return len(mplsRoutes(t, f.sock, 0)) == 4 })
	if ifs := mplsInterfaces(t, f.sock); len(ifs) != 2 {
		t.Fatalf("MPLS-enabled interfaces %v", ifs)
	}
	if s := f.prog.Stats(); s.RouteErrors != 0 || s.MPLS.Tables != 1 {
		t.Fatalf("stats %+v", s)
	}
}
