package pairing

import (
	"fmt"
	"net/netip"
	"os/exec"
	"testing"
	"time"

	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/lcp"
)

// TestIntegrationDiscover: a pair someone else made before lcpfib started
// is followed (not created, never deleted); a pair in another namespace
// is left alone; the declared one is created.
func TestIntegrationDiscover(t *testing.T) {
	it := newITest(t, Config{Pairs: []PairSpec{{VPP: "GigabitEthernet3/0/1", Linux: "e1"}}}, func(it *itest) {
		if err := it.vpp.addPair(t.Context(), 1, "theirs", false, it.ns); err != nil {
			t.Fatal(err)
		}
	})
	_, sw := it.paired("theirs")
	_, sw1 := it.paired("e1")
	if sw != 1 || sw1 != 2 {
		t.Fatalf("theirs -> %d, e1 -> %d; want 1, 2", sw, sw1)
	}
	for _, p := range it.w.Pairs() {
		if want := p.Linux == "e1"; p.Created != want {
			t.Errorf("%s: Created %v, want %v", p.Linux, p.Created, want)
		}
	}
	// It is mirrored like any other.
	it.ip("addr", "add", "192.0.2.1/24", "dev", "theirs")
	it.eventually(5*time.Second, "address on the discovered pair", func() error {
		got, err := it.vppState(sw)
		if err != nil {
			return err
		}
		if len(got.Addrs) != 1 || got.Addrs[0] != "192.0.2.1/24" {
			return fmt.Errorf("addresses %v", got.Addrs)
		}
		return nil
	})

	// A VPP restart loses it; lcpfib restores it like its own.
	it.sim.Restart()
	it.eventually(10*time.Second, "pairs restored after the restart", func() error {
		if st := it.w.Stats(); st.Restarts != 1 || st.Pairs != 2 {
			return fmt.Errorf("stats %+v, pairs %+v", st, it.w.Pairs())
		}
		return nil
	})
	it.reconnect()

	// Its owner deletes it: it stays deleted.
	if err := it.vpp.call(t.Context(), &lcp.LcpItfPairAddDelV2{IsAdd: false, SwIfIndex: 1}, &lcp.LcpItfPairAddDelV2Reply{}); err != nil {
		t.Fatal(err)
	}
	it.eventually(5*time.Second, "pair gone", func() error {
		if ps := it.w.Pairs(); len(ps) != 1 || ps[0].Linux != "e1" {
			return fmt.Errorf("pairs %+v", ps)
		}
		return nil
	})
	time.Sleep(200 * time.Millisecond)
	lcps, err := it.vpp.pairs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(lcps) != 1 {
		t.Errorf("VPP pairs %+v; the deleted one came back", lcps)
	}
}

// TestIntegrationVLAN: a declared VLAN sub-interface is created in VPP,
// paired with a Linux VLAN device on the parent's TAP, and mirrored.
func TestIntegrationVLAN(t *testing.T) {
	it := newITest(t, Config{
		Pairs: []PairSpec{{VPP: "GigabitEthernet3/0/0", Linux: "e0"}},
		VLANs: []VLANSpec{{Parent: "GigabitEthernet3/0/0", VLAN: 100, Linux: "e0.100"}},
	})
	// linux-cp makes the Linux side a VLAN device on the parent's TAP:
	// without 802.1Q in the kernel there is nothing to pair with.
	it.ip("link", "add", "vprobe", "type", "veth", "peer", "name", "vprobep")
	if out, err := exec.Command("ip", "-n", it.ns, "link", "add", "link", "vprobe", "name", "vprobe.1", "type", "vlan", "id", "1").CombinedOutput(); err != nil {
		t.Skipf("SKIPPED, NOT RUN: this kernel cannot create VLAN devices (8021q): %v: %s", err, out)
	}
	ifindex, sw := it.paired("e0.100")
	ifs, err := it.vpp.interfaces(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if i := ifs[sw]; i.Sup != 1 || i.VLAN != 100 {
		t.Fatalf("e0.100's twin %+v is not VLAN 100 of sw_if_index 1", i)
	}
	out := it.ip("-d", "link", "show", "e0.100")
	t.Logf("%s", out)
	it.ip("link", "set", "e0", "up")
	it.ip("link", "set", "e0.100", "up")
	it.ip("addr", "add", "10.1.0.1/24", "dev", "e0.100")
	it.ip("neigh", "add", "10.1.0.2", "lladdr", "02:00:00:00:01:02", "nud", "stale", "dev", "e0.100")
	it.want(sw, "VLAN mirrored", vppState{Up: true, MTU: it.mustKernel(ifindex).MTU, Addrs: []string{"10.1.0.1/24"}, Neighs: map[string]string{"10.1.0.2": "02:00:00:00:01:02"}})
}

// TestIntegrationReconcile: what VPP holds on a paired interface that the
// kernel does not (added behind lcpfib's back, or left by a notification
// that never came) is removed by the periodic reconcile.
func TestIntegrationReconcile(t *testing.T) {
	it := newITest(t, Config{Pairs: twoPairs.Pairs, ReconcileInterval: 300 * time.Millisecond})
	ifindex, sw := it.paired("e0")
	it.ip("addr", "add", "10.0.0.1/24", "dev", "e0")
	it.ip("neigh", "add", "10.0.0.2", "lladdr", "02:00:00:00:00:02", "nud", "permanent", "dev", "e0")
	it.matchKernel(ifindex, sw, 5*time.Second)
	ctx := t.Context()
	for _, o := range []op{
		{Kind: opNeighAdd, IP: netip.MustParseAddr("10.0.0.3"), Neigh: neigh{MAC: [6]byte{2, 0, 0, 0, 0, 3}}},
		{Kind: opNeighDel, IP: netip.MustParseAddr("10.0.0.2"), Neigh: neigh{MAC: [6]byte{2, 0, 0, 0, 0, 2}, Static: true}},
		{Kind: opAddrAdd, Prefix: netip.MustParsePrefix("10.9.0.1/24")},
	} {
		if err := it.vpp.do(ctx, sw, o); err != nil {
			t.Fatal(err)
		}
	}
	it.matchKernel(ifindex, sw, 5*time.Second)
}

// TestIntegrationFollow: VPP's side changed behind lcpfib's back. An
// admin state Linux did not ask for is put back (sw_interface_event); a
// declared pair someone deleted is created again, and the table follows
// its new TAP's ifindex.
func TestIntegrationFollow(t *testing.T) {
	it := newITest(t, twoPairs)
	ifindex, sw := it.paired("e0")
	it.ip("link", "set", "e0", "up")
	it.matchKernel(ifindex, sw, 5*time.Second)

	if err := it.vpp.do(t.Context(), sw, op{Kind: opFlags, Up: false}); err != nil {
		t.Fatal(err)
	}
	it.matchKernel(ifindex, sw, 5*time.Second)

	changes := it.changes.Load()
	if err := it.vpp.call(t.Context(), &lcp.LcpItfPairAddDelV2{IsAdd: false, SwIfIndex: interface_types.InterfaceIndex(sw)}, &lcp.LcpItfPairAddDelV2Reply{}); err != nil {
		t.Fatal(err)
	}
	it.eventually(5*time.Second, "pair recreated", func() error {
		for _, p := range it.w.Pairs() {
			if p.Linux == "e0" && p.Ifindex != 0 && p.Ifindex != ifindex {
				return nil
			}
		}
		return fmt.Errorf("pairs %+v", it.w.Pairs())
	})
	if _, ok := it.w.SwIfIndex(ifindex); ok {
		t.Errorf("old ifindex %d still resolves", ifindex)
	}
	if it.changes.Load() == changes {
		t.Error("OnChange not called")
	}
	ifindex2, sw2 := it.paired("e0")
	it.ip("addr", "add", "10.0.0.1/24", "dev", "e0")
	it.matchKernel(ifindex2, sw2, 5*time.Second)
}
