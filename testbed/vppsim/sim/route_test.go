package sim_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/ip"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

const noIndex = ^uint32(0)

// TestIPRouteAddDel walks the ip_route_add_del table of VPP-API-NOTES.md
// and the path types lcpfib uses. Each case starts from a fresh VPP with
// eth0 (1) and eth1 (2), applies setup (which must succeed), sends req,
// and compares the dumped entries named in want (nil: absent).
func TestIPRouteAddDel(t *testing.T) {
	var (
		a   = via("192.0.2.1", 1)
		b   = via("192.0.2.2", 2)
		a6  = via("2001:db8::1", 1)
		rec = via("198.51.100.7", noIndex)
	)
	add := func(p string, ps ...fib_types.FibPath) *ip.IPRouteAddDel { return routeReq(t, true, false, p, ps...) }
	addMP := func(p string, ps ...fib_types.FibPath) *ip.IPRouteAddDel { return routeReq(t, true, true, p, ps...) }
	del := func(p string, ps ...fib_types.FibPath) *ip.IPRouteAddDel { return routeReq(t, false, false, p, ps...) }
	delMP := func(p string, ps ...fib_types.FibPath) *ip.IPRouteAddDel { return routeReq(t, false, true, p, ps...) }
	inTable := func(r *ip.IPRouteAddDel, id uint32) *ip.IPRouteAddDel { r.Route.TableID = id; return r }
	withLen := func(r *ip.IPRouteAddDel, n uint8) *ip.IPRouteAddDel { r.Route.Prefix.Len = n; return r }
	apiRoute := func(p string, ps ...fib_types.FibPath) *route {
		return &route{Prefix: p, Src: sim.SourceAPI, Paths: ps}
	}

	tests := []struct {
		name    string
		setup   []*ip.IPRouteAddDel
		req     *ip.IPRouteAddDel
		wantErr error
		want    map[string]*route // masked prefix -> entry (nil: absent)
	}{
		{
			name: "add creates the entry",
			req:  add("10.0.0.0/24", a),
			want: map[string]*route{"10.0.0.0/24": apiRoute("10.0.0.0/24", a)},
		},
		{
			name:  "add replaces the whole path set",
			setup: []*ip.IPRouteAddDel{add("10.0.0.0/24", a), addMP("10.0.0.0/24", b)},
			req:   add("10.0.0.0/24", via("192.0.2.3", 1)),
			want:  map[string]*route{"10.0.0.0/24": apiRoute("10.0.0.0/24", via("192.0.2.3", 1))},
		},
		{
			name:  "the same add again changes nothing",
			setup: []*ip.IPRouteAddDel{add("10.0.0.0/24", a)},
			req:   add("10.0.0.0/24", a),
			want:  map[string]*route{"10.0.0.0/24": apiRoute("10.0.0.0/24", a)},
		},
		{
			name:  "multipath add appends",
			setup: []*ip.IPRouteAddDel{add("10.0.0.0/24", b)},
			req:   addMP("10.0.0.0/24", a),
			want:  map[string]*route{"10.0.0.0/24": apiRoute("10.0.0.0/24", a, b)},
		},
		{
			name:  "multipath add of a path already there",
			setup: []*ip.IPRouteAddDel{add("10.0.0.0/24", a)},
			req:   addMP("10.0.0.0/24", weighted(a, 5, 0)),
			want:  map[string]*route{"10.0.0.0/24": apiRoute("10.0.0.0/24", a)},
		},
		{
			name: "multipath add creates a missing entry",
			req:  addMP("10.0.0.0/24", a),
			want: map[string]*route{"10.0.0.0/24": apiRoute("10.0.0.0/24", a)},
		},
		{
			name:  "multipath del removes that path",
			setup: []*ip.IPRouteAddDel{add("10.0.0.0/24", a, b)},
			req:   delMP("10.0.0.0/24", a),
			want:  map[string]*route{"10.0.0.0/24": apiRoute("10.0.0.0/24", b)},
		},
		{
			name:  "multipath del ignores the weight",
			setup: []*ip.IPRouteAddDel{add("10.0.0.0/24", weighted(a, 3, 0), b)},
			req:   delMP("10.0.0.0/24", a),
			want:  map[string]*route{"10.0.0.0/24": apiRoute("10.0.0.0/24", b)},
		},
		{
			name:  "multipath del of the last path removes the entry",
			setup: []*ip.IPRouteAddDel{add("10.0.0.0/24", a)},
			req:   delMP("10.0.0.0/24", a),
			want:  map[string]*route{"10.0.0.0/24": nil},
		},
		{
			name:  "multipath del of a path not there",
			setup: []*ip.IPRouteAddDel{add("10.0.0.0/24", a)},
			req:   delMP("10.0.0.0/24", b),
			want:  map[string]*route{"10.0.0.0/24": apiRoute("10.0.0.0/24", a)},
		},
		{
			name:  "del removes the whole entry",
			setup: []*ip.IPRouteAddDel{add("10.0.0.0/24", a, b)},
			req:   del("10.0.0.0/24"),
			want:  map[string]*route{"10.0.0.0/24": nil},
		},
		{
			name: "del of an entry that does not exist",
			req:  del("10.9.9.0/24"),
			want: map[string]*route{"10.9.9.0/24": nil},
		},
		{
			name: "multipath del of an entry that does not exist",
			req:  delMP("10.9.9.0/24", a),
			want: map[string]*route{"10.9.9.0/24": nil},
		},
		{
			name:    "unknown sw_if_index",
			req:     add("10.0.0.0/24", via("192.0.2.1", 7)),
			wantErr: api.NO_MATCHING_INTERFACE,
			want:    map[string]*route{"10.0.0.0/24": nil},
		},
		{
			name:    "unknown sw_if_index in a delete",
			setup:   []*ip.IPRouteAddDel{add("10.0.0.0/24", a)},
			req:     delMP("10.0.0.0/24", via("192.0.2.1", 7)),
			wantErr: api.NO_MATCHING_INTERFACE,
			want:    map[string]*route{"10.0.0.0/24": apiRoute("10.0.0.0/24", a)},
		},
		{
			name:    "table never created",
			req:     inTable(add("10.0.0.0/24", a), 100),
			wantErr: api.NO_SUCH_FIB,
		},
		{
			name:    "recursive next hop in a table never created",
			req:     add("10.0.0.0/24", fib_types.FibPath{SwIfIndex: noIndex, TableID: 100, Weight: 1, Nh: rec.Nh}),
			wantErr: api.NO_SUCH_FIB,
			want:    map[string]*route{"10.0.0.0/24": nil},
		},
		{
			name:    "add without paths",
			req:     add("10.0.0.0/24"),
			wantErr: api.VPPApiError(-52), // NO_PATHS_IN_ROUTE
		},
		{
			name:    "multipath del without paths",
			setup:   []*ip.IPRouteAddDel{add("10.0.0.0/24", a)},
			req:     delMP("10.0.0.0/24"),
			wantErr: api.VPPApiError(-52),
			want:    map[string]*route{"10.0.0.0/24": apiRoute("10.0.0.0/24", a)},
		},
		{
			name: "host bits are kept",
			req:  add("10.53.1.1/16", a),
			want: map[string]*route{"10.53.0.0/16": apiRoute("10.53.1.1/16", a)},
		},
		{
			name:  "host bits: delete by the masked prefix",
			setup: []*ip.IPRouteAddDel{add("10.53.1.1/16", a)},
			req:   del("10.53.0.0/16"),
			want:  map[string]*route{"10.53.0.0/16": nil},
		},
		{
			name:  "host bits: the first address given stays",
			setup: []*ip.IPRouteAddDel{add("10.53.1.1/16", a)},
			req:   add("10.53.2.2/16", b),
			want:  map[string]*route{"10.53.0.0/16": apiRoute("10.53.1.1/16", b)},
		},
		{
			name: "add 0.0.0.0/0 replaces the drop",
			req:  add("0.0.0.0/0", a),
			want: map[string]*route{"0.0.0.0/0": apiRoute("0.0.0.0/0", a)},
		},
		{
			name:  "del 0.0.0.0/0 reverts to drop",
			setup: []*ip.IPRouteAddDel{add("0.0.0.0/0", a)},
			req:   del("0.0.0.0/0"),
			want:  map[string]*route{"0.0.0.0/0": {Prefix: "0.0.0.0/0", Src: sim.SourceDefaultRoute, Paths: []fib_types.FibPath{drop4}}},
		},
		{
			name:  "del ::/0 reverts to drop",
			setup: []*ip.IPRouteAddDel{add("::/0", a6)},
			req:   del("::/0"),
			want:  map[string]*route{"::/0": {Prefix: "::/0", Src: sim.SourceDefaultRoute, Paths: []fib_types.FibPath{drop6}}},
		},
		{
			name: "a special source outranks the API",
			req:  add("224.0.0.0/4", a),
			want: map[string]*route{"224.0.0.0/4": {Prefix: "224.0.0.0/4", Src: sim.SourceSpecial, Paths: []fib_types.FibPath{drop4}}},
		},
		{
			name: "IPv6",
			req:  add("2001:db8:1::/48", a6),
			want: map[string]*route{"2001:db8:1::/48": apiRoute("2001:db8:1::/48", a6)},
		},
		{
			name: "IPv4 route via an IPv6 next hop",
			req:  add("10.0.0.0/24", a6),
			want: map[string]*route{"10.0.0.0/24": apiRoute("10.0.0.0/24", a6)},
		},
		{
			name: "recursive path adds a resolution host entry",
			req:  add("10.1.0.0/16", rec),
			want: map[string]*route{
				"10.1.0.0/16":     apiRoute("10.1.0.0/16", rec),
				"198.51.100.7/32": {Prefix: "198.51.100.7/32", Src: sim.SourceRR, Paths: []fib_types.FibPath{drop4}},
			},
		},
		{
			name:  "the resolution entry forwards like its cover",
			setup: []*ip.IPRouteAddDel{add("10.1.0.0/16", rec)},
			req:   add("198.51.100.0/24", a),
			want: map[string]*route{
				"198.51.100.7/32": {Prefix: "198.51.100.7/32", Src: sim.SourceRR, Paths: []fib_types.FibPath{a}},
			},
		},
		{
			name:  "an API route on the next hop outranks resolution",
			setup: []*ip.IPRouteAddDel{add("10.1.0.0/16", rec)},
			req:   add("198.51.100.7/32", b),
			want:  map[string]*route{"198.51.100.7/32": apiRoute("198.51.100.7/32", b)},
		},
		{
			name:  "deleting the recursive route removes the resolution entry",
			setup: []*ip.IPRouteAddDel{add("10.1.0.0/16", rec), add("10.2.0.0/16", rec)},
			req:   del("10.1.0.0/16"),
			want: map[string]*route{
				"10.1.0.0/16":     nil,
				"198.51.100.7/32": {Prefix: "198.51.100.7/32", Src: sim.SourceRR, Paths: []fib_types.FibPath{drop4}},
			},
		},
		{
			name:  "the last recursive route going removes the resolution entry",
			setup: []*ip.IPRouteAddDel{add("10.1.0.0/16", rec)},
			req:   add("10.1.0.0/16", a),
			want: map[string]*route{
				"10.1.0.0/16":     apiRoute("10.1.0.0/16", a),
				"198.51.100.7/32": nil,
			},
		},
		{
			name: "drop, unreachable and prohibit paths",
			req: add("10.0.0.0/24",
				fib_types.FibPath{Type: fib_types.FIB_API_PATH_TYPE_DROP, SwIfIndex: noIndex},
				fib_types.FibPath{Type: fib_types.FIB_API_PATH_TYPE_ICMP_UNREACH, SwIfIndex: noIndex}),
			// Special paths are all the same path to VPP: the list keeps both.
			want: map[string]*route{"10.0.0.0/24": apiRoute("10.0.0.0/24",
				drop4, special(fib_types.FIB_API_PATH_TYPE_ICMP_UNREACH, fib_types.FIB_API_PATH_NH_PROTO_IP4))},
		},
		{
			name: "prohibit path",
			req:  add("10.0.0.0/24", fib_types.FibPath{Type: fib_types.FIB_API_PATH_TYPE_ICMP_PROHIBIT, SwIfIndex: noIndex}),
			want: map[string]*route{"10.0.0.0/24": apiRoute("10.0.0.0/24",
				special(fib_types.FIB_API_PATH_TYPE_ICMP_PROHIBIT, fib_types.FIB_API_PATH_NH_PROTO_IP4))},
		},
		{
			name: "weights and preferences are kept, best preference first",
			req:  add("10.0.0.0/24", weighted(a, 3, 1), weighted(b, 0, 0)),
			want: map[string]*route{"10.0.0.0/24": apiRoute("10.0.0.0/24", weighted(b, 1, 0), weighted(a, 3, 1))},
		},
		{
			name: "interface-only path",
			req:  add("10.0.0.0/24", fib_types.FibPath{SwIfIndex: 2}),
			want: map[string]*route{"10.0.0.0/24": apiRoute("10.0.0.0/24", fib_types.FibPath{SwIfIndex: 2, Weight: 1})},
		},
		{
			name:    "prefix length out of range",
			req:     withLen(add("10.0.0.0/24", a), 33),
			wantErr: api.INVALID_PREFIX_LENGTH,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, conn := startAndConnect(t, "eth0", "eth1")
			c := ip.NewServiceClient(conn)
			for i, r := range tt.setup {
				if _, err := c.IPRouteAddDel(ctxFor(t), r); err != nil {
					t.Fatalf("setup %d: %v", i, err)
				}
			}
			req := tt.req
			reply, err := c.IPRouteAddDel(ctxFor(t), req)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("IPRouteAddDel error = %v, want %v", err, tt.wantErr)
			}
			if reply == nil {
				t.Fatal("no reply")
			}
			if wantStats := req.IsAdd && err == nil; wantStats == (reply.StatsIndex == noIndex) {
				t.Errorf("stats_index = %d for is_add=%v retval=%d", reply.StatsIndex, req.IsAdd, reply.Retval)
			}
			var v4, v6 map[string]route
			for key, want := range tt.want {
				var got map[string]route
				if strings6(key) {
					if v6 == nil {
						v6 = dumpRoutes(t, conn, true, 0, 0)
					}
					got = v6
				} else {
					if v4 == nil {
						v4 = dumpRoutes(t, conn, false, 0, 0)
					}
					got = v4
				}
				r, ok := got[key]
				switch {
				case want == nil && ok:
					t.Errorf("%s present, want absent: %+v", key, r)
				case want != nil && !ok:
					t.Errorf("%s absent, want %+v", key, *want)
				case want != nil:
					if diff := cmp.Diff(*want, r); diff != "" {
						t.Errorf("%s (-want +got):\n%s", key, diff)
					}
				}
			}
		})
	}
}

// strings6 reports whether a prefix string is IPv6.
func strings6(p string) bool {
	for _, c := range p {
		if c == ':' {
			return true
		}
	}
	return false
}

// TestSameAddTwiceChangesNothing compares whole dumps and stats indexes.
func TestSameAddTwiceChangesNothing(t *testing.T) {
	_, conn := startAndConnect(t, "eth0")
	c := ip.NewServiceClient(conn)
	req := routeReq(t, true, false, "10.0.0.0/24", via("192.0.2.1", 1), via("192.0.2.9", 1))
	first, err := c.IPRouteAddDel(ctxFor(t), req)
	if err != nil {
		t.Fatal(err)
	}
	before := dumpRoutes(t, conn, false, 0, 0)
	second, err := c.IPRouteAddDel(ctxFor(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if first.StatsIndex != second.StatsIndex {
		t.Errorf("stats_index changed: %d then %d", first.StatsIndex, second.StatsIndex)
	}
	if diff := cmp.Diff(before, dumpRoutes(t, conn, false, 0, 0)); diff != "" {
		t.Errorf("dump changed (-before +after):\n%s", diff)
	}
}

// TestSpecialEntries checks what a fresh table holds, and that
// ip_route_v2_dump's src tells them from API routes.
func TestSpecialEntries(t *testing.T) {
	_, conn := startAndConnect(t, "eth0")
	if _, err := ip.NewServiceClient(conn).IPRouteAddDel(ctxFor(t), routeReq(t, true, false, "10.0.0.0/8", via("192.0.2.1", 1))); err != nil {
		t.Fatal(err)
	}
	exclusive6 := fib_types.FibPath{SwIfIndex: noIndex, Weight: 1, Proto: fib_types.FIB_API_PATH_NH_PROTO_IP6}
	tests := []struct {
		name string
		ip6  bool
		src  sim.Source
		want map[string]route
	}{
		{
			name: "IPv4, all sources",
			want: map[string]route{
				"0.0.0.0/0":          {"0.0.0.0/0", sim.SourceDefaultRoute, []fib_types.FibPath{drop4}},
				"0.0.0.0/32":         {"0.0.0.0/32", sim.SourceDefaultRoute, []fib_types.FibPath{drop4}},
				"224.0.0.0/4":        {"224.0.0.0/4", sim.SourceSpecial, []fib_types.FibPath{drop4}},
				"240.0.0.0/4":        {"240.0.0.0/4", sim.SourceSpecial, []fib_types.FibPath{drop4}},
				"255.255.255.255/32": {"255.255.255.255/32", sim.SourceDefaultRoute, []fib_types.FibPath{drop4}},
				"10.0.0.0/8":         {"10.0.0.0/8", sim.SourceAPI, []fib_types.FibPath{via("192.0.2.1", 1)}},
			},
		},
		{
			name: "IPv4, API source only",
			src:  sim.SourceAPI,
			want: map[string]route{"10.0.0.0/8": {"10.0.0.0/8", sim.SourceAPI, []fib_types.FibPath{via("192.0.2.1", 1)}}},
		},
		{
			name: "IPv6, all sources",
			ip6:  true,
			want: map[string]route{
				"::/0":      {"::/0", sim.SourceDefaultRoute, []fib_types.FibPath{drop6}},
				"fe80::/10": {"fe80::/10", sim.SourceSpecial, []fib_types.FibPath{exclusive6}},
			},
		},
		{name: "IPv6, API source only", ip6: true, src: sim.SourceAPI, want: map[string]route{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, dumpRoutes(t, conn, tt.ip6, 0, tt.src)); diff != "" {
				t.Errorf("dump (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIPRouteDumpV1 checks that ip_route_dump shows what v2 shows, without
// the source.
func TestIPRouteDumpV1(t *testing.T) {
	_, conn := startAndConnect(t, "eth0")
	c := ip.NewServiceClient(conn)
	if _, err := c.IPRouteAddDel(ctxFor(t), routeReq(t, true, false, "10.53.1.1/16", via("192.0.2.1", 1))); err != nil {
		t.Fatal(err)
	}
	st, err := c.IPRouteDump(ctxFor(t), &ip.IPRouteDump{})
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string]route)
	for _, d := range drain(t, st.Recv) {
		p := prefixOf(d.Route.Prefix)
		got[p.Masked().String()] = route{Prefix: p.String(), Paths: d.Route.Paths}
	}
	want := dumpRoutes(t, conn, false, 0, 0)
	for k, r := range want {
		r.Src = 0
		want[k] = r
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ip_route_dump vs ip_route_v2_dump (-v2 +v1):\n%s", diff)
	}
}

// TestRouteAddDelV2Sources checks that v2 adds under the source it names
// and that the API source's delete leaves other sources alone.
func TestRouteAddDelV2Sources(t *testing.T) {
	_, conn := startAndConnect(t, "eth0", "eth1")
	c := ip.NewServiceClient(conn)
	v2 := &ip.IPRouteAddDelV2{IsAdd: true, Route: ip.IPRouteV2{
		Prefix: apiPrefix(t, "10.0.0.0/24"), Src: uint8(sim.SourceCLI),
		NPaths: 1, Paths: []fib_types.FibPath{via("192.0.2.1", 1)},
	}}
	if _, err := c.IPRouteAddDelV2(ctxFor(t), v2); err != nil {
		t.Fatal(err)
	}
	if _, err := c.IPRouteAddDel(ctxFor(t), routeReq(t, true, false, "10.0.0.0/24", via("192.0.2.2", 2))); err != nil {
		t.Fatal(err)
	}
	// API (0x80) outranks CLI (0x81).
	want := route{"10.0.0.0/24", sim.SourceAPI, []fib_types.FibPath{via("192.0.2.2", 2)}}
	if diff := cmp.Diff(want, dumpRoutes(t, conn, false, 0, sim.SourceCLI)["10.0.0.0/24"]); diff != "" {
		t.Errorf("with both sources (-want +got):\n%s", diff)
	}
	if _, err := c.IPRouteAddDel(ctxFor(t), routeReq(t, false, false, "10.0.0.0/24")); err != nil {
		t.Fatal(err)
	}
	want = route{"10.0.0.0/24", sim.SourceCLI, []fib_types.FibPath{via("192.0.2.1", 1)}}
	if diff := cmp.Diff(want, dumpRoutes(t, conn, false, 0, 0)["10.0.0.0/24"]); diff != "" {
		t.Errorf("after the API delete (-want +got):\n%s", diff)
	}
	v2.Route.Src = 200
	if _, err := c.IPRouteAddDelV2(ctxFor(t), v2); !errors.Is(err, api.INVALID_VALUE) {
		t.Errorf("unregistered source: err = %v, want %v", err, api.INVALID_VALUE)
	}
}
