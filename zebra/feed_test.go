package zebra

import (
	"context"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/rib"
)

// fakeSink applies updates to a map, as the rib would for one source, and
// keeps them. Like the rib, it is a NexthopIndex.
type fakeSink struct {
	t       testing.TB
	routes  map[rib.Key]rib.Route
	gens    map[rib.Key]int // the replay generation that set each route
	gen     int             // replays begun
	updates []rib.Update    // updates that carry routes
	marks   []rib.Resync    // replay markers, in order
	err     error           // returned by Apply when set
}

func newFakeSink(t testing.TB) *fakeSink {
	return &fakeSink{t: t, routes: map[rib.Key]rib.Route{}, gens: map[rib.Key]int{}}
}

// RoutesByNexthop lists, as the rib does, the routes set since the last
// ResyncBegin that name one of ids.
func (s *fakeSink) RoutesByNexthop(ctx context.Context, src rib.Source, ids []uint32) ([]rib.NexthopRef, error) {
	if s.err != nil {
		return nil, s.err
	}
	var out []rib.NexthopRef
	for k, r := range s.routes {
		if r.NexthopID != 0 && s.gens[k] == s.gen && slices.Contains(ids, r.NexthopID) {
			out = append(out, rib.NexthopRef{Key: k, NexthopID: r.NexthopID, Protocol: r.Protocol})
		}
	}
	return out, nil
}

func (s *fakeSink) Apply(ctx context.Context, u rib.Update) error {
	if s.err != nil {
		return s.err
	}
	if u.Source != rib.SourceFRR {
		s.t.Errorf("update from source %v", u.Source)
	}
	if u.Resync == rib.ResyncBegin {
		s.gen++
	}
	if u.Resync != rib.ResyncNone {
		s.marks = append(s.marks, u.Resync)
		if len(u.Set)+len(u.Del) > 0 {
			s.t.Errorf("replay marker %v with routes", u.Resync)
		}
		return nil
	}
	set := map[rib.Key]bool{}
	for _, r := range u.Set {
		if set[r.Key] {
			s.t.Errorf("key %s set twice in one update", r.Key)
		}
		set[r.Key] = true
		if r.Source != rib.SourceFRR {
			s.t.Errorf("route %s from source %v", r, r.Source)
		}
		if r.Prefix != r.Prefix.Masked() {
			s.t.Errorf("route %s not masked", r.Key)
		}
	}
	for _, k := range u.Del {
		if set[k] {
			s.t.Errorf("key %s both set and deleted in one update", k)
		}
		delete(s.routes, k)
	}
	for _, r := range u.Set {
		s.routes[r.Key] = r
		s.gens[r.Key] = s.gen
	}
	s.updates = append(s.updates, u)
	return nil
}

// state returns the routes held, sorted, with sorted paths.
func (s *fakeSink) state() []rib.Route { return sortedRoutes(s.routes) }

func sortedRoutes(m map[rib.Key]rib.Route) []rib.Route {
	rs := slices.Collect(maps.Values(m))
	for i := range rs {
		rs[i].Paths = rib.SortedPaths(rs[i].Paths)
		if len(rs[i].Paths) == 0 {
			rs[i].Paths = nil
		}
	}
	slices.SortFunc(rs, func(a, b rib.Route) int {
		if a.Table != b.Table {
			return int(a.Table) - int(b.Table)
		}
		if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
			return c
		}
		if d := a.Prefix.Bits() - b.Prefix.Bits(); d != 0 {
			return d
		}
		return int(a.Label) - int(b.Label) // LSPs
	})
	return rs
}

var loopback = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2620}

// replayed is the result of feeding a recording through a Feed.
type replayed struct {
	feed    *Feed
	sink    *fakeSink
	states  [][]rib.Route  // routes after each frame
	updates [][]rib.Update // updates caused by each frame
	txt     txtCapture     // the recording's .txt
	errs    map[int]error  // Frame errors by frame
}

// replay feeds a recording through a Feed the way the fpm server would,
// flushing after every frame (the recordings have gaps between frames).
func replay(t *testing.T, name string, opts Options) replayed {
	t.Helper()
	recs := readCapture(t, name+".bin")
	r := replayed{sink: newFakeSink(t), txt: parseTxt(t, name+".txt"), errs: map[int]error{}}
	r.feed = NewFeed(r.sink, opts)
	ctx := context.Background()
	conn := uint32(0)
	for i, rec := range recs {
		if rec.Conn != conn {
			if conn != 0 {
				r.feed.Disconnected(uint64(conn), nil)
			}
			conn = rec.Conn
			if err := r.feed.Connected(ctx, uint64(conn), loopback); err != nil {
				t.Fatal(err)
			}
		}
		before := len(r.sink.updates)
		if err := r.feed.Frame(ctx, uint64(conn), rec.Frame.Payload); err != nil {
			r.errs[i] = err
		}
		if err := r.feed.Flush(ctx, uint64(conn)); err != nil {
			t.Fatalf("frame %d: Flush: %v", i, err)
		}
		r.states = append(r.states, r.sink.state())
		r.updates = append(r.updates, slices.Clone(r.sink.updates[before:]))
	}
	return r
}

// after returns the routes once the frames of a MARK STEP (named without
// its NHG/NONHG prefix) have been handled.
func (r replayed) after(t *testing.T, step string) []rib.Route {
	t.Helper()
	for i, s := range r.txt.steps {
		if _, rest, _ := strings.Cut(s, " "); rest != step && s != step {
			continue
		}
		end := len(r.states)
		if i+1 < len(r.txt.steps) {
			end = r.txt.stepStart[r.txt.steps[i+1]]
		}
		if end == 0 {
			return nil
		}
		return r.states[end-1]
	}
	t.Fatalf("no MARK STEP %q", step)
	return nil
}

func uni(table uint32, p string, proto uint8, paths ...rib.Path) rib.Route {
	return rib.Route{Key: rib.Key{Table: table, Prefix: prefix(p)}, Kind: rib.Unicast,
		Source: rib.SourceFRR, Protocol: proto, Paths: rib.SortedPaths(paths)}
}

func drop(table uint32, p string, kind rib.Kind, proto uint8) rib.Route {
	return rib.Route{Key: rib.Key{Table: table, Prefix: prefix(p)}, Kind: kind,
		Source: rib.SourceFRR, Protocol: proto}
}

func via(gw string, ifindex uint32) rib.Path {
	var a netip.Addr
	if gw != "" {
		a = addr(gw)
	}
	return rib.Path{Gateway: a, Ifindex: ifindex, Weight: 1}
}

func find(rs []rib.Route, table uint32, p string) *rib.Route {
	for i := range rs {
		if rs[i].Key == (rib.Key{Table: table, Prefix: prefix(p)}) {
			return &rs[i]
		}
	}
	return nil
}

// The static-route cases: the same steps, and the same expected routes,
// with and without nexthop groups.
var caseSteps = []struct {
	step    string
	want    []rib.Route // routes that must be there, exactly
	gone    []rib.Key   // routes that must not
	replace bool        // the step is one DELROUTE+NEWROUTE frame
}{
	{step: "single nexthop: ip route 192.0.2.0/24 10.0.0.2",
		want: []rib.Route{uni(254, "192.0.2.0/24", 196, via("10.0.0.2", 2))}},
	{step: "ECMP: ip route 198.51.100.0/24 via 10.0.0.2 + 10.0.1.2",
		want: []rib.Route{uni(254, "198.51.100.0/24", 196, via("10.0.0.2", 2), via("10.0.1.2", 3))}},
	{step: "blackhole: ip route 203.0.113.0/24 blackhole",
		want: []rib.Route{drop(254, "203.0.113.0/24", rib.Blackhole, 196)}},
	{step: "reject: ip route 203.0.113.128/25 reject",
		want: []rib.Route{drop(254, "203.0.113.128/25", rib.Unreachable, 196)}},
	{step: "interface-only: ip route 192.0.2.64/26 br1",
		want: []rib.Route{uni(254, "192.0.2.64/26", 196, via("", 3))}},
	{step: "v6 link-local nh: ipv6 route 2001:db8:100::/48 fe80::1 br0",
		want: []rib.Route{uni(254, "2001:db8:100::/48", 196, via("fe80::1", 2))}},
	{step: "v6 global nh: ipv6 route 2001:db8:200::/48 2001:db8::2",
		want: []rib.Route{uni(254, "2001:db8:200::/48", 196, via("2001:db8::2", 2))}},
	{step: "v6 ECMP: ipv6 route 2001:db8:300::/48 2001:db8::2 + 2001:db8:1::2",
		want: []rib.Route{uni(254, "2001:db8:300::/48", 196, via("2001:db8::2", 2), via("2001:db8:1::2", 3))}},
	{step: "non-default table: ip route 192.0.2.128/25 10.0.0.2 table 100",
		want: []rib.Route{uni(100, "192.0.2.128/25", 196, via("10.0.0.2", 2))},
		gone: []rib.Key{{Table: 254, Prefix: prefix("192.0.2.128/25")}}},
	{step: "weighted-ish ECMP add 3rd path to 198.51.100.0/24 via 10.0.0.3",
		want:    []rib.Route{uni(254, "198.51.100.0/24", 196, via("10.0.0.2", 2), via("10.0.0.3", 2), via("10.0.1.2", 3))},
		replace: true},
	{step: "replace: 192.0.2.0/24 nh 10.0.0.2 -> 10.0.1.2 (add new, remove old)",
		want:    []rib.Route{uni(254, "192.0.2.0/24", 196, via("10.0.1.2", 3))},
		replace: true},
	{step: "replace v6: 2001:db8:200::/48 nh 2001:db8::2 -> 2001:db8:1::2",
		want:    []rib.Route{uni(254, "2001:db8:200::/48", 196, via("2001:db8:1::2", 3))},
		replace: true},
	{step: "ECMP shrink: remove 10.0.0.3 from 198.51.100.0/24",
		want:    []rib.Route{uni(254, "198.51.100.0/24", 196, via("10.0.0.2", 2), via("10.0.1.2", 3))},
		replace: true},
	{step: "delete v4: no ip route 192.0.2.0/24 10.0.0.9 5 ; no ip route 192.0.2.0/24 10.0.1.2",
		gone: []rib.Key{{Table: 254, Prefix: prefix("192.0.2.0/24")}}},
	{step: "delete blackhole",
		gone: []rib.Key{{Table: 254, Prefix: prefix("203.0.113.0/24")}}},
	{step: "delete v6 LL",
		gone: []rib.Key{{Table: 254, Prefix: prefix("2001:db8:100::/48")}}},
	{step: "delete ECMP v4",
		gone: []rib.Key{{Table: 254, Prefix: prefix("198.51.100.0/24")}}},
	{step: "kernel route added outside FRR: ip route add 192.0.2.200/32 via 10.0.0.3",
		want: []rib.Route{uni(254, "192.0.2.200/32", 2, via("10.0.0.3", 2))}},
	{step: "kernel route removed outside FRR",
		gone: []rib.Key{{Table: 254, Prefix: prefix("192.0.2.200/32")}}},
	// Connected routes (protocol kernel, interface-only) are not handed
	// on: VPP has them from its interface addresses.
	{step: "address add 10.0.0.77/32? -> ip addr add 10.5.0.1/24 dev br1",
		gone: []rib.Key{{Table: 254, Prefix: prefix("10.5.0.0/24")}}},
	{step: "link down br1",
		want: []rib.Route{
			uni(254, "2001:db8:300::/48", 196, via("2001:db8::2", 2)),
		},
		gone: []rib.Key{
			{Table: 254, Prefix: prefix("10.0.1.0/24")},
			{Table: 254, Prefix: prefix("10.5.0.0/24")},
			{Table: 254, Prefix: prefix("192.0.2.64/26")},
			{Table: 254, Prefix: prefix("2001:db8:1::/64")},
			{Table: 254, Prefix: prefix("2001:db8:200::/48")},
		}},
	{step: "link up br1",
		want: []rib.Route{
			uni(254, "192.0.2.64/26", 196, via("", 3)),
		},
		gone: []rib.Key{
			{Table: 254, Prefix: prefix("10.0.1.0/24")},
			{Table: 254, Prefix: prefix("10.5.0.0/24")},
		}},
	{step: "address del 10.5.0.1/24",
		gone: []rib.Key{{Table: 254, Prefix: prefix("10.5.0.0/24")}}},
}

func TestFeedReplayCases(t *testing.T) {
	tests := []struct {
		name  string
		final []rib.Route // routes after the whole recording
	}{
		{
			name: "cases_nhg",
			// Only connected routes are left, and those are not handed on.
			final: nil,
		},
		{
			name:  "cases_nonhg",
			final: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := replay(t, tt.name, Options{})
			for i, err := range r.errs {
				t.Errorf("frame %d: %v", i, err)
			}
			for _, cs := range caseSteps {
				got := r.after(t, cs.step)
				for _, want := range cs.want {
					g := find(got, want.Table, want.Prefix.String())
					if g == nil {
						t.Errorf("after %q: %s missing", cs.step, want.Key)
						continue
					}
					if diff := cmp.Diff(want, *g, cmpOpts); diff != "" {
						t.Errorf("after %q: %s (-want +got):\n%s", cs.step, want.Key, diff)
					}
				}
				for _, k := range cs.gone {
					if g := find(got, k.Table, k.Prefix.String()); g != nil {
						t.Errorf("after %q: %s still there: %s", cs.step, k, g)
					}
				}
			}
			if diff := cmp.Diff(tt.final, r.sink.state(), cmpOpts); diff != "" {
				t.Errorf("final routes (-want +got):\n%s", diff)
			}
			c := r.feed.Counters()
			if c.DecodeErrors != 0 || c.Unsupported != 0 || c.RoutesHeld != 0 || c.HeldNow != 0 {
				t.Errorf("counters %+v", c)
			}
		})
	}
}

// TestFeedReplaceIsOneSet checks every frame of the recordings that carries
// a DELROUTE and a NEWROUTE for the same key: it must give one Update with
// one Set and no Del.
func TestFeedReplaceIsOneSet(t *testing.T) {
	for _, name := range []string{"cases_nhg", "cases_nonhg"} {
		t.Run(name, func(t *testing.T) {
			r := replay(t, name, Options{})
			pairs := 0
			for i, fr := range r.txt.frames {
				if len(fr.msgs) != 2 || fr.msgs[0].Header.Type != TypeDelRoute || fr.msgs[1].Header.Type != TypeNewRoute {
					continue
				}
				del, _ := routeKey(fr.msgs[0].Route)
				add, _ := routeKey(fr.msgs[1].Route)
				if del != add {
					continue
				}
				pairs++
				us := r.updates[i]
				if len(us) != 1 || len(us[0].Del) != 0 || len(us[0].Set) != 1 || us[0].Set[0].Key != add {
					t.Errorf("frame %d (.txt line %d) replaces %s: updates %v, want one Set", i, fr.line, add, us)
				}
			}
			if pairs == 0 {
				t.Fatal("no replace frames found")
			}
			if c := r.feed.Counters(); c.RoutesReplaced != uint64(pairs) {
				t.Errorf("RoutesReplaced = %d, want %d", c.RoutesReplaced, pairs)
			}
		})
	}
}

// The legacy fpm:netlink module sends the weight in rtnh_hops.
func TestFeedReplayLegacy(t *testing.T) {
	ecmp := func(w uint32) rib.Route {
		r := uni(254, "198.51.100.0/24", 11, via("10.0.0.2", 2), via("10.0.1.2", 3))
		for i := range r.Paths {
			r.Paths[i].Weight = w
		}
		return r
	}
	for _, tt := range []struct {
		legacy bool
		weight uint32
	}{{false, 2}, {true, 1}} {
		r := replay(t, "legacy_fpm", Options{LegacyWeights: tt.legacy})
		// The ECMP route is deleted by the last frame; look before it.
		got := find(r.states[len(r.states)-2], 254, "198.51.100.0/24")
		if got == nil {
			t.Fatal("ECMP route missing")
		}
		if diff := cmp.Diff(ecmp(tt.weight), *got, cmpOpts); diff != "" {
			t.Errorf("LegacyWeights=%v (-want +got):\n%s", tt.legacy, diff)
		}
		if find(r.sink.state(), 254, "198.51.100.0/24") != nil {
			t.Error("ECMP route not deleted")
		}
	}
}

// TestFeedLoad feeds the 120,000-route recordings through a Feed.
func TestFeedLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("feeds 240,000 messages")
	}
	for _, name := range []string{"load.bin.gz", "load_nonhg.bin.gz"} {
		t.Run(name, func(t *testing.T) {
			sink := newFakeSink(t)
			f := NewFeed(sink, Options{})
			ctx := context.Background()
			if err := f.Connected(ctx, 1, loopback); err != nil {
				t.Fatal(err)
			}
			for i, rec := range readCapture(t, name) {
				if err := f.Frame(ctx, 1, rec.Frame.Payload); err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
			}
			if err := f.Flush(ctx, 1); err != nil {
				t.Fatal(err)
			}
			c := f.Counters()
			if c.DecodeErrors != 0 || c.Unsupported != 0 || c.HeldNow != 0 {
				t.Fatalf("counters %+v", c)
			}
			if got, want := len(sink.routes), 120007-int(c.SkippedLocalTable+c.SkippedConnected); got != want {
				t.Fatalf("%d routes, want %d", got, want)
			}
			if c.Batches < 120007/DefaultMaxBatch {
				t.Fatalf("%d batches for 120,007 routes", c.Batches)
			}
			t.Logf("%d routes in %d batches", len(sink.routes), c.Batches)
		})
	}
}

// BenchmarkFeedLoad reports how fast a Feed turns zebra's stream into
// updates, from a recording in memory.
func BenchmarkFeedLoad(b *testing.B) {
	recs := readCapture(b, "load.bin.gz")
	var bytes int64
	for _, r := range recs {
		bytes += int64(len(r.Frame.Payload) + fpm.HeaderLen)
	}
	b.SetBytes(bytes)
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		f := NewFeed(discardSink{}, Options{})
		f.Connected(ctx, 1, loopback)
		for _, r := range recs {
			f.Frame(ctx, 1, r.Frame.Payload)
		}
		f.Flush(ctx, 1)
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "routes/s")
}

type discardSink struct{}

func (discardSink) Apply(context.Context, rib.Update) error { return nil }
