package sim_test

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.fd.io/govpp/api"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/ip_types"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

// wantRetval checks a GoVPP call's error against VPP's retval.
func wantRetval(tb testing.TB, what string, err error, want api.VPPApiError) {
	tb.Helper()
	switch {
	case want == 0 && err != nil:
		tb.Errorf("%s: %v, want success", what, err)
	case want != 0 && !errors.Is(err, want):
		tb.Errorf("%s: %v, want %d (%v)", what, err, int(want), want)
	}
}

// dumpInterface returns one interface as sw_interface_dump shows it.
func dumpInterface(tb testing.TB, conn api.Connection, idx uint32) *interfaces.SwInterfaceDetails {
	tb.Helper()
	st, err := interfaces.NewServiceClient(conn).SwInterfaceDump(ctxFor(tb), &interfaces.SwInterfaceDump{SwIfIndex: interface_types.InterfaceIndex(idx)})
	if err != nil {
		tb.Fatalf("SwInterfaceDump: %v", err)
	}
	got := drain(tb, st.Recv)
	if len(got) != 1 {
		tb.Fatalf("sw_interface_dump %d: %d interfaces, want 1", idx, len(got))
	}
	return got[0]
}

// kinds lists the kinds of changes, for compact comparisons.
func kinds(cs []sim.Change) []string {
	var out []string
	for _, c := range cs {
		s := c.Kind.String()
		if c.Prefix.IsValid() {
			s += " " + c.Prefix.String()
		}
		out = append(out, s)
	}
	return out
}

func TestSwInterfaceSetFlags(t *testing.T) {
	srv, conn := startAndConnect(t, "eth0")
	c := interfaces.NewServiceClient(conn)
	const up = interface_types.IF_STATUS_API_FLAG_ADMIN_UP
	const upUp = up | interface_types.IF_STATUS_API_FLAG_LINK_UP
	for _, tc := range []struct {
		name      string
		idx       uint32
		flags     interface_types.IfStatusFlags
		err       api.VPPApiError
		wantFlags interface_types.IfStatusFlags
	}{
		{"up: the link follows", 1, up, 0, upUp},
		{"up again", 1, upUp, 0, upUp},
		{"link flag alone means down", 1, interface_types.IF_STATUS_API_FLAG_LINK_UP, 0, 0},
		{"unknown interface", 999, up, api.INVALID_SW_IF_INDEX, 0},
	} {
		_, err := c.SwInterfaceSetFlags(ctxFor(t), &interfaces.SwInterfaceSetFlags{SwIfIndex: interface_types.InterfaceIndex(tc.idx), Flags: tc.flags})
		wantRetval(t, tc.name, err, tc.err)
		if got := dumpInterface(t, conn, 1).Flags; got != tc.wantFlags {
			t.Errorf("%s: flags %v, want %v", tc.name, got, tc.wantFlags)
		}
	}
	if diff := cmp.Diff([]string{"admin-up", "admin-down"}, kinds(srv.Changes())); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if n := srv.RequestCounts()["sw_interface_set_flags"]; n != 4 {
		t.Errorf("sw_interface_set_flags counted %d times, want 4", n)
	}
}

func TestInterfaceMTU(t *testing.T) {
	_, conn := startAndConnect(t, "eth0")
	c := interfaces.NewServiceClient(conn)
	sub, err := c.CreateVlanSubif(ctxFor(t), &interfaces.CreateVlanSubif{SwIfIndex: 1, VlanID: 10})
	if err != nil {
		t.Fatalf("CreateVlanSubif: %v", err)
	}
	_, err = c.SwInterfaceSetMtu(ctxFor(t), &interfaces.SwInterfaceSetMtu{SwIfIndex: 1, Mtu: []uint32{1500, 0, 1400, 0}})
	wantRetval(t, "sw_interface_set_mtu", err, 0)
	if got := dumpInterface(t, conn, 1).Mtu; !cmp.Equal(got, []uint32{1500, 0, 1400, 0}) {
		t.Errorf("mtu %v after sw_interface_set_mtu", got)
	}
	_, err = c.SwInterfaceSetMtu(ctxFor(t), &interfaces.SwInterfaceSetMtu{SwIfIndex: 999, Mtu: []uint32{1500, 0, 0, 0}})
	wantRetval(t, "sw_interface_set_mtu 999", err, api.INVALID_SW_IF_INDEX)

	_, err = c.HwInterfaceSetMtu(ctxFor(t), &interfaces.HwInterfaceSetMtu{SwIfIndex: 1, Mtu: 2000})
	wantRetval(t, "hw_interface_set_mtu", err, 0)
	d := dumpInterface(t, conn, 1)
	if d.LinkMtu != 2000 || !cmp.Equal(d.Mtu, []uint32{2000, 0, 1400, 0}) {
		t.Errorf("after hw_interface_set_mtu: link_mtu %d mtu %v, want 2000 [2000 0 1400 0]", d.LinkMtu, d.Mtu)
	}
	if d := dumpInterface(t, conn, uint32(sub.SwIfIndex)); d.LinkMtu != 2000 || d.Mtu[0] != 2000 {
		t.Errorf("sub-interface after hw_interface_set_mtu: link_mtu %d mtu %v", d.LinkMtu, d.Mtu)
	}
	for _, tc := range []struct {
		name string
		idx  uint32
		err  api.VPPApiError
	}{
		{"sub-interface", uint32(sub.SwIfIndex), api.INVALID_VALUE},
		{"local0 is not Ethernet", 0, api.FEATURE_DISABLED},
		{"unknown", 999, api.INVALID_SW_IF_INDEX},
	} {
		_, err := c.HwInterfaceSetMtu(ctxFor(t), &interfaces.HwInterfaceSetMtu{SwIfIndex: interface_types.InterfaceIndex(tc.idx), Mtu: 1500})
		wantRetval(t, "hw_interface_set_mtu "+tc.name, err, tc.err)
	}
}

// addrReq builds sw_interface_add_del_address.
func addrReq(tb testing.TB, idx uint32, isAdd bool, p string) *interfaces.SwInterfaceAddDelAddress {
	return &interfaces.SwInterfaceAddDelAddress{
		SwIfIndex: interface_types.InterfaceIndex(idx),
		IsAdd:     isAdd,
		Prefix:    ip_types.AddressWithPrefix(apiPrefix(tb, p)),
	}
}

// dumpAddresses returns an interface's addresses of one family.
func dumpAddresses(tb testing.TB, conn api.Connection, idx uint32, ip6 bool) []string {
	tb.Helper()
	st, err := ip.NewServiceClient(conn).IPAddressDump(ctxFor(tb), &ip.IPAddressDump{SwIfIndex: interface_types.InterfaceIndex(idx), IsIPv6: ip6})
	if err != nil {
		tb.Fatalf("IPAddressDump: %v", err)
	}
	var out []string
	for _, d := range drain(tb, st.Recv) {
		if uint32(d.SwIfIndex) != idx {
			tb.Errorf("address of sw_if_index %d in the dump of %d", d.SwIfIndex, idx)
		}
		out = append(out, prefixOf(ip_types.Prefix(d.Prefix)).String())
	}
	return out
}

func TestInterfaceAddresses(t *testing.T) {
	srv, conn := startAndConnect(t, "eth0", "eth1")
	c := interfaces.NewServiceClient(conn)
	for _, tc := range []struct {
		name  string
		idx   uint32
		isAdd bool
		p     string
		err   api.VPPApiError
	}{
		{"add", 1, true, "10.0.0.1/24", 0},
		{"same address twice", 1, true, "10.0.0.1/24", api.ADDRESS_IN_USE},
		{"another address in the prefix", 1, true, "10.0.0.2/24", 0},
		{"overlap with another length", 1, true, "10.0.0.3/16", api.ADDRESS_IN_USE},
		{"overlap on another interface", 2, true, "10.0.0.9/24", api.ADDRESS_IN_USE},
		{"other prefix on another interface", 2, true, "10.1.0.1/24", 0},
		{"IPv6", 1, true, "2001:db8::1/64", 0},
		{"delete an address it does not have", 1, false, "10.0.0.5/24", api.ADDRESS_NOT_FOUND_FOR_INTERFACE},
		{"delete with another length", 1, false, "10.0.0.2/25", api.ADDRESS_NOT_FOUND_FOR_INTERFACE},
		{"unknown interface", 999, true, "10.9.0.1/24", api.INVALID_SW_IF_INDEX},
	} {
		_, err := c.SwInterfaceAddDelAddress(ctxFor(t), addrReq(t, tc.idx, tc.isAdd, tc.p))
		wantRetval(t, tc.name, err, tc.err)
	}
	if diff := cmp.Diff([]string{"10.0.0.1/24", "10.0.0.2/24"}, dumpAddresses(t, conn, 1, false)); diff != "" {
		t.Errorf("IPv4 addresses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"2001:db8::1/64"}, dumpAddresses(t, conn, 1, true)); diff != "" {
		t.Errorf("IPv6 addresses (-want +got):\n%s", diff)
	}
	_, err := c.SwInterfaceAddDelAddress(ctxFor(t), addrReq(t, 1, false, "10.0.0.1/24"))
	wantRetval(t, "delete", err, 0)
	_, err = c.SwInterfaceAddDelAddress(ctxFor(t), &interfaces.SwInterfaceAddDelAddress{SwIfIndex: 1, DelAll: true})
	wantRetval(t, "del_all", err, 0)
	if got := append(dumpAddresses(t, conn, 1, false), dumpAddresses(t, conn, 1, true)...); len(got) != 0 {
		t.Errorf("addresses after del_all: %v", got)
	}
	want := []string{"addr-add 10.0.0.1/24", "addr-add 10.0.0.2/24", "addr-add 10.1.0.1/24", "addr-add 2001:db8::1/64",
		"addr-delete 10.0.0.1/24", "addr-delete 10.0.0.2/24", "addr-delete 2001:db8::1/64"}
	if diff := cmp.Diff(want, kinds(srv.Changes())); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

func TestVLANSubinterfaces(t *testing.T) {
	srv, conn := startAndConnect(t, "eth0", "eth1")
	c := interfaces.NewServiceClient(conn)
	r, err := c.CreateVlanSubif(ctxFor(t), &interfaces.CreateVlanSubif{SwIfIndex: 1, VlanID: 100})
	if err != nil {
		t.Fatalf("CreateVlanSubif: %v", err)
	}
	if r.SwIfIndex != 3 {
		t.Errorf("sub-interface sw_if_index %d, want 3", r.SwIfIndex)
	}
	d := dumpInterface(t, conn, 3)
	want := &interfaces.SwInterfaceDetails{
		SwIfIndex: 3, SupSwIfIndex: 1, L2Address: dumpInterface(t, conn, 1).L2Address,
		Type: interface_types.IF_API_TYPE_SUB, LinkMtu: 9000, Mtu: []uint32{9000, 0, 0, 0},
		SubID: 100, SubNumberOfTags: 1, SubOuterVlanID: 100,
		SubIfFlags:    interface_types.SUB_IF_API_FLAG_ONE_TAG | interface_types.SUB_IF_API_FLAG_EXACT_MATCH,
		InterfaceName: "eth0.100", InterfaceDevType: "dpdk",
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("sub-interface details (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name string
		idx  uint32
		vlan uint32
		err  api.VPPApiError
	}{
		{"same VLAN again", 1, 100, api.VLAN_ALREADY_EXISTS},
		{"VLAN 0", 1, 0, api.INVALID_VLAN},
		{"VLAN 4096", 1, 4096, api.INVALID_VLAN},
		{"unknown parent", 999, 10, api.INVALID_SW_IF_INDEX},
	} {
		_, err := c.CreateVlanSubif(ctxFor(t), &interfaces.CreateVlanSubif{SwIfIndex: interface_types.InterfaceIndex(tc.idx), VlanID: tc.vlan})
		wantRetval(t, tc.name, err, tc.err)
	}
	cs, err := c.CreateSubif(ctxFor(t), &interfaces.CreateSubif{SwIfIndex: 2, SubID: 7, OuterVlanID: 200,
		SubIfFlags: interface_types.SUB_IF_API_FLAG_ONE_TAG | interface_types.SUB_IF_API_FLAG_EXACT_MATCH})
	if err != nil {
		t.Fatalf("CreateSubif: %v", err)
	}
	if d := dumpInterface(t, conn, uint32(cs.SwIfIndex)); d.InterfaceName != "eth1.7" || d.SubOuterVlanID != 200 {
		t.Errorf("create_subif: %q vlan %d, want eth1.7 vlan 200", d.InterfaceName, d.SubOuterVlanID)
	}

	// Sub-interfaces have their own admin state and the parent's link.
	_, err = c.SwInterfaceSetFlags(ctxFor(t), &interfaces.SwInterfaceSetFlags{SwIfIndex: 3, Flags: interface_types.IF_STATUS_API_FLAG_ADMIN_UP})
	wantRetval(t, "sub-interface up", err, 0)
	if f := dumpInterface(t, conn, 3).Flags; f != interface_types.IF_STATUS_API_FLAG_ADMIN_UP {
		t.Errorf("sub-interface up, parent down: flags %v, want admin up only", f)
	}

	for _, tc := range []struct {
		name string
		idx  uint32
		err  api.VPPApiError
	}{
		{"not a sub-interface", 1, api.INVALID_SUB_SW_IF_INDEX},
		{"unknown", 999, api.INVALID_SW_IF_INDEX},
		{"sub-interface", 3, 0},
		{"twice", 3, api.INVALID_SW_IF_INDEX},
	} {
		_, err := c.DeleteSubif(ctxFor(t), &interfaces.DeleteSubif{SwIfIndex: interface_types.InterfaceIndex(tc.idx)})
		wantRetval(t, "delete_subif "+tc.name, err, tc.err)
	}
	// VPP reuses the freed index.
	r, err = c.CreateVlanSubif(ctxFor(t), &interfaces.CreateVlanSubif{SwIfIndex: 1, VlanID: 100})
	if err != nil || r.SwIfIndex != 3 {
		t.Errorf("re-creating eth0.100: sw_if_index %d, %v; want 3", r.SwIfIndex, err)
	}
	want2 := []string{"if-add", "if-add", "admin-up", "admin-down", "if-delete", "if-add"}
	if diff := cmp.Diff(want2, kinds(srv.Changes())); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	// Restart forgets sub-interfaces.
	srv.Restart()
	conn = connect(t, srv)
	st, err := interfaces.NewServiceClient(conn).SwInterfaceDump(ctxFor(t), &interfaces.SwInterfaceDump{SwIfIndex: ^interface_types.InterfaceIndex(0)})
	if err != nil {
		t.Fatalf("SwInterfaceDump: %v", err)
	}
	if n := len(drain(t, st.Recv)); n != 3 {
		t.Errorf("after restart: %d interfaces, want local0, eth0, eth1", n)
	}
}

func TestInterfaceEvents(t *testing.T) {
	srv := startSim(t, "eth0")
	watcher, actor := connect(t, srv), connect(t, srv)
	w, err := watcher.WatchEvent(ctxFor(t), &interfaces.SwInterfaceEvent{})
	if err != nil {
		t.Fatalf("WatchEvent: %v", err)
	}
	defer w.Close()
	wc := interfaces.NewServiceClient(watcher)
	_, err = wc.WantInterfaceEvents(ctxFor(t), &interfaces.WantInterfaceEvents{EnableDisable: 1, PID: 42})
	wantRetval(t, "want_interface_events", err, 0)
	_, err = wc.WantInterfaceEvents(ctxFor(t), &interfaces.WantInterfaceEvents{EnableDisable: 1, PID: 42})
	wantRetval(t, "want_interface_events twice", err, api.INVALID_REGISTRATION)

	ac := interfaces.NewServiceClient(actor)
	_, err = ac.WantInterfaceEvents(ctxFor(t), &interfaces.WantInterfaceEvents{EnableDisable: 0, PID: 7})
	wantRetval(t, "disabling what is not enabled", err, api.INVALID_REGISTRATION)
	sub, err := ac.CreateVlanSubif(ctxFor(t), &interfaces.CreateVlanSubif{SwIfIndex: 1, VlanID: 5})
	if err != nil {
		t.Fatalf("CreateVlanSubif: %v", err)
	}
	_, err = ac.SwInterfaceSetFlags(ctxFor(t), &interfaces.SwInterfaceSetFlags{SwIfIndex: 1, Flags: interface_types.IF_STATUS_API_FLAG_ADMIN_UP})
	wantRetval(t, "up", err, 0)
	_, err = ac.DeleteSubif(ctxFor(t), &interfaces.DeleteSubif{SwIfIndex: sub.SwIfIndex})
	wantRetval(t, "delete_subif", err, 0)

	const upUp = interface_types.IF_STATUS_API_FLAG_ADMIN_UP | interface_types.IF_STATUS_API_FLAG_LINK_UP
	want := []*interfaces.SwInterfaceEvent{
		{PID: 42, SwIfIndex: 1, Flags: upUp},
		{PID: 42, SwIfIndex: sub.SwIfIndex, Flags: interface_types.IF_STATUS_API_FLAG_LINK_UP},
		{PID: 42, SwIfIndex: sub.SwIfIndex, Deleted: true},
	}
	var got []*interfaces.SwInterfaceEvent
	timeout := time.After(rpcTimeout)
	for len(got) < len(want) {
		select {
		case m := <-w.Events():
			got = append(got, m.(*interfaces.SwInterfaceEvent))
		case <-timeout:
			t.Fatalf("events: got %v, want %v", got, want)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// addr is a shorthand for netip.MustParseAddr.
func addr(s string) netip.Addr { return netip.MustParseAddr(s) }
