package sim_test

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/mpls"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

// DPO protocols, as mr_eos_proto carries them.
const (
	protoIP4  = 0
	protoIP6  = 1
	protoMPLS = 2
)

// mplsRoute is an MPLS entry as mpls_route_dump shows it.
type mplsRoute struct {
	EosProto uint8
	Paths    []fib_types.FibPath
}

// mplsKey names an MPLS entry in tests: "100 eos" or "100 neos".
func mplsKey(label uint32, eos bool) string {
	if eos {
		return fmt.Sprintf("%d eos", label)
	}
	return fmt.Sprintf("%d neos", label)
}

// dumpMPLS dumps an MPLS table, keyed by mplsKey, checking the order.
func dumpMPLS(tb testing.TB, conn api.Connection, table uint32) map[string]mplsRoute {
	tb.Helper()
	st, err := mpls.NewServiceClient(conn).MplsRouteDump(ctxFor(tb), &mpls.MplsRouteDump{Table: mpls.MplsTable{MtTableID: table}})
	if err != nil {
		tb.Fatalf("MplsRouteDump: %v", err)
	}
	out := make(map[string]mplsRoute)
	last := -1
	for _, d := range drain(tb, st.Recv) {
		r := d.MrRoute
		key := mplsKey(r.MrLabel, r.MrEos == 1)
		if r.MrTableID != table || r.MrIsMulticast || int(r.MrNPaths) != len(r.MrPaths) {
			tb.Errorf("%s: table %d multicast %v n_paths %d/%d", key, r.MrTableID, r.MrIsMulticast, r.MrNPaths, len(r.MrPaths))
		}
		if order := int(r.MrLabel)<<1 | int(r.MrEos); order <= last {
			tb.Errorf("%s dumped out of order", key)
		} else {
			last = order
		}
		out[key] = mplsRoute{EosProto: r.MrEosProto, Paths: r.MrPaths}
	}
	return out
}

// labelled adds an out-label stack to a path.
func labelled(p fib_types.FibPath, labels ...uint32) fib_types.FibPath {
	p.NLabels = uint8(len(labels))
	for i, l := range labels {
		p.LabelStack[i] = fib_types.FibMplsLabel{Label: l}
	}
	return p
}

// viaLabel is an MPLS next hop: resolve through a local label (0: look up
// in the MPLS table).
func viaLabel(label uint32) fib_types.FibPath {
	p := fib_types.FibPath{SwIfIndex: noIndex, Weight: 1, Proto: fib_types.FIB_API_PATH_NH_PROTO_MPLS}
	p.Nh.ViaLabel = label
	return p
}

// mplsNH is how VPP dumps a path with an MPLS next hop: neither the via
// label nor the table is reported.
var mplsNH = fib_types.FibPath{SwIfIndex: noIndex, Weight: 1, Proto: fib_types.FIB_API_PATH_NH_PROTO_MPLS}

// mplsSpecials are the entries of a new MPLS table.
func mplsSpecials() map[string]mplsRoute {
	excl := []fib_types.FibPath{mplsNH}
	return map[string]mplsRoute{
		"0 neos": {protoMPLS, excl}, "0 eos": {protoIP4, excl},
		"1 neos": {protoMPLS, excl}, "1 eos": {protoMPLS, excl},
		"2 neos": {protoMPLS, excl}, "2 eos": {protoIP6, excl},
	}
}

func mplsReq(isAdd, isMultipath bool, label uint32, eos bool, eosProto uint8, paths ...fib_types.FibPath) *mpls.MplsRouteAddDel {
	r := &mpls.MplsRouteAddDel{MrIsAdd: isAdd, MrIsMultipath: isMultipath, MrRoute: mpls.MplsRoute{
		MrLabel: label, MrEosProto: eosProto, MrNPaths: uint8(len(paths)), MrPaths: paths,
	}}
	if eos {
		r.MrRoute.MrEos = 1
	}
	return r
}

func addMPLSTable(tb testing.TB, conn api.Connection, id uint32, name string) {
	tb.Helper()
	if _, err := mpls.NewServiceClient(conn).MplsTableAddDel(ctxFor(tb), &mpls.MplsTableAddDel{
		MtIsAdd: true, MtTable: mpls.MplsTable{MtTableID: id, MtName: name},
	}); err != nil {
		tb.Fatalf("MplsTableAddDel: %v", err)
	}
}

// TestMPLSRouteAddDel walks mpls_route_add_del's semantics. Each case
// starts from a fresh VPP with eth0 (1), eth1 (2) and MPLS table 0, no
// interface MPLS-enabled (VPP does not require it of a path), applies
// setup, sends req, and compares the dumped entries named in want (nil:
// absent).
func TestMPLSRouteAddDel(t *testing.T) {
	var (
		a    = via("192.0.2.1", 1)
		b    = via("192.0.2.2", 2)
		a6   = via("2001:db8::1", 1)
		deag = fib_types.FibPath{SwIfIndex: noIndex, Weight: 1} // pop and look up in IPv4 table 0
		drop = fib_types.FibPath{SwIfIndex: noIndex, Weight: 1, Type: fib_types.FIB_API_PATH_TYPE_DROP, Proto: fib_types.FIB_API_PATH_NH_PROTO_MPLS}
	)
	add := func(label uint32, ps ...fib_types.FibPath) *mpls.MplsRouteAddDel {
		return mplsReq(true, false, label, true, protoIP4, ps...)
	}
	addMP := func(label uint32, ps ...fib_types.FibPath) *mpls.MplsRouteAddDel {
		return mplsReq(true, true, label, true, protoIP4, ps...)
	}
	del := func(label uint32, ps ...fib_types.FibPath) *mpls.MplsRouteAddDel {
		return mplsReq(false, false, label, true, protoIP4, ps...)
	}
	delMP := func(label uint32, ps ...fib_types.FibPath) *mpls.MplsRouteAddDel {
		return mplsReq(false, true, label, true, protoIP4, ps...)
	}
	eos := func(ps ...fib_types.FibPath) *mplsRoute { return &mplsRoute{protoIP4, ps} }

	tests := []struct {
		name    string
		setup   []*mpls.MplsRouteAddDel
		req     *mpls.MplsRouteAddDel
		wantErr error
		want    map[string]*mplsRoute
	}{
		{
			name: "swap: a next hop with an out label",
			req:  add(100, labelled(a, 200)),
			want: map[string]*mplsRoute{"100 eos": eos(labelled(a, 200))},
		},
		{
			name: "pop: a next hop without labels",
			req:  add(100, a),
			want: map[string]*mplsRoute{"100 eos": eos(a), "100 neos": nil},
		},
		{
			name: "pop and look up in an IP table",
			req:  add(100, deag),
			want: map[string]*mplsRoute{"100 eos": eos(deag)},
		},
		{
			name:    "pop and look up in an IP table that does not exist",
			req:     add(100, fib_types.FibPath{SwIfIndex: noIndex, TableID: 9}),
			wantErr: api.NO_SUCH_FIB,
			want:    map[string]*mplsRoute{"100 eos": nil},
		},
		{
			name: "non end-of-stack: the payload is MPLS whatever eos_proto says",
			req:  mplsReq(true, false, 100, false, protoIP6, labelled(a, 200, 300)),
			want: map[string]*mplsRoute{"100 neos": {protoMPLS, []fib_types.FibPath{labelled(a, 200, 300)}}, "100 eos": nil},
		},
		{
			name:  "the first payload protocol stays",
			setup: []*mpls.MplsRouteAddDel{add(100, a)},
			req:   mplsReq(true, false, 100, true, protoIP6, a6),
			want:  map[string]*mplsRoute{"100 eos": eos(a6)},
		},
		{
			name:  "add replaces the whole path set",
			setup: []*mpls.MplsRouteAddDel{add(100, a, b)},
			req:   add(100, labelled(a, 999)),
			want:  map[string]*mplsRoute{"100 eos": eos(labelled(a, 999))},
		},
		{
			name:  "multipath add appends",
			setup: []*mpls.MplsRouteAddDel{add(100, labelled(b, 300))},
			req:   addMP(100, labelled(a, 200)),
			want:  map[string]*mplsRoute{"100 eos": eos(labelled(a, 200), labelled(b, 300))},
		},
		{
			name:  "multipath add: new labels on a path already there replace its labels",
			setup: []*mpls.MplsRouteAddDel{add(100, labelled(a, 200))},
			req:   addMP(100, labelled(a, 201)),
			want:  map[string]*mplsRoute{"100 eos": eos(labelled(a, 201))},
		},
		{
			name:  "multipath add: a path already there without labels keeps its labels",
			setup: []*mpls.MplsRouteAddDel{add(100, labelled(a, 200))},
			req:   addMP(100, a),
			want:  map[string]*mplsRoute{"100 eos": eos(labelled(a, 200))},
		},
		{
			name:  "multipath add: new labels with another weight match no path",
			setup: []*mpls.MplsRouteAddDel{add(100, labelled(a, 200))},
			req:   addMP(100, weighted(labelled(a, 201), 2, 0)),
			want:  map[string]*mplsRoute{"100 eos": eos(a)},
		},
		{
			name:  "multipath del removes that path",
			setup: []*mpls.MplsRouteAddDel{add(100, labelled(a, 200), b)},
			req:   delMP(100, a),
			want:  map[string]*mplsRoute{"100 eos": eos(b)},
		},
		{
			name:  "multipath del of the last path removes the entry",
			setup: []*mpls.MplsRouteAddDel{add(100, a)},
			req:   delMP(100, a),
			want:  map[string]*mplsRoute{"100 eos": nil},
		},
		{
			name:  "del removes the whole entry",
			setup: []*mpls.MplsRouteAddDel{add(100, a, b)},
			req:   del(100),
			want:  map[string]*mplsRoute{"100 eos": nil},
		},
		{
			name:  "del of the end-of-stack entry leaves the other",
			setup: []*mpls.MplsRouteAddDel{add(100, a), mplsReq(true, false, 100, false, 0, b)},
			req:   del(100),
			want:  map[string]*mplsRoute{"100 eos": nil, "100 neos": {protoMPLS, []fib_types.FibPath{b}}},
		},
		{
			name: "del of an entry that does not exist",
			req:  del(100),
			want: map[string]*mplsRoute{"100 eos": nil},
		},
		{
			name:    "unknown sw_if_index",
			req:     add(100, via("192.0.2.1", 7)),
			wantErr: api.NO_MATCHING_INTERFACE,
			want:    map[string]*mplsRoute{"100 eos": nil},
		},
		{
			name:    "add without paths",
			req:     add(100),
			wantErr: api.VPPApiError(-52), // NO_PATHS_IN_ROUTE
		},
		{
			name:    "label beyond 20 bits",
			req:     add(1<<20, a),
			wantErr: api.INVALID_VALUE,
		},
		{
			name:    "end of stack neither 0 nor 1",
			req:     &mpls.MplsRouteAddDel{MrIsAdd: true, MrRoute: mpls.MplsRoute{MrLabel: 100, MrEos: 2, MrNPaths: 1, MrPaths: []fib_types.FibPath{a}}},
			wantErr: api.INVALID_VALUE,
		},
		{
			name: "is_multicast is accepted and dumped as false",
			req:  &mpls.MplsRouteAddDel{MrIsAdd: true, MrRoute: mpls.MplsRoute{MrLabel: 100, MrEos: 1, MrIsMulticast: true, MrNPaths: 1, MrPaths: []fib_types.FibPath{a}}},
			want: map[string]*mplsRoute{"100 eos": eos(a)},
		},
		{
			name: "via a local label: resolved through a drop entry of its own",
			req:  add(100, viaLabel(300)),
			want: map[string]*mplsRoute{"100 eos": eos(mplsNH), "300 neos": {protoMPLS, []fib_types.FibPath{drop}}},
		},
		{
			name:  "the via-label entry goes with the last path through it",
			setup: []*mpls.MplsRouteAddDel{add(100, viaLabel(300))},
			req:   del(100),
			want:  map[string]*mplsRoute{"100 eos": nil, "300 neos": nil},
		},
		{
			name:  "a route on the via label outranks resolution",
			setup: []*mpls.MplsRouteAddDel{add(100, viaLabel(300))},
			req:   mplsReq(true, false, 300, false, 0, labelled(b, 400)),
			want:  map[string]*mplsRoute{"300 neos": {protoMPLS, []fib_types.FibPath{labelled(b, 400)}}},
		},
		{
			name: "via label 0: look up in the MPLS table",
			req:  mplsReq(true, false, 100, false, 0, viaLabel(0)),
			want: map[string]*mplsRoute{"100 neos": {protoMPLS, []fib_types.FibPath{mplsNH}}, "0 neos": {protoMPLS, []fib_types.FibPath{mplsNH}}},
		},
		{
			name: "a reserved label's own entry outranks the API",
			req:  add(0, a),
			want: map[string]*mplsRoute{"0 eos": {protoIP4, []fib_types.FibPath{mplsNH}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, conn := startAndConnect(t, "eth0", "eth1")
			addMPLSTable(t, conn, 0, "")
			c := mpls.NewServiceClient(conn)
			for i, r := range tt.setup {
				if _, err := c.MplsRouteAddDel(ctxFor(t), r); err != nil {
					t.Fatalf("setup %d: %v", i, err)
				}
			}
			reply, err := c.MplsRouteAddDel(ctxFor(t), tt.req)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("MplsRouteAddDel error = %v, want %v", err, tt.wantErr)
			}
			if reply == nil {
				t.Fatal("no reply")
			}
			if wantStats := tt.req.MrIsAdd && err == nil; wantStats == (reply.StatsIndex == noIndex) {
				t.Errorf("stats_index = %d for is_add=%v retval=%d", reply.StatsIndex, tt.req.MrIsAdd, reply.Retval)
			}
			got := dumpMPLS(t, conn, 0)
			for key, want := range tt.want {
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

// TestMPLSTables checks mpls_table_add_del and mpls_table_dump, and that
// an MPLS table must exist before routes go in: VPP starts with none.
func TestMPLSTables(t *testing.T) {
	srv, conn := startAndConnect(t, "eth0")
	c := mpls.NewServiceClient(conn)
	route := mplsReq(true, false, 100, true, protoIP4, via("192.0.2.1", 1))
	tables := func() []mpls.MplsTable {
		st, err := c.MplsTableDump(ctxFor(t), &mpls.MplsTableDump{})
		if err != nil {
			t.Fatal(err)
		}
		var out []mpls.MplsTable
		for _, d := range drain(t, st.Recv) {
			out = append(out, d.MtTable)
		}
		return out
	}
	tableReq := func(isAdd bool, id uint32, name string) {
		t.Helper()
		if _, err := c.MplsTableAddDel(ctxFor(t), &mpls.MplsTableAddDel{MtIsAdd: isAdd, MtTable: mpls.MplsTable{MtTableID: id, MtName: name}}); err != nil {
			t.Fatalf("MplsTableAddDel(%v, %d): %v", isAdd, id, err)
		}
	}

	if got := tables(); len(got) != 0 {
		t.Errorf("a fresh VPP has MPLS tables %v", got)
	}
	if _, err := c.MplsRouteAddDel(ctxFor(t), route); !errors.Is(err, api.NO_SUCH_FIB) {
		t.Errorf("route before table 0: err = %v, want %v", err, api.NO_SUCH_FIB)
	}
	if got := dumpMPLS(t, conn, 0); len(got) != 0 {
		t.Errorf("dump of a missing table: %v", got)
	}
	del := mplsReq(false, false, 100, true, 0)
	if _, err := c.MplsRouteAddDel(ctxFor(t), del); !errors.Is(err, api.NO_SUCH_FIB) {
		t.Errorf("delete before table 0: err = %v, want %v", err, api.NO_SUCH_FIB)
	}

	tableReq(true, 0, "")
	tableReq(true, 5, "blue")
	tableReq(true, 5, "other") // again: the name stays
	if diff := cmp.Diff([]mpls.MplsTable{{MtTableID: 0, MtName: "MPLS-VRF:0"}, {MtTableID: 5, MtName: "blue"}}, tables()); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(mplsSpecials(), dumpMPLS(t, conn, 0)); diff != "" {
		t.Errorf("a new table's entries (-want +got):\n%s", diff)
	}
	if _, err := c.MplsRouteAddDel(ctxFor(t), route); err != nil {
		t.Fatalf("route into table 0: %v", err)
	}
	if n, ok := srv.MPLSRouteCount(0, sim.SourceAPI); !ok || n != 1 {
		t.Errorf("MPLSRouteCount = %d, %v; want 1, true", n, ok)
	}

	tableReq(false, 0, "")
	tableReq(false, 0, "") // a missing table is not an error
	if diff := cmp.Diff([]mpls.MplsTable{{MtTableID: 5, MtName: "blue"}}, tables()); diff != "" {
		t.Errorf("after deleting 0 (-want +got):\n%s", diff)
	}
	tableReq(true, 0, "")
	if diff := cmp.Diff(mplsSpecials(), dumpMPLS(t, conn, 0)); diff != "" {
		t.Errorf("recreated table 0 is not empty (-want +got):\n%s", diff)
	}

	want := []sim.Change{
		{Kind: sim.ChangeTableAdd, Msg: "mpls_table_add_del", MPLS: true, Table: 0},
		{Kind: sim.ChangeTableAdd, Msg: "mpls_table_add_del", MPLS: true, Table: 5},
		{Kind: sim.ChangeAdd, Msg: "mpls_route_add_del", MPLS: true, Table: 0, Label: 100, EOS: true,
			Source: sim.SourceAPI, Paths: "ip4 192.0.2.1 if 1"},
		{Kind: sim.ChangeTableDelete, Msg: "mpls_table_add_del", MPLS: true, Table: 0},
		{Kind: sim.ChangeTableAdd, Msg: "mpls_table_add_del", MPLS: true, Table: 0},
	}
	if diff := cmp.Diff(want, srv.Changes(), changeOpts); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

// TestSwInterfaceSetMPLSEnable checks sw_interface_set_mpls_enable, its
// per-interface count and its lock on MPLS table 0.
func TestSwInterfaceSetMPLSEnable(t *testing.T) {
	srv, conn := startAndConnect(t, "eth0", "eth1")
	c := mpls.NewServiceClient(conn)
	set := func(swIfIndex uint32, enable bool) error {
		_, err := c.SwInterfaceSetMplsEnable(ctxFor(t), &mpls.SwInterfaceSetMplsEnable{
			SwIfIndex: interface_types.InterfaceIndex(swIfIndex), Enable: enable,
		})
		return err
	}
	enabled := func() []uint32 {
		st, err := c.MplsInterfaceDump(ctxFor(t), &mpls.MplsInterfaceDump{SwIfIndex: ^interface_types.InterfaceIndex(0)})
		if err != nil {
			t.Fatal(err)
		}
		var out []uint32
		for _, d := range drain(t, st.Recv) {
			out = append(out, uint32(d.SwIfIndex))
		}
		return out
	}
	steps := []struct {
		name    string
		do      func() error
		wantErr error
		want    []uint32 // mpls_interface_dump afterwards
	}{
		{"before MPLS table 0", func() error { return set(1, true) }, api.NO_SUCH_FIB, nil},
		{"unknown interface", func() error { return set(9, true) }, api.INVALID_SW_IF_INDEX, nil},
		{"add table 0", func() error { addMPLSTable(t, conn, 0, ""); return nil }, nil, nil},
		{"enable", func() error { return set(1, true) }, nil, []uint32{1}},
		{"enable again", func() error { return set(1, true) }, nil, []uint32{1}},
		{"one disable of two enables", func() error { return set(1, false) }, nil, []uint32{1}},
		{"enable the other", func() error { return set(2, true) }, nil, []uint32{1, 2}},
		{"unknown interface, with table 0", func() error { return set(9, false) }, api.INVALID_SW_IF_INDEX, []uint32{1, 2}},
		{"disable", func() error { return set(1, false) }, nil, []uint32{2}},
		// VPP's u8 count wraps: the interface then reads as enabled.
		{"disable what is not enabled", func() error { return set(1, false) }, nil, []uint32{1, 2}},
	}
	for _, st := range steps {
		if err := st.do(); !errors.Is(err, st.wantErr) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.wantErr)
		}
		if diff := cmp.Diff(st.want, enabled()); diff != "" {
			t.Errorf("%s: enabled (-want +got):\n%s", st.name, diff)
		}
	}
	st, err := c.MplsInterfaceDump(ctxFor(t), &mpls.MplsInterfaceDump{SwIfIndex: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(t, st.Recv); len(got) != 1 || got[0].SwIfIndex != 2 {
		t.Errorf("mpls_interface_dump of 2 = %v", got)
	}

	// eth1's enable holds table 0 (eth0's count of 255 holds nothing):
	// deleting it through the API keeps it, with its routes, until eth1
	// is disabled.
	if _, err := c.MplsRouteAddDel(ctxFor(t), mplsReq(true, false, 100, true, 0, via("192.0.2.1", 1))); err != nil {
		t.Fatal(err)
	}
	if _, err := c.MplsTableAddDel(ctxFor(t), &mpls.MplsTableAddDel{MtIsAdd: false}); err != nil {
		t.Fatal(err)
	}
	if _, ok := dumpMPLS(t, conn, 0)["100 eos"]; !ok {
		t.Error("table 0 or its route went while an interface holds it")
	}
	before := srv.LastSeq()
	if err := set(2, false); err != nil {
		t.Fatal(err)
	}
	want := []sim.Change{
		{Kind: sim.ChangeMPLSDisable, Msg: "sw_interface_set_mpls_enable", MPLS: true, SwIfIndex: 2},
		{Kind: sim.ChangeTableDelete, Msg: "sw_interface_set_mpls_enable", MPLS: true},
	}
	if diff := cmp.Diff(want, srv.ChangesSince(before), changeOpts); diff != "" {
		t.Errorf("last disable (-want +got):\n%s", diff)
	}
	if got := dumpMPLS(t, conn, 0); len(got) != 0 {
		t.Errorf("table 0 still there: %v", got)
	}
	var kinds []sim.ChangeKind
	for _, ch := range srv.Changes() {
		if ch.Kind == sim.ChangeMPLSEnable || ch.Kind == sim.ChangeMPLSDisable {
			kinds = append(kinds, ch.Kind)
		}
	}
	wantKinds := []sim.ChangeKind{sim.ChangeMPLSEnable, sim.ChangeMPLSEnable, sim.ChangeMPLSDisable, sim.ChangeMPLSEnable, sim.ChangeMPLSDisable}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("interface changes (-want +got):\n%s", diff)
	}
}

// TestLabelledIPRoutes checks IP routes whose paths carry out labels or
// an MPLS next hop.
func TestLabelledIPRoutes(t *testing.T) {
	srv, conn := startAndConnect(t, "eth0")
	c := ip.NewServiceClient(conn)
	stack := via("192.0.2.1", 1)
	stack.NLabels = 3
	stack.LabelStack[0] = fib_types.FibMplsLabel{Label: 100, TTL: 64}
	stack.LabelStack[1] = fib_types.FibMplsLabel{Label: 200, Exp: 5}
	stack.LabelStack[2] = fib_types.FibMplsLabel{Label: 3, IsUniform: 1}
	shown := stack
	shown.LabelStack[2].IsUniform = 0 // VPP does not report is_uniform
	v6 := labelled(via("2001:db8::1", 1), 16000)

	for _, r := range []*ip.IPRouteAddDel{
		routeReq(t, true, false, "10.0.0.0/24", stack),
		routeReq(t, true, false, "2001:db8:1::/48", v6),
	} {
		if _, err := c.IPRouteAddDel(ctxFor(t), r); err != nil {
			t.Fatalf("IPRouteAddDel: %v", err)
		}
	}
	if diff := cmp.Diff([]fib_types.FibPath{shown}, dumpRoutes(t, conn, false, 0, 0)["10.0.0.0/24"].Paths); diff != "" {
		t.Errorf("IPv4 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]fib_types.FibPath{v6}, dumpRoutes(t, conn, true, 0, 0)["2001:db8:1::/48"].Paths); diff != "" {
		t.Errorf("IPv6 (-want +got):\n%s", diff)
	}

	// An MPLS next hop needs an MPLS table to resolve in.
	viaMPLS := routeReq(t, true, false, "10.1.0.0/24", viaLabel(500))
	if _, err := c.IPRouteAddDel(ctxFor(t), viaMPLS); !errors.Is(err, api.NO_SUCH_FIB) {
		t.Errorf("MPLS next hop without an MPLS table: err = %v, want %v", err, api.NO_SUCH_FIB)
	}
	addMPLSTable(t, conn, 0, "")
	if _, err := c.IPRouteAddDel(ctxFor(t), viaMPLS); err != nil {
		t.Fatalf("MPLS next hop: %v", err)
	}
	if diff := cmp.Diff([]fib_types.FibPath{mplsNH}, dumpRoutes(t, conn, false, 0, 0)["10.1.0.0/24"].Paths); diff != "" {
		t.Errorf("MPLS next hop (-want +got):\n%s", diff)
	}
	if _, ok := dumpMPLS(t, conn, 0)["500 neos"]; !ok {
		t.Error("no resolution entry for label 500")
	}
	got := srv.ChangesOf(0, netip.MustParsePrefix("10.1.0.0/24"))
	if len(got) != 1 || got[0].Paths != "mpls via-label 500 table 0" {
		t.Errorf("changes %v", got)
	}
	if _, err := c.IPRouteAddDel(ctxFor(t), routeReq(t, false, false, "10.1.0.0/24")); err != nil {
		t.Fatal(err)
	}
	if _, ok := dumpMPLS(t, conn, 0)["500 neos"]; ok {
		t.Error("resolution entry for label 500 outlived its route")
	}
}
