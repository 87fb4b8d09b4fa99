package pairing

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIntegrationNeighbourRate measures (logs, never asserts) how fast
// neighbours reach VPP: first 20,000 the kernel holds when the Watcher
// starts (dump + pipelined ip_neighbor_add_del), then 20,000 more made
// while it runs (notifications, with a buffer large enough for them).
func TestIntegrationNeighbourRate(t *testing.T) {
	const n = 20000
	batch := func(dir string, from int) string {
		var b strings.Builder
		for i := from; i < from+n; i++ {
			fmt.Fprintf(&b, "neigh replace 10.%d.%d.%d lladdr 02:00:%02x:%02x:%02x:01 nud permanent dev e0\n", 100+i/65536, i/256%256, i%256, i/65536, i/256%256, i%256)
		}
		p := filepath.Join(dir, fmt.Sprintf("batch%d", from))
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var start time.Time
	it := newITest(t, Config{ReceiveBufferSize: 32 << 20, ReceiveBufferForce: true, Events: 1 << 16}, func(it *itest) {
		if err := it.vpp.addPair(t.Context(), 1, "e0", false, it.ns); err != nil {
			t.Fatal(err)
		}
		it.ip("link", "set", "e0", "up")
		it.ip("-batch", batch(t.TempDir(), 0))
		start = time.Now()
	})
	// Timed by the Watcher's own counter (polling full dumps would
	// measure the test), then checked in full.
	calls := func(min uint64) {
		it.eventually(60*time.Second, "neighbour calls", func() error {
			if got := it.w.Stats().VPPCalls["ip_neighbor_add_del"]; got < min {
				return fmt.Errorf("%d calls, want %d", got, min)
			}
			return nil
		})
	}
	calls(n)
	d := time.Since(start)
	ifindex, sw := it.paired("e0")
	it.matchKernel(ifindex, sw, 60*time.Second)
	t.Logf("initial sync: %d neighbours in VPP %v after the Watcher started: %.0f neighbours/s", n, d.Round(time.Millisecond), n/d.Seconds())

	before := it.w.Stats()
	start = time.Now()
	it.ip("-batch", batch(t.TempDir(), n))
	made := time.Since(start)
	calls(before.VPPCalls["ip_neighbor_add_del"] + n)
	d = time.Since(start)
	it.matchKernel(ifindex, sw, 60*time.Second)
	st := it.w.Stats()
	t.Logf("live: %d neighbours made by the kernel in %v, all in VPP after %v: %.0f neighbours/s end to end (events %d, resyncs %d, ENOBUFS %d)",
		n, made.Round(time.Millisecond), d.Round(time.Millisecond), n/d.Seconds(), st.Events-before.Events, st.Resyncs-before.Resyncs, st.ENOBUFS-before.ENOBUFS)
	if k := it.mustKernel(ifindex); len(k.Neighs) != 2*n {
		t.Errorf("kernel holds %d neighbours, want %d", len(k.Neighs), 2*n)
	}
}
