package rib

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func key(p string) Key { return Key{Table: 254, Prefix: netip.MustParsePrefix(p)} }

func via(gw string, ifindex uint32) Path {
	return Path{Gateway: netip.MustParseAddr(gw), Ifindex: ifindex, Weight: 1}
}

func route(src Source, p string, paths ...Path) Route {
	return Route{Key: key(p), Kind: Unicast, Source: src, Paths: paths}
}

func startRIB(t *testing.T, o Options) *RIB {
	t.Helper()
	r := New(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

// drain collects changes until none arrive for a short while.
func drain(t *testing.T, r *RIB) []Change {
	t.Helper()
	var out []Change
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		cs, err := r.Next(ctx, 1000)
		cancel()
		if err != nil {
			return out
		}
		out = append(out, cs...)
	}
}

var cmpOpts = cmp.Options{cmpopts.EquateComparable(netip.Prefix{}, netip.Addr{})}

func TestRIBMergesPerKey(t *testing.T) {
	r := startRIB(t, Options{})
	ctx := context.Background()
	a := route(SourceFRR, "192.0.2.0/24", via("10.0.0.2", 2))
	b := route(SourceFRR, "192.0.2.0/24", via("10.0.1.2", 3))
	c := route(SourceFRR, "198.51.100.0/24", via("10.0.0.2", 2))
	for _, u := range []Update{
		{Source: SourceFRR, Set: []Route{a}},
		{Source: SourceFRR, Set: []Route{c}},
		{Source: SourceFRR, Set: []Route{b}},
		{Source: SourceFRR, Del: []Key{c.Key}},
	} {
		if err := r.Apply(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	got := drain(t, r)
	want := []Change{{Key: a.Key, Route: &b}, {Key: c.Key}}
	if d := cmp.Diff(want, got, cmpOpts); d != "" {
		t.Fatalf("changes (-want +got):\n%s", d)
	}
}

func TestRIBUnchangedRouteIsNoChange(t *testing.T) {
	r := startRIB(t, Options{})
	ctx := context.Background()
	a := route(SourceFRR, "192.0.2.0/24", via("10.0.0.2", 2), via("10.0.1.2", 3))
	r.Apply(ctx, Update{Source: SourceFRR, Set: []Route{a}})
	if got := drain(t, r); len(got) != 1 {
		t.Fatalf("first set: got %d changes, want 1", len(got))
	}
	same := route(SourceFRR, "192.0.2.0/24", via("10.0.1.2", 3), via("10.0.0.2", 2))
	r.Apply(ctx, Update{Source: SourceFRR, Set: []Route{same}})
	if got := drain(t, r); len(got) != 0 {
		t.Fatalf("same paths in another order: got %v, want no change", got)
	}
}

func TestRIBSourcePreference(t *testing.T) {
	r := startRIB(t, Options{})
	ctx := context.Background()
	bird := route(SourceBIRD, "192.0.2.0/24", via("10.0.9.9", 4))
	frr := route(SourceFRR, "192.0.2.0/24", via("10.0.0.2", 2))

	r.Apply(ctx, Update{Source: SourceBIRD, Set: []Route{bird}})
	want := []Change{{Key: bird.Key, Route: &bird}}
	if d := cmp.Diff(want, drain(t, r), cmpOpts); d != "" {
		t.Fatalf("bird alone (-want +got):\n%s", d)
	}
	r.Apply(ctx, Update{Source: SourceFRR, Set: []Route{frr}})
	want = []Change{{Key: frr.Key, Route: &frr}}
	if d := cmp.Diff(want, drain(t, r), cmpOpts); d != "" {
		t.Fatalf("frr wins (-want +got):\n%s", d)
	}
	// A change of the losing source is not the dataplane's business.
	bird2 := route(SourceBIRD, "192.0.2.0/24", via("10.0.9.8", 4))
	r.Apply(ctx, Update{Source: SourceBIRD, Set: []Route{bird2}})
	if got := drain(t, r); len(got) != 0 {
		t.Fatalf("loser changed: got %v, want nothing", got)
	}
	r.Apply(ctx, Update{Source: SourceFRR, Del: []Key{frr.Key}})
	want = []Change{{Key: frr.Key, Route: &bird2}}
	if d := cmp.Diff(want, drain(t, r), cmpOpts); d != "" {
		t.Fatalf("bird takes over (-want +got):\n%s", d)
	}
}

func TestRIBResyncAndRoutes(t *testing.T) {
	r := startRIB(t, Options{})
	ctx := context.Background()
	a := route(SourceFRR, "192.0.2.0/24", via("10.0.0.2", 2))
	b := route(SourceFRR, "2001:db8::/32", via("fe80::1", 2))
	r.Apply(ctx, Update{Source: SourceFRR, Set: []Route{a, b}})
	drain(t, r)
	r.Resync()
	if got := drain(t, r); len(got) != 2 {
		t.Fatalf("after resync got %d changes, want 2", len(got))
	}
	rs, err := r.Routes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]Route{a, b}, rs, cmpOpts, cmpopts.SortSlices(func(x, y Route) bool { return x.Prefix.String() < y.Prefix.String() })); d != "" {
		t.Fatalf("routes (-want +got):\n%s", d)
	}
}

func TestRIBMasksPrefixes(t *testing.T) {
	r := startRIB(t, Options{})
	ctx := context.Background()
	a := Route{Key: Key{Table: 100, Prefix: netip.MustParsePrefix("10.53.1.1/16")}, Kind: Blackhole}
	r.Apply(ctx, Update{Source: SourceFRR, Set: []Route{a}})
	got := drain(t, r)
	if len(got) != 1 || got[0].Key.Prefix != netip.MustParsePrefix("10.53.0.0/16") {
		t.Fatalf("got %v, want one change for 10.53.0.0/16", got)
	}
}

func TestRIBRoutesByNexthop(t *testing.T) {
	r := startRIB(t, Options{})
	ctx := context.Background()
	withID := func(rt Route, id uint32) Route { rt.NexthopID = id; return rt }
	a := withID(route(SourceFRR, "192.0.2.0/24", via("10.0.0.2", 2)), 10)
	b := withID(route(SourceFRR, "198.51.100.0/24", via("10.0.0.2", 2)), 11)
	c := withID(route(SourceBIRD, "203.0.113.0/24", via("10.0.0.2", 2)), 10)
	d := route(SourceFRR, "203.0.113.0/24", via("10.0.0.2", 2))
	for _, u := range []Update{
		{Source: SourceFRR, Set: []Route{a, b, d}},
		{Source: SourceBIRD, Set: []Route{c}},
	} {
		if err := r.Apply(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	got, err := r.RoutesByNexthop(ctx, SourceFRR, []uint32{10, 12})
	if err != nil {
		t.Fatal(err)
	}
	want := []NexthopRef{{Key: a.Key, NexthopID: 10}}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Fatalf("routes of nexthop 10 (-want +got):\n%s", diff)
	}
	// The rib hands the id to nobody else.
	for _, c := range drain(t, r) {
		if c.Route != nil && c.Route.NexthopID != 0 {
			t.Fatalf("change %v carries nexthop id %d", c.Key, c.Route.NexthopID)
		}
	}

	// A new replay: ids of the last connection mean nothing until the
	// replay renews their routes.
	if err := r.Apply(ctx, Update{Source: SourceFRR, Resync: ResyncBegin}); err != nil {
		t.Fatal(err)
	}
	if got, err := r.RoutesByNexthop(ctx, SourceFRR, []uint32{10, 11}); err != nil || len(got) != 0 {
		t.Fatalf("after ResyncBegin: %v, %v; want none", got, err)
	}
	if err := r.Apply(ctx, Update{Source: SourceFRR, Set: []Route{withID(b, 10)}}); err != nil {
		t.Fatal(err)
	}
	got, err = r.RoutesByNexthop(ctx, SourceFRR, []uint32{10, 11})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]NexthopRef{{Key: b.Key, NexthopID: 10}}, got, cmpOpts); diff != "" {
		t.Fatalf("renewed routes (-want +got):\n%s", diff)
	}
}
