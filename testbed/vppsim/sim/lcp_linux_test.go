//go:build linux

package sim_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"go.fd.io/govpp/api"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/lcp"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

// newNetns creates a named network namespace for the test and deletes it
// when the test ends. Tests that create TAPs need root: they fail without
// it, unless -short is given, when they are skipped.
func newNetns(t *testing.T) (string, *netlink.Handle) {
	t.Helper()
	if os.Geteuid() != 0 {
		if testing.Short() {
			t.Skip("needs root to create network namespaces and TAPs")
		}
		t.Fatal("needs root to create network namespaces and TAPs (run with -short to skip)")
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "vppsim-" + hex.EncodeToString(b)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	ns, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("opening netns %s: %v", name, err)
	}
	t.Cleanup(func() { _ = ns.Close() })
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatalf("netlink in %s: %v", name, err)
	}
	t.Cleanup(h.Close)
	return name, h
}

// linkIn returns the link name in a namespace, or nil if there is none.
func linkIn(t *testing.T, h *netlink.Handle, name string) netlink.Link {
	t.Helper()
	l, err := h.LinkByName(name)
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		t.Fatalf("LinkByName(%s): %v", name, err)
	}
	return l
}

// vlanSupported reports whether the kernel can make a VLAN device on the
// link with that index.
func vlanSupported(t *testing.T, h *netlink.Handle, parent int) bool {
	t.Helper()
	v := &netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "vppsim-probe", ParentIndex: parent}, VlanId: 4000}
	if err := h.LinkAdd(v); err != nil {
		t.Logf("no kernel VLANs: %v", err)
		return false
	}
	if err := h.LinkDel(v); err != nil {
		t.Fatalf("deleting VLAN probe: %v", err)
	}
	return true
}

func pairAdd(phy uint32, name, ns string) *lcp.LcpItfPairAddDelV2 {
	return &lcp.LcpItfPairAddDelV2{IsAdd: true, SwIfIndex: interface_types.InterfaceIndex(phy), HostIfName: name, Netns: ns}
}

// pairs dumps every pair with lcp_itf_pair_get.
func pairs(t *testing.T, conn api.Connection) []*lcp.LcpItfPairDetails {
	t.Helper()
	st, err := lcp.NewServiceClient(conn).LcpItfPairGet(ctxFor(t), &lcp.LcpItfPairGet{})
	if err != nil {
		t.Fatalf("LcpItfPairGet: %v", err)
	}
	var out []*lcp.LcpItfPairDetails
	for {
		d, _, err := st.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("LcpItfPairGet: %v", err)
			}
			return out
		}
		out = append(out, d)
	}
}

func TestIntegrationLinuxCPPair(t *testing.T) {
	ns, h := newNetns(t)
	srv, conn := startAndConnect(t, "eth0", "eth1")
	ic := interfaces.NewServiceClient(conn)
	if _, err := ic.SwInterfaceSetFlags(ctxFor(t), &interfaces.SwInterfaceSetFlags{SwIfIndex: 1, Flags: interface_types.IF_STATUS_API_FLAG_ADMIN_UP}); err != nil {
		t.Fatalf("SwInterfaceSetFlags: %v", err)
	}
	if _, err := ic.SwInterfaceSetMtu(ctxFor(t), &interfaces.SwInterfaceSetMtu{SwIfIndex: 1, Mtu: []uint32{1500, 0, 0, 0}}); err != nil {
		t.Fatalf("SwInterfaceSetMtu: %v", err)
	}
	c := lcp.NewServiceClient(conn)
	r, err := c.LcpItfPairAddDelV2(ctxFor(t), pairAdd(1, "e0", ns))
	if err != nil {
		t.Fatalf("LcpItfPairAddDelV2: %v", err)
	}
	if r.HostSwIfIndex != 3 {
		t.Errorf("host_sw_if_index %d, want 3 (a new tap interface)", r.HostSwIfIndex)
	}
	phy, tap := dumpInterface(t, conn, 1), dumpInterface(t, conn, 3)
	if tap.InterfaceName != "tap4096" || tap.InterfaceDevType != "virtio" || tap.Flags != interface_types.IF_STATUS_API_FLAG_ADMIN_UP|interface_types.IF_STATUS_API_FLAG_LINK_UP {
		t.Errorf("VPP side of the tap: %q %q flags %v", tap.InterfaceName, tap.InterfaceDevType, tap.Flags)
	}

	link := linkIn(t, h, "e0")
	if link == nil {
		t.Fatalf("no TAP e0 in %s", ns)
	}
	attrs := link.Attrs()
	if link.Type() != "tuntap" || attrs.HardwareAddr.String() != phy.L2Address.String() || attrs.MTU != 1500 || attrs.Flags&(1<<0) == 0 {
		t.Errorf("TAP e0: type %s MAC %s MTU %d flags %v; want tuntap, %s, 1500, up", link.Type(), attrs.HardwareAddr, attrs.MTU, attrs.Flags, phy.L2Address)
	}
	want := &lcp.LcpItfPairDetails{PhySwIfIndex: 1, HostSwIfIndex: 3, VifIndex: uint32(attrs.Index), HostIfName: "e0", HostIfType: lcp.LCP_API_ITF_HOST_TAP, Netns: ns}
	if diff := cmp.Diff([]*lcp.LcpItfPairDetails{want}, pairs(t, conn)); diff != "" {
		t.Errorf("lcp_itf_pair_get (-want +got):\n%s", diff)
	}
	st, err := c.LcpItfPairGetV2(ctxFor(t), &lcp.LcpItfPairGetV2{SwIfIndex: 1})
	if err != nil {
		t.Fatalf("LcpItfPairGetV2: %v", err)
	}
	if d, _, err := st.Recv(); err != nil || !cmp.Equal(d, want) {
		t.Errorf("lcp_itf_pair_get_v2 for eth0: %v, %v", d, err)
	}
	// VPP 25.10 ends an all-pairs v2 walk with the v1 reply, which
	// GoVPP's v2 client does not expect.
	st, err = c.LcpItfPairGetV2(ctxFor(t), &lcp.LcpItfPairGetV2{SwIfIndex: ^interface_types.InterfaceIndex(0)})
	if err != nil {
		t.Fatalf("LcpItfPairGetV2: %v", err)
	}
	if _, _, err := st.Recv(); err != nil {
		t.Errorf("lcp_itf_pair_get_v2 ~0, first details: %v", err)
	}
	if _, _, err := st.Recv(); err == nil || !strings.Contains(err.Error(), "unexpected message") {
		t.Errorf("lcp_itf_pair_get_v2 ~0 end: %v, want GoVPP's unexpected message", err)
	}

	for _, tc := range []struct {
		name string
		req  *lcp.LcpItfPairAddDelV2
		err  api.VPPApiError
	}{
		{"pair exists", pairAdd(1, "e0b", ns), api.VALUE_EXIST},
		{"unknown phy", pairAdd(999, "x", ns), api.INVALID_SW_IF_INDEX},
		{"name too long", pairAdd(2, "abcdefghijklmnop", ns), api.INVALID_ARGUMENT},
		{"bad character", pairAdd(2, "e/1", ns), api.INVALID_ARGUMENT},
		{"local0 is not Ethernet", pairAdd(0, "l0", ns), api.INVALID_ARGUMENT},
		{"no such netns", pairAdd(2, "e1", "vppsim-missing"), api.SYSCALL_ERROR_2},
		{"delete without pair", &lcp.LcpItfPairAddDelV2{SwIfIndex: 2}, api.INVALID_SW_IF_INDEX},
	} {
		_, err := c.LcpItfPairAddDelV2(ctxFor(t), tc.req)
		wantRetval(t, tc.name, err, tc.err)
	}

	// v3, into the default netns set by the API, for a down phy.
	if _, err := c.LcpDefaultNsSet(ctxFor(t), &lcp.LcpDefaultNsSet{Netns: ns}); err != nil {
		t.Fatalf("LcpDefaultNsSet: %v", err)
	}
	if g, err := c.LcpDefaultNsGet(ctxFor(t), &lcp.LcpDefaultNsGet{}); err != nil || g.Netns != ns {
		t.Errorf("LcpDefaultNsGet: %v, %v; want %s", g, err, ns)
	}
	r3, err := c.LcpItfPairAddDelV3(ctxFor(t), &lcp.LcpItfPairAddDelV3{IsAdd: true, SwIfIndex: 2, HostIfName: "e1"})
	if err != nil {
		t.Fatalf("LcpItfPairAddDelV3: %v", err)
	}
	l1 := linkIn(t, h, "e1")
	if l1 == nil || uint32(l1.Attrs().Index) != r3.VifIndex || l1.Attrs().Flags&(1<<0) != 0 {
		t.Errorf("TAP e1 (v3 vif %d): %v; want it down, in %s", r3.VifIndex, l1, ns)
	}
	if dumpInterface(t, conn, uint32(r3.HostSwIfIndex)).InterfaceName != "tap4097" {
		t.Errorf("second tap not tap4097")
	}

	// A sub-interface's pair is a Linux VLAN on the parent's TAP; where
	// the kernel has no VLAN support VPP fails with -73 as vppsim does.
	sub, err := ic.CreateVlanSubif(ctxFor(t), &interfaces.CreateVlanSubif{SwIfIndex: 1, VlanID: 100})
	if err != nil {
		t.Fatalf("CreateVlanSubif: %v", err)
	}
	hasVLAN := vlanSupported(t, h, attrs.Index)
	rs, err := c.LcpItfPairAddDelV2(ctxFor(t), pairAdd(uint32(sub.SwIfIndex), "e0.100", ""))
	switch {
	case !hasVLAN:
		wantRetval(t, "pair for eth0.100 without kernel VLANs", err, api.INVALID_ARGUMENT)
	case err != nil:
		t.Fatalf("pair for eth0.100: %v", err)
	default:
		if d := dumpInterface(t, conn, uint32(rs.HostSwIfIndex)); d.InterfaceName != "tap4096.100" {
			t.Errorf("host of eth0.100: %q, want tap4096.100", d.InterfaceName)
		}
		if v, ok := linkIn(t, h, "e0.100").(*netlink.Vlan); !ok || v.VlanId != 100 || v.Attrs().ParentIndex != attrs.Index {
			t.Errorf("e0.100: %v, want VLAN 100 on e0", linkIn(t, h, "e0.100"))
		}
	}

	// Deleting eth0's pair removes its TAP (and the VLAN on it), its tap
	// interface, and the sub-interface's pair.
	_, err = c.LcpItfPairAddDelV2(ctxFor(t), &lcp.LcpItfPairAddDelV2{SwIfIndex: 1})
	wantRetval(t, "delete", err, 0)
	if linkIn(t, h, "e0") != nil || linkIn(t, h, "e0.100") != nil {
		t.Errorf("e0 or e0.100 still in %s after the pair was deleted", ns)
	}
	if got := pairs(t, conn); len(got) != 1 || got[0].PhySwIfIndex != 2 {
		t.Errorf("pairs after delete: %v, want eth1's only", got)
	}
	st2, err := ic.SwInterfaceDump(ctxFor(t), &interfaces.SwInterfaceDump{NameFilterValid: true, NameFilter: "tap4096"})
	if err != nil {
		t.Fatalf("SwInterfaceDump: %v", err)
	}
	if got := drain(t, st2.Recv); len(got) != 0 {
		t.Errorf("tap4096 still in VPP: %v", got)
	}

	var kinds []sim.ChangeKind
	for _, ch := range srv.Changes() {
		if ch.Kind == sim.ChangePairAdd || ch.Kind == sim.ChangePairDelete || ch.Kind == sim.ChangeDefaultNS {
			kinds = append(kinds, ch.Kind)
		}
	}
	wantKinds := []sim.ChangeKind{sim.ChangePairAdd, sim.ChangeDefaultNS, sim.ChangePairAdd, sim.ChangePairAdd, sim.ChangePairDelete, sim.ChangePairDelete}
	if !hasVLAN {
		wantKinds = []sim.ChangeKind{sim.ChangePairAdd, sim.ChangeDefaultNS, sim.ChangePairAdd, sim.ChangePairDelete}
	}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("pair changes (-want +got):\n%s", diff)
	}

	// A restart loses the pairs: their TAPs go.
	srv.Restart()
	if linkIn(t, h, "e1") != nil {
		t.Errorf("e1 still in %s after restart", ns)
	}
	conn = connect(t, srv)
	if got := pairs(t, conn); len(got) != 0 {
		t.Errorf("pairs after restart: %v", got)
	}
}

func TestIntegrationLinuxCPCloseRemovesTaps(t *testing.T) {
	ns, h := newNetns(t)
	srv, conn := startAndConnect(t, "eth0")
	if _, err := lcp.NewServiceClient(conn).LcpItfPairAddDelV2(ctxFor(t), pairAdd(1, "tun0", ns)); err != nil {
		t.Fatalf("LcpItfPairAddDelV2: %v", err)
	}
	if linkIn(t, h, "tun0") == nil {
		t.Fatal("no TAP")
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if linkIn(t, h, "tun0") != nil {
		t.Error("TAP still there after Close")
	}
}

func TestIntegrationLinuxCPStartupPairs(t *testing.T) {
	ns, h := newNetns(t)
	srv := startSimWith(t, []sim.Option{sim.WithDefaultNetns(ns)}, "eth0")
	host, err := srv.AddPair(sim.Pair{Phy: "eth0", HostName: "e0"})
	if err != nil {
		t.Fatalf("AddPair: %v", err)
	}
	if _, err := srv.AddPair(sim.Pair{Phy: "eth9", HostName: "e9"}); err == nil {
		t.Error("AddPair on a missing interface succeeded")
	}
	if _, err := srv.AddPair(sim.Pair{Phy: "eth0", HostName: "e0b"}); !errors.Is(err, api.VALUE_EXIST) {
		t.Errorf("second AddPair on eth0: %v, want VALUE_EXIST", err)
	}
	before := linkIn(t, h, "e0")
	if before == nil {
		t.Fatalf("no TAP e0 in the default netns %s", ns)
	}
	srv.Restart()
	after := linkIn(t, h, "e0")
	if after == nil || after.Attrs().Index == before.Attrs().Index {
		t.Fatalf("after restart: e0 %v, want a new TAP", after)
	}
	conn := connect(t, srv)
	got := pairs(t, conn)
	want := []*lcp.LcpItfPairDetails{{PhySwIfIndex: 1, HostSwIfIndex: interface_types.InterfaceIndex(host), VifIndex: uint32(after.Attrs().Index), HostIfName: "e0", Netns: ns}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pairs after restart (-want +got):\n%s", diff)
	}
	g, err := lcp.NewServiceClient(conn).LcpDefaultNsGet(ctxFor(t), &lcp.LcpDefaultNsGet{})
	if err != nil || g.Netns != ns {
		t.Errorf("default netns after restart: %v, %v; want %s", g, err, ns)
	}
}
