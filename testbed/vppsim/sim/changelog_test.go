package sim_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/codec"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

// changeOpts compares Changes without what a test cannot know.
var changeOpts = cmp.Options{
	cmpopts.IgnoreFields(sim.Change{}, "Seq", "Time", "Client"),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
}

// ipChange is the Change an IP route request should log in table 0.
func ipChange(kind sim.ChangeKind, msg, prefix, paths string) sim.Change {
	p := netip.MustParsePrefix(prefix)
	return sim.Change{Kind: kind, Msg: msg, IP6: p.Addr().Is6(), Prefix: p, Masked: p.Masked(),
		Source: sim.SourceAPI, Paths: paths}
}

// TestChangeLog sends a sequence of route and table requests and checks
// what was logged after each: nothing for the requests that change
// nothing, one change for the others.
func TestChangeLog(t *testing.T) {
	srv, conn := startAndConnect(t, "eth0", "eth1")
	c := ip.NewServiceClient(conn)
	var (
		a   = via("192.0.2.1", 1)
		b   = via("192.0.2.2", 2)
		rec = via("198.51.100.7", noIndex)
	)
	const (
		routeMsg = "ip_route_add_del"
		aText    = "ip4 192.0.2.1 if 1"
		bText    = "ip4 192.0.2.2 if 2"
	)
	route := func(isAdd, isMultipath bool, p string, ps ...fib_types.FibPath) func() error {
		return func() error {
			_, err := c.IPRouteAddDel(ctxFor(t), routeReq(t, isAdd, isMultipath, p, ps...))
			return err
		}
	}
	table := func(isAdd bool, id uint32) func() error {
		return func() error {
			_, err := c.IPTableAddDel(ctxFor(t), &ip.IPTableAddDel{IsAdd: isAdd, Table: ip.IPTable{TableID: id, IsIP6: true}})
			return err
		}
	}
	steps := []struct {
		name string
		do   func() error
		want []sim.Change // nil: nothing logged
	}{
		{"add", route(true, false, "10.53.1.1/16", a),
			[]sim.Change{ipChange(sim.ChangeAdd, routeMsg, "10.53.1.1/16", aText)}},
		{"the same add again", route(true, false, "10.53.1.1/16", a), nil},
		{"the same add by the masked prefix", route(true, false, "10.53.0.0/16", a), nil},
		{"multipath add of a path already there", route(true, true, "10.53.0.0/16", a), nil},
		{"multipath add", route(true, true, "10.53.0.0/16", b),
			[]sim.Change{ipChange(sim.ChangeAppend, routeMsg, "10.53.0.0/16", aText+"; "+bText)}},
		{"multipath delete", route(false, true, "10.53.0.0/16", a),
			[]sim.Change{ipChange(sim.ChangeRemovePath, routeMsg, "10.53.0.0/16", bText)}},
		{"multipath delete of a path not there", route(false, true, "10.53.0.0/16", a), nil},
		{"replace", route(true, false, "10.53.0.0/16", weighted(a, 3, 1), rec),
			[]sim.Change{ipChange(sim.ChangeReplace, routeMsg, "10.53.0.0/16",
				"ip4 198.51.100.7 table 0; ip4 192.0.2.1 if 1 weight 3 pref 1")}},
		{"weight alone changes the paths", route(true, false, "10.53.0.0/16", a, rec),
			[]sim.Change{ipChange(sim.ChangeReplace, routeMsg, "10.53.0.0/16", aText+"; ip4 198.51.100.7 table 0")}},
		{"delete", route(false, false, "10.53.0.0/16"),
			[]sim.Change{ipChange(sim.ChangeDelete, routeMsg, "10.53.0.0/16", "")}},
		{"delete of a route not there", route(false, false, "10.53.0.0/16"), nil},
		{"a failed add", route(true, false, "10.1.0.0/16", via("192.0.2.1", 9)), nil},
		{"multipath add creates", route(true, true, "2001:db8::/32", via("2001:db8::1", 1)),
			[]sim.Change{ipChange(sim.ChangeAdd, routeMsg, "2001:db8::/32", "ip6 2001:db8::1 if 1")}},
		{"multipath delete of the last path deletes", route(false, true, "2001:db8::/32", via("2001:db8::1", 1)),
			[]sim.Change{ipChange(sim.ChangeDelete, routeMsg, "2001:db8::/32", "")}},
		{"table add", table(true, 7),
			[]sim.Change{{Kind: sim.ChangeTableAdd, Msg: "ip_table_add_del", Table: 7, IP6: true}}},
		{"table add again", table(true, 7), nil},
		{"table delete", table(false, 7),
			[]sim.Change{{Kind: sim.ChangeTableDelete, Msg: "ip_table_add_del", Table: 7, IP6: true}}},
		{"table delete again", table(false, 7), nil},
	}
	for _, st := range steps {
		before := srv.LastSeq()
		start := time.Now()
		if err := st.do(); err != nil && st.want != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := srv.ChangesSince(before)
		if diff := cmp.Diff(st.want, got, changeOpts); diff != "" {
			t.Errorf("%s: changes (-want +got):\n%s", st.name, diff)
		}
		for i, ch := range got {
			if ch.Seq != before+uint64(i)+1 {
				t.Errorf("%s: seq %d, want %d", st.name, ch.Seq, before+uint64(i)+1)
			}
			if ch.Time.Before(start.Add(-time.Millisecond)) || ch.Time.After(time.Now()) {
				t.Errorf("%s: time %v outside the request", st.name, ch.Time)
			}
			if ch.Client&(1<<31) == 0 {
				t.Errorf("%s: client %#x is not a socket client index", st.name, ch.Client)
			}
		}
	}

	p := netip.MustParsePrefix("10.53.7.7/16")
	if got := srv.DeletesOf(0, p); len(got) != 1 || got[0].Kind != sim.ChangeDelete || got[0].Masked != p.Masked() {
		t.Errorf("DeletesOf(0, %s) = %v, want the one delete", p, got)
	}
	if got := srv.ChangesOf(0, p); len(got) != 6 {
		t.Errorf("ChangesOf(0, %s) = %d changes, want 6:\n%v", p, len(got), got)
	}
	for _, q := range []string{"10.53.0.0/17", "10.54.0.0/16", "2001:db8::/48"} {
		if got := srv.DeletesOf(0, netip.MustParsePrefix(q)); len(got) != 0 {
			t.Errorf("DeletesOf(0, %s) = %v, want none", q, got)
		}
	}
	if got := srv.DeletesOf(100, p); len(got) != 0 {
		t.Errorf("DeletesOf(100, %s) = %v, want none", p, got)
	}

	if _, err := memclnt.NewServiceClient(conn).ControlPing(ctxFor(t), &memclnt.ControlPing{}); err != nil {
		t.Fatal(err)
	}
	wantCounts := map[string]uint64{"ip_route_add_del": 14, "ip_table_add_del": 4}
	gotCounts := srv.RequestCounts()
	for name, n := range wantCounts {
		if gotCounts[name] != n {
			t.Errorf("RequestCounts()[%s] = %d, want %d", name, gotCounts[name], n)
		}
	}
	if gotCounts["control_ping"] == 0 {
		t.Error("control_ping not counted")
	}
	if n := srv.ChangesDropped(); n != 0 {
		t.Errorf("ChangesDropped() = %d", n)
	}

	last := srv.LastSeq()
	srv.ResetLog()
	if got := srv.Changes(); len(got) != 0 {
		t.Errorf("after ResetLog: %v", got)
	}
	if got := srv.RequestCounts(); got["ip_route_add_del"] != 0 {
		t.Errorf("after ResetLog: counts %v", got)
	}
	if err := route(true, false, "10.0.0.0/8", a)(); err != nil {
		t.Fatal(err)
	}
	if got := srv.Changes(); len(got) != 1 || got[0].Seq != last+1 {
		t.Errorf("after ResetLog, one add: %v, want seq %d", got, last+1)
	}
}

// TestChangeLogSourceAndClient checks ip_route_add_del_v2's source and
// the client index of a raw client.
func TestChangeLogSourceAndClient(t *testing.T) {
	srv, conn := startAndConnect(t, "eth0")
	v2 := &ip.IPRouteAddDelV2{IsAdd: true, Route: ip.IPRouteV2{
		Prefix: apiPrefix(t, "10.0.0.0/24"), Src: uint8(sim.SourceCLI),
		NPaths: 1, Paths: []fib_types.FibPath{via("192.0.2.1", 1)},
	}}
	if _, err := ip.NewServiceClient(conn).IPRouteAddDelV2(ctxFor(t), v2); err != nil {
		t.Fatal(err)
	}
	want := ipChange(sim.ChangeAdd, "ip_route_add_del_v2", "10.0.0.0/24", "ip4 192.0.2.1 if 1")
	want.Source = sim.SourceCLI
	if diff := cmp.Diff([]sim.Change{want}, srv.Changes(), changeOpts); diff != "" {
		t.Errorf("v2 (-want +got):\n%s", diff)
	}

	raw := dialRaw(t, srv)
	raw.handshake()
	msg := raw.request(routeReq(t, false, false, "10.0.0.0/24"), 5)
	// Delete the CLI source's route through the API source: no change.
	raw.write(uint32(len(msg)), msg)
	raw.read()
	v2.IsAdd = false
	msg = raw.request(v2, 6)
	raw.write(uint32(len(msg)), msg)
	var reply ip.IPRouteAddDelV2Reply
	if err := codec.DecodeMsg(raw.read(), &reply); err != nil || reply.Retval != 0 {
		t.Fatalf("v2 delete: %v, retval %d", err, reply.Retval)
	}
	got := srv.Changes()
	if len(got) != 2 || got[1].Kind != sim.ChangeDelete || got[1].Client != raw.index {
		t.Errorf("changes %v, want the second a delete by client %#x", got, raw.index)
	}
}

// TestChangeLogCap checks that a full log drops its oldest changes and
// counts them.
func TestChangeLogCap(t *testing.T) {
	srv := startSimWith(t, []sim.Option{sim.WithChangeLogCap(3)}, "eth0")
	c := ip.NewServiceClient(connect(t, srv))
	for _, p := range []string{"10.0.0.0/8", "10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16"} {
		if _, err := c.IPRouteAddDel(ctxFor(t), routeReq(t, true, false, p, via("192.0.2.1", 1))); err != nil {
			t.Fatal(err)
		}
	}
	got := srv.Changes()
	var seqs []uint64
	var prefixes []string
	for _, ch := range got {
		seqs = append(seqs, ch.Seq)
		prefixes = append(prefixes, ch.Prefix.String())
	}
	if diff := cmp.Diff([]uint64{3, 4, 5}, seqs); diff != "" {
		t.Errorf("seqs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16"}, prefixes); diff != "" {
		t.Errorf("prefixes (-want +got):\n%s", diff)
	}
	if want := "#3 add by ip_route_add_del ip4 table 0 10.2.0.0/16 [ip4 192.0.2.1 if 1]"; got[0].String() != want {
		t.Errorf("String() = %q, want %q", got[0].String(), want)
	}
	if n := srv.ChangesDropped(); n != 2 {
		t.Errorf("ChangesDropped() = %d, want 2", n)
	}
	if got := srv.ChangesSince(1); len(got) != 3 {
		t.Errorf("ChangesSince(1) = %d changes, want the 3 kept", len(got))
	}
	if got := srv.ChangesSince(4); len(got) != 1 || got[0].Seq != 5 {
		t.Errorf("ChangesSince(4) = %v, want #5", got)
	}
	if got := srv.ChangesSince(5); len(got) != 0 {
		t.Errorf("ChangesSince(5) = %v, want none", got)
	}
}

// TestPathText checks the canonical path form the log records.
func TestPathText(t *testing.T) {
	srv, conn := startAndConnect(t, "eth0", "eth1")
	c := ip.NewServiceClient(conn)
	if _, err := c.IPTableAddDel(ctxFor(t), &ip.IPTableAddDel{IsAdd: true, Table: ip.IPTable{TableID: 5}}); err != nil {
		t.Fatal(err)
	}
	labelled := via("192.0.2.1", 1)
	labelled.NLabels = 2
	labelled.LabelStack[0] = fib_types.FibMplsLabel{Label: 100, TTL: 64}
	labelled.LabelStack[1] = fib_types.FibMplsLabel{Label: 200, Exp: 1, IsUniform: 1}
	tests := []struct {
		name string
		path fib_types.FibPath
		want string
	}{
		{"attached next hop", via("192.0.2.1", 1), "ip4 192.0.2.1 if 1"},
		{"IPv6 next hop", via("fe80::1", 2), "ip6 fe80::1 if 2"},
		{"attached", fib_types.FibPath{SwIfIndex: 2}, "ip4 if 2"},
		{"recursive", via("198.51.100.7", noIndex), "ip4 198.51.100.7 table 0"},
		{"deag", fib_types.FibPath{SwIfIndex: noIndex, TableID: 5}, "ip4 lookup table 5"},
		{"drop", fib_types.FibPath{Type: fib_types.FIB_API_PATH_TYPE_DROP}, "ip4 drop"},
		{"unreachable", fib_types.FibPath{Type: fib_types.FIB_API_PATH_TYPE_ICMP_UNREACH}, "ip4 unreach"},
		{"local", fib_types.FibPath{Type: fib_types.FIB_API_PATH_TYPE_LOCAL, SwIfIndex: 1}, "ip4 local if 1"},
		{"weight and preference", weighted(via("192.0.2.1", 1), 4, 2), "ip4 192.0.2.1 if 1 weight 4 pref 2"},
		{"resolve via host", fib_types.FibPath{SwIfIndex: noIndex, Nh: via("198.51.100.7", 0).Nh,
			Flags: fib_types.FIB_API_PATH_FLAG_RESOLVE_VIA_HOST}, "ip4 198.51.100.7 table 0 resolve-via-host"},
		{"labels", labelled, "ip4 192.0.2.1 if 1 labels 100:ttl=64,200:exp=1:uniform"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 9, byte(i), 0}), 24).String()
			if _, err := c.IPRouteAddDel(ctxFor(t), routeReq(t, true, false, p, tt.path)); err != nil {
				t.Fatal(err)
			}
			got := srv.ChangesOf(0, netip.MustParsePrefix(p))
			if len(got) != 1 {
				t.Fatalf("changes %v", got)
			}
			if got[0].Paths != tt.want {
				t.Errorf("paths %q, want %q", got[0].Paths, tt.want)
			}
		})
	}
}
