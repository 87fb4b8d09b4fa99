package sim_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib"
	"go.fd.io/govpp/binapi/ip"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

func dumpTables(t *testing.T, conn api.Connection) []ip.IPTable {
	t.Helper()
	st, err := ip.NewServiceClient(conn).IPTableDump(ctxFor(t), &ip.IPTableDump{})
	if err != nil {
		t.Fatal(err)
	}
	var out []ip.IPTable
	for _, d := range drain(t, st.Recv) {
		out = append(out, d.Table)
	}
	return out
}

// TestIPTableAddDel runs a sequence of table operations and checks the
// table dump and the route dump after each.
func TestIPTableAddDel(t *testing.T) {
	_, conn := startAndConnect(t, "eth0")
	c := ip.NewServiceClient(conn)
	base := []ip.IPTable{{TableID: 0, Name: "ipv4-VRF:0"}, {TableID: 0, IsIP6: true, Name: "ipv6-VRF:0"}}
	route100 := routeReq(t, true, false, "10.0.0.0/24", via("192.0.2.1", 1))
	route100.Route.TableID = 100

	steps := []struct {
		name       string
		tableReq   *ip.IPTableAddDel // sent first, if set
		routeReq   *ip.IPRouteAddDel // then this, if set
		wantErr    error             // of routeReq
		wantTables []ip.IPTable      // ip_table_dump afterwards
		want100    map[string]route  // ip_route_v2_dump of IPv4 table 100, API source
	}{
		{name: "start", wantTables: base},
		{name: "route into a missing table", routeReq: route100, wantErr: api.NO_SUCH_FIB, wantTables: base},
		{
			name:       "create 100",
			tableReq:   &ip.IPTableAddDel{IsAdd: true, Table: ip.IPTable{TableID: 100}},
			wantTables: append(base[:1:1], ip.IPTable{TableID: 100, Name: "ipv4-VRF:100"}, base[1]),
			want100:    map[string]route{},
		},
		{
			name:       "route into 100",
			routeReq:   route100,
			wantTables: append(base[:1:1], ip.IPTable{TableID: 100, Name: "ipv4-VRF:100"}, base[1]),
			want100:    map[string]route{"10.0.0.0/24": {"10.0.0.0/24", sim.SourceAPI, route100.Route.Paths}},
		},
		{
			name:       "create 100 again keeps its routes and name",
			tableReq:   &ip.IPTableAddDel{IsAdd: true, Table: ip.IPTable{TableID: 100, Name: "other"}},
			wantTables: append(base[:1:1], ip.IPTable{TableID: 100, Name: "ipv4-VRF:100"}, base[1]),
			want100:    map[string]route{"10.0.0.0/24": {"10.0.0.0/24", sim.SourceAPI, route100.Route.Paths}},
		},
		{
			name:       "named IPv6 table",
			tableReq:   &ip.IPTableAddDel{IsAdd: true, Table: ip.IPTable{TableID: 7, IsIP6: true, Name: "blue"}},
			wantTables: append(base[:1:1], ip.IPTable{TableID: 100, Name: "ipv4-VRF:100"}, base[1], ip.IPTable{TableID: 7, IsIP6: true, Name: "blue"}),
			want100:    map[string]route{"10.0.0.0/24": {"10.0.0.0/24", sim.SourceAPI, route100.Route.Paths}},
		},
		{
			name:       "delete 100 takes its routes",
			tableReq:   &ip.IPTableAddDel{Table: ip.IPTable{TableID: 100}},
			wantTables: append(base[:2:2], ip.IPTable{TableID: 7, IsIP6: true, Name: "blue"}),
		},
		{
			name:       "delete 100 again",
			tableReq:   &ip.IPTableAddDel{Table: ip.IPTable{TableID: 100}},
			routeReq:   route100,
			wantErr:    api.NO_SUCH_FIB,
			wantTables: append(base[:2:2], ip.IPTable{TableID: 7, IsIP6: true, Name: "blue"}),
		},
		{
			name:       "table 0 cannot be deleted",
			tableReq:   &ip.IPTableAddDel{Table: ip.IPTable{TableID: 0}},
			wantTables: append(base[:2:2], ip.IPTable{TableID: 7, IsIP6: true, Name: "blue"}),
		},
		{
			name:       "recreated 100 is empty",
			tableReq:   &ip.IPTableAddDel{IsAdd: true, Table: ip.IPTable{TableID: 100}},
			wantTables: append(base[:1:1], ip.IPTable{TableID: 100, Name: "ipv4-VRF:100"}, base[1], ip.IPTable{TableID: 7, IsIP6: true, Name: "blue"}),
			want100:    map[string]route{},
		},
	}
	for _, st := range steps {
		if st.tableReq != nil {
			if _, err := c.IPTableAddDel(ctxFor(t), st.tableReq); err != nil {
				t.Fatalf("%s: IPTableAddDel: %v", st.name, err)
			}
		}
		if st.routeReq != nil {
			if _, err := c.IPRouteAddDel(ctxFor(t), st.routeReq); !errors.Is(err, st.wantErr) {
				t.Fatalf("%s: IPRouteAddDel error = %v, want %v", st.name, err, st.wantErr)
			}
		}
		if diff := cmp.Diff(st.wantTables, dumpTables(t, conn)); diff != "" {
			t.Errorf("%s: tables (-want +got):\n%s", st.name, diff)
		}
		got := dumpRoutes(t, conn, false, 100, sim.SourceAPI)
		if st.want100 == nil {
			if len(got) != 0 {
				t.Errorf("%s: table 100 dumped %v, want nothing", st.name, got)
			}
			continue
		}
		if diff := cmp.Diff(st.want100, got); diff != "" {
			t.Errorf("%s: table 100 (-want +got):\n%s", st.name, diff)
		}
	}
}

// TestFibSourceDump checks the sources lcpfib needs to tell apart.
func TestFibSourceDump(t *testing.T) {
	_, conn := startAndConnect(t)
	st, err := fib.NewServiceClient(conn).FibSourceDump(ctxFor(t), &fib.FibSourceDump{})
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[uint8]fib.FibSource)
	for _, d := range drain(t, st.Recv) {
		got[d.Src.ID] = d.Src
	}
	for _, want := range []fib.FibSource{
		{ID: uint8(sim.SourceSpecial), Name: "special", Priority: 0},
		{ID: uint8(sim.SourceAPI), Name: "API", Priority: 0x80},
		{ID: uint8(sim.SourceRR), Name: "recursive-resolution", Priority: 0xfb},
		{ID: uint8(sim.SourceDefaultRoute), Name: "default-route", Priority: 0xfd},
	} {
		if diff := cmp.Diff(want, got[want.ID]); diff != "" {
			t.Errorf("source %d (-want +got):\n%s", want.ID, diff)
		}
		if name := sim.Source(want.ID).String(); name != want.Name {
			t.Errorf("Source(%d).String() = %q, want %q", want.ID, name, want.Name)
		}
	}
}
