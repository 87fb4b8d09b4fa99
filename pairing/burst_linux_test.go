package pairing

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIntegrationBurst makes 50,000 neighbour and address changes at once
// against a netlink receive buffer far too small for them: the kernel
// drops notifications (ENOBUFS), the Watcher re-dumps, and VPP ends
// exactly equal to the kernel.
func TestIntegrationBurst(t *testing.T) {
	it := newITest(t, Config{
		Pairs:              twoPairs.Pairs,
		ReceiveBufferSize:  4096,
		ReceiveBufferForce: true,
		Events:             64,
	})
	ifindex, sw := it.paired("e0")
	// Room for the neighbours: with the default thresholds (128, 512,
	// 1024) the kernel garbage-collects most of them, and a later delete
	// in the batch finds nothing (ip then stops). The neighbour tables and
	// their thresholds are the host's (init_net), not per namespace; the
	// old values are put back.
	var thresholds []string
	for _, fam := range []string{"ipv4", "ipv6"} {
		for _, n := range []string{"gc_thresh3", "gc_thresh2", "gc_thresh1"} {
			thresholds = append(thresholds, "/proc/sys/net/"+fam+"/neigh/default/"+n)
		}
	}
	for _, k := range thresholds {
		old, err := os.ReadFile(k)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(k, []byte("100000"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.WriteFile(k, old, 0o644) })
	}
	it.ip("link", "set", "e0", "up")

	const changes = 50000
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	states := []string{"reachable", "stale", "permanent", "stale", "failed"}
	// ip exits at the first failing neighbour or address command, even
	// with -force, so deletes only name what exists.
	have := map[string]bool{}
	lines := 0
	for lines < changes {
		i := r.IntN(4000)
		v4 := fmt.Sprintf("10.100.%d.%d", i/250, i%250+1)
		switch r.IntN(10) {
		case 0: // an address added or removed
			a := fmt.Sprintf("10.200.%d.%d/32", i/250, i%250+1)
			op := "add"
			if have[a] {
				op = "del"
			}
			have[a] = !have[a]
			fmt.Fprintf(&b, "addr %s %s dev e0\n", op, a)
		case 1:
			if !have[v4] {
				continue
			}
			have[v4] = false
			fmt.Fprintf(&b, "neigh del %s dev e0\n", v4)
		case 2:
			fmt.Fprintf(&b, "neigh replace 2001:db8:100::%x lladdr 02:00:00:%02x:%02x:%02x nud %s dev e0\n", i+1, r.IntN(256), i/256, i%256, states[r.IntN(len(states))])
		default:
			have[v4] = true
			fmt.Fprintf(&b, "neigh replace %s lladdr 02:00:00:%02x:%02x:%02x nud %s dev e0\n", v4, r.IntN(256), i/256, i%256, states[r.IntN(len(states))])
		}
		lines++
	}
	batch := filepath.Join(t.TempDir(), "batch")
	if err := os.WriteFile(batch, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	it.run("ip", "-n", it.ns, "-batch", batch)
	t.Logf("%d changes made by the kernel in %v", lines, time.Since(start))
	it.matchKernel(ifindex, sw, 60*time.Second)
	st := it.w.Stats()
	t.Logf("VPP equals the kernel %v after the burst began; stats: events %d, resyncs %d, ENOBUFS %d, ip_neighbor_add_del %d",
		time.Since(start), st.Events, st.Resyncs, st.ENOBUFS, st.VPPCalls["ip_neighbor_add_del"])
	if st.ENOBUFS == 0 {
		t.Errorf("no ENOBUFS with a %d-byte buffer: the test did not overflow it", 4096)
	}
	k := it.mustKernel(ifindex)
	t.Logf("final: %d neighbours, %d addresses", len(k.Neighs), len(k.Addrs))
	if len(k.Neighs) < 1000 {
		t.Errorf("only %d neighbours in the end: the burst is too weak a test", len(k.Neighs))
	}
}

// TestIntegrationRestart restarts VPP: its linux-cp TAPs go with it. The
// Watcher sees the new pid, recreates the pairs, follows the new TAPs'
// ifindexes, and VPP again equals Linux, as FRR fills the new TAPs.
func TestIntegrationRestart(t *testing.T) {
	it := newITest(t, twoPairs)
	ifindex, sw := it.paired("e0")
	it.ip("link", "set", "e0", "up")
	it.ip("addr", "add", "10.0.0.1/24", "dev", "e0")
	it.ip("neigh", "add", "10.0.0.2", "lladdr", "02:00:00:00:00:02", "nud", "permanent", "dev", "e0")
	it.matchKernel(ifindex, sw, 10*time.Second)
	changes := it.changes.Load()
	pid := it.sim.PID()

	it.sim.Restart()
	it.eventually(10*time.Second, "new VPP seen", func() error {
		if st := it.w.Stats(); st.Restarts != 1 || st.VPPPID == pid || !st.Connected {
			return fmt.Errorf("stats %+v", st)
		}
		return nil
	})
	it.reconnect()
	ifindex2, sw2 := it.paired("e0")
	if ifindex2 == ifindex {
		t.Errorf("e0 kept ifindex %d across the restart; its TAP should be new", ifindex)
	}
	if sw2 != sw {
		t.Errorf("e0's twin moved from %d to %d", sw, sw2)
	}
	if _, ok := it.w.SwIfIndex(ifindex); ok {
		t.Errorf("the old ifindex %d still resolves", ifindex)
	}
	if it.changes.Load() == changes {
		t.Error("OnChange not called after the pairs moved")
	}
	it.ip("link", "set", "e0", "up")
	it.ip("addr", "add", "10.0.0.1/24", "dev", "e0")
	it.ip("neigh", "add", "10.0.0.2", "lladdr", "02:00:00:00:00:02", "nud", "permanent", "dev", "e0")
	it.want(sw2, "restored", vppState{Up: true, MTU: it.mustKernel(ifindex2).MTU, Addrs: []string{"10.0.0.1/24"}, Neighs: map[string]string{"10.0.0.2": "02:00:00:00:00:02 static"}})
	it.matchKernel(ifindex2, sw2, 5*time.Second)
	lcps, err := it.vpp.pairs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(lcps) != 2 {
		t.Errorf("%d pairs after the restart, want 2", len(lcps))
	}
}
