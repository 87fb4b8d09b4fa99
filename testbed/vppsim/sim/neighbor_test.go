package sim_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/ethernet_types"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/ip_neighbor"
	"go.fd.io/govpp/binapi/ip_types"
)

// neighborReq builds ip_neighbor_add_del.
func neighborReq(isAdd bool, idx uint32, ip, mac string, flags ip_neighbor.IPNeighborFlags) *ip_neighbor.IPNeighborAddDel {
	m, err := ethernet_types.ParseMacAddress(mac)
	if err != nil {
		panic(err)
	}
	return &ip_neighbor.IPNeighborAddDel{IsAdd: isAdd, Neighbor: ip_neighbor.IPNeighbor{
		SwIfIndex:  interface_types.InterfaceIndex(idx),
		Flags:      flags,
		MacAddress: m,
		IPAddress:  ip_types.NewAddress(addr(ip).AsSlice()),
	}}
}

// neighborRow is a neighbour as ip_neighbor_dump shows it, without its age.
type neighborRow struct {
	SwIfIndex uint32
	IP, MAC   string
	Flags     ip_neighbor.IPNeighborFlags
}

func dumpNeighbors(tb testing.TB, conn api.Connection, idx uint32, af ip_types.AddressFamily) []neighborRow {
	tb.Helper()
	st, err := ip_neighbor.NewServiceClient(conn).IPNeighborDump(ctxFor(tb), &ip_neighbor.IPNeighborDump{SwIfIndex: interface_types.InterfaceIndex(idx), Af: af})
	if err != nil {
		tb.Fatalf("IPNeighborDump: %v", err)
	}
	var out []neighborRow
	for _, d := range drain(tb, st.Recv) {
		if d.Age < 0 {
			tb.Errorf("negative age %v", d.Age)
		}
		n := d.Neighbor
		out = append(out, neighborRow{uint32(n.SwIfIndex), n.IPAddress.String(), n.MacAddress.String(), n.Flags})
	}
	return out
}

func TestIPNeighborAddDel(t *testing.T) {
	srv, conn := startAndConnect(t, "eth0", "eth1")
	c := ip_neighbor.NewServiceClient(conn)
	const (
		static = ip_neighbor.IP_API_NEIGHBOR_FLAG_STATIC
		noFIB  = ip_neighbor.IP_API_NEIGHBOR_FLAG_NO_FIB_ENTRY
		macA   = "02:00:00:00:00:0a"
		macB   = "02:00:00:00:00:0b"
	)
	var firstStats uint32
	for n, tc := range []struct {
		name      string
		req       *ip_neighbor.IPNeighborAddDel
		err       api.VPPApiError
		sameStats bool // the stats index of the first add
		noStats   bool // ~0
	}{
		{"add static", neighborReq(true, 1, "10.0.0.2", macA, static), 0, false, false},
		{"add again", neighborReq(true, 1, "10.0.0.2", macA, static), 0, true, false},
		{"dynamic over static, same MAC", neighborReq(true, 1, "10.0.0.2", macA, 0), 0, true, false},
		{"dynamic over static, other MAC", neighborReq(true, 1, "10.0.0.2", macB, 0), api.INVALID_SW_IF_INDEX, false, true},
		{"static with a new MAC", neighborReq(true, 1, "10.0.0.2", macB, static), 0, true, false},
		{"unknown interface", neighborReq(true, 999, "10.0.0.3", macA, static), api.INVALID_SW_IF_INDEX, false, true},
		{"outside every subnet", neighborReq(true, 2, "192.0.2.1", macA, 0), 0, false, false},
		{"no FIB entry: no adjacency", neighborReq(true, 2, "192.0.2.2", macA, static|noFIB), 0, false, true},
		{"IPv6", neighborReq(true, 1, "fe80::1", macA, static), 0, false, false},
		{"delete missing", neighborReq(false, 1, "10.0.0.9", macA, 0), api.NO_SUCH_ENTRY, false, true},
		{"delete on unknown interface", neighborReq(false, 999, "10.0.0.2", macA, 0), api.INVALID_SW_IF_INDEX, false, true},
	} {
		r, err := c.IPNeighborAddDel(ctxFor(t), tc.req)
		wantRetval(t, tc.name, err, tc.err)
		if err != nil {
			continue
		}
		if n == 0 {
			firstStats = r.StatsIndex
		}
		switch {
		case tc.noStats && r.StatsIndex != ^uint32(0):
			t.Errorf("%s: stats_index %d, want ~0", tc.name, r.StatsIndex)
		case tc.sameStats && r.StatsIndex != firstStats:
			t.Errorf("%s: stats_index %d, want %d", tc.name, r.StatsIndex, firstStats)
		case !tc.noStats && r.StatsIndex == ^uint32(0):
			t.Errorf("%s: stats_index ~0", tc.name)
		}
	}
	want4 := []neighborRow{
		{1, "10.0.0.2", macB, static},
		{2, "192.0.2.1", macA, 0},
		{2, "192.0.2.2", macA, static | noFIB},
	}
	if diff := cmp.Diff(want4, dumpNeighbors(t, conn, ^uint32(0), ip_types.ADDRESS_IP4)); diff != "" {
		t.Errorf("IPv4 neighbours (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want4[1:], dumpNeighbors(t, conn, 2, ip_types.ADDRESS_IP4)); diff != "" {
		t.Errorf("eth1's IPv4 neighbours (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]neighborRow{{1, "fe80::1", macA, static}}, dumpNeighbors(t, conn, ^uint32(0), ip_types.ADDRESS_IP6)); diff != "" {
		t.Errorf("IPv6 neighbours (-want +got):\n%s", diff)
	}
	_, err := c.IPNeighborAddDel(ctxFor(t), neighborReq(false, 1, "10.0.0.2", macA, 0))
	wantRetval(t, "delete", err, 0)
	if got := dumpNeighbors(t, conn, 1, ip_types.ADDRESS_IP4); len(got) != 0 {
		t.Errorf("after delete: %v", got)
	}
	want := []string{"neighbor-add 10.0.0.2/32", "neighbor-update 10.0.0.2/32", "neighbor-add 192.0.2.1/32",
		"neighbor-add 192.0.2.2/32", "neighbor-add fe80::1/128", "neighbor-delete 10.0.0.2/32"}
	if diff := cmp.Diff(want, kinds(srv.Changes())); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if got := srv.Changes()[1].Detail; got != macB+" static" {
		t.Errorf("update detail %q", got)
	}
}
