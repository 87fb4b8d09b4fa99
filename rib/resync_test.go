package rib

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func keysOf(cs []Change) map[Key]bool {
	out := map[Key]bool{}
	for _, c := range cs {
		out[c.Key] = c.Route != nil
	}
	return out
}

func TestResyncKeepsRenewsAndSweeps(t *testing.T) {
	r := startRIB(t, Options{})
	ctx := context.Background()
	a := route(SourceFRR, "192.0.2.0/24", via("10.0.0.2", 2))
	b := route(SourceFRR, "198.51.100.0/24", via("10.0.0.2", 2))
	c := route(SourceFRR, "203.0.113.0/24", via("10.0.0.2", 2))
	t100 := route(SourceFRR, "192.0.2.128/25", via("10.0.0.2", 2))
	t100.Table = 100
	r.Apply(ctx, Update{Source: SourceFRR, Set: []Route{a, b, c, t100}})
	drain(t, r)

	// zebra reconnects: nothing changes while the replay runs.
	r.Apply(ctx, Update{Source: SourceFRR, Resync: ResyncBegin})
	b2 := route(SourceFRR, "198.51.100.0/24", via("10.0.1.2", 3))
	r.Apply(ctx, Update{Source: SourceFRR, Set: []Route{a, b2}}) // a unchanged, b changed, c not replayed
	got := drain(t, r)
	if d := cmp.Diff([]Change{{Key: b.Key, Route: &b2}}, got, cmpOpts); d != "" {
		t.Fatalf("during the replay (-want +got):\n%s", d)
	}
	st, _ := r.Stats(ctx)
	if st.Replaying != 1 || st.Routes != 4 {
		t.Fatalf("stats during replay %+v", st)
	}

	// The end sweeps c; table 100, which the replay did not touch, stays.
	r.Apply(ctx, Update{Source: SourceFRR, Resync: ResyncEnd})
	got = drain(t, r)
	if d := cmp.Diff([]Change{{Key: c.Key}}, got, cmpOpts); d != "" {
		t.Fatalf("sweep (-want +got):\n%s", d)
	}
	st, _ = r.Stats(ctx)
	if st.Swept != 1 || st.LastSwept != 1 || st.Routes != 3 || st.Replaying != 0 || st.Resyncs != 1 {
		t.Fatalf("stats after sweep %+v", st)
	}
}

func TestResyncEndWithoutBeginSweepsNothing(t *testing.T) {
	r := startRIB(t, Options{})
	ctx := context.Background()
	a := route(SourceFRR, "192.0.2.0/24", via("10.0.0.2", 2))
	r.Apply(ctx, Update{Source: SourceFRR, Set: []Route{a}})
	drain(t, r)
	r.Apply(ctx, Update{Source: SourceFRR, Resync: ResyncEnd})
	if got := drain(t, r); len(got) != 0 {
		t.Fatalf("got %v", got)
	}
}

func TestResyncOfOneSourceLeavesTheOther(t *testing.T) {
	r := startRIB(t, Options{})
	ctx := context.Background()
	frr := route(SourceFRR, "192.0.2.0/24", via("10.0.0.2", 2))
	bird := route(SourceBIRD, "192.0.2.0/24", via("10.0.9.9", 4))
	birdOnly := route(SourceBIRD, "198.51.100.0/24", via("10.0.9.9", 4))
	r.Apply(ctx, Update{Source: SourceFRR, Set: []Route{frr}})
	r.Apply(ctx, Update{Source: SourceBIRD, Set: []Route{bird, birdOnly}})
	drain(t, r)
	// FRR replays nothing: its route is swept and BIRD's takes over.
	r.Apply(ctx, Update{Source: SourceFRR, Resync: ResyncBegin})
	r.Apply(ctx, Update{Source: SourceFRR, Set: []Route{route(SourceFRR, "203.0.113.0/24", via("10.0.0.2", 2))}})
	r.Apply(ctx, Update{Source: SourceFRR, Resync: ResyncEnd})
	got := keysOf(drain(t, r))
	want := map[Key]bool{key("203.0.113.0/24"): true, key("192.0.2.0/24"): true}
	if d := cmp.Diff(want, got, cmpOpts); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	rs, _ := r.Routes(ctx)
	for _, rt := range rs {
		if rt.Key == frr.Key && rt.Source != SourceBIRD {
			t.Fatalf("192.0.2.0/24 is %v, want BIRD's", rt)
		}
	}
}

func TestAdoptSweepsOrphansOnlyAfterReplay(t *testing.T) {
	r := startRIB(t, Options{})
	ctx := context.Background()
	kept := key("192.0.2.0/24")
	gone := key("198.51.100.0/24")
	other := Key{Table: 100, Prefix: key("192.0.2.128/25").Prefix}
	// A restarted lcpfib finds these in VPP.
	if err := r.Adopt(ctx, []Key{kept, gone, other}); err != nil {
		t.Fatal(err)
	}
	if got := drain(t, r); len(got) != 0 {
		t.Fatalf("adopting changed something: %v", got)
	}
	r.Apply(ctx, Update{Source: SourceFRR, Resync: ResyncBegin})
	// The replay renews kept in two steps (as BIRD's add-path paths of
	// one prefix arrive): the dataplane, which holds kept already, hears
	// of it once the replay is complete, with its last route.
	k := route(SourceFRR, "192.0.2.0/24", via("10.0.0.2", 2))
	r.Apply(ctx, Update{Source: SourceFRR, Set: []Route{route(SourceFRR, "192.0.2.0/24", via("10.0.0.3", 2))}})
	r.Apply(ctx, Update{Source: SourceFRR, Set: []Route{k}})
	if got := drain(t, r); len(got) != 0 {
		t.Fatalf("during the replay, keys the dataplane holds changed: %v", got)
	}
	st, _ := r.Stats(ctx)
	if st.Orphans != 2 {
		t.Fatalf("orphans %d, want 2", st.Orphans)
	}
	r.Apply(ctx, Update{Source: SourceFRR, Resync: ResyncEnd})
	changes := drain(t, r)
	got := keysOf(changes)
	if d := cmp.Diff(map[Key]bool{kept: true, gone: false}, got, cmpOpts); d != "" {
		t.Fatalf("replay end: held keys and the orphan sweep (-want +got):\n%s", d)
	}
	for _, c := range changes {
		if c.Key == kept && !c.Route.Equal(k) {
			t.Fatalf("kept reached the dataplane as %v, want its last route %v", c.Route, k)
		}
	}
	st, _ = r.Stats(ctx)
	if st.Orphans != 1 { // table 100 was not replayed: left alone
		t.Fatalf("orphans %d, want 1", st.Orphans)
	}

	// After a replay, a later adoption (VPP reconnected) sweeps at once.
	extra := key("203.0.113.0/24")
	r.Adopt(ctx, []Key{kept, extra})
	if d := cmp.Diff(map[Key]bool{extra: false}, keysOf(drain(t, r)), cmpOpts); d != "" {
		t.Fatalf("late adoption (-want +got):\n%s", d)
	}
}
