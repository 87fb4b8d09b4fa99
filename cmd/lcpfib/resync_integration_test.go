package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lcpfib/lcpfib/testbed/lab"
)

// probe is a route that stays in zebra through every restart below: VPP
// must never lose it.
const probe = "ip route 192.0.2.0/24 10.0.0.2"

const probePrefix = "192.0.2.0/24"

// waitReplay waits until lcpfib has seen n zebra replays to their end.
func (e *labEnv) waitReplay(n uint64) {
	e.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); e.d.feed.Counters().Replays < n; {
		if time.Now().After(deadline) {
			e.t.Fatalf("replay %d did not end within 30s:\n%s", n, e.stats())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kernelRoutes adds n routes to the router's kernel with `ip -batch`;
// zebra learns them (rtm_protocol kernel with a gateway: programmed).
func (e *labEnv) kernelRoutes(n int) {
	e.t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "route add 172.%d.%d.0/24 via 10.0.1.2\n", 16+i/256, i%256)
	}
	path := e.dir + "/routes.batch"
	if err := writeFile(path, b.String()); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.ns.Exec("ip", "-batch", path); err != nil {
		e.t.Fatal(err)
	}
}

// TestIntegrationResync restarts lcpfib, restarts zebra, drops zebra's
// connection in the middle of its replay and toggles nexthop groups, each
// with a full table present. After each, VPP must equal what zebra
// selected, and the probe route, which stayed in zebra throughout, must
// never have been deleted from VPP.
func TestIntegrationResync(t *testing.T) {
	statics := []string{
		probe,
		"ip route 198.51.100.0/24 10.0.0.2",
		"ip route 198.51.100.0/24 10.0.1.2",
		"ip route 203.0.113.0/24 blackhole",
		"ipv6 route 2001:db8:100::/48 fe80::1 eth0",
		"ip route 203.0.113.128/25 10.0.1.2",
	}
	e := newEnv(t, lab.FRROptions{Statics: statics})
	e.kernelRoutes(20000)
	fib := e.converge("initial table")
	if len(fib) < 20005 {
		t.Fatalf("only %d routes in VPP", len(fib))
	}
	probeAdds := e.changesOf(probePrefix)
	if probeAdds.changes != 1 {
		t.Fatalf("probe route: %+v in the change log, want its one add", probeAdds)
	}

	t.Run("lcpfib restart", func(t *testing.T) {
		e.stopLcpfib()
		// While lcpfib is down: one route goes, one comes, one changes.
		if err := e.frr.Configure(
			"no ip route 203.0.113.0/24 blackhole",
			"ip route 203.0.113.64/26 10.0.0.3",
			"no ip route 203.0.113.128/25 10.0.1.2",
			"ip route 203.0.113.128/25 10.0.0.3",
		); err != nil {
			t.Fatal(err)
		}
		e.startLcpfib()
		e.waitZebra(1)
		e.waitReplay(1)
		fib := e.converge("after lcpfib restart")
		lacks("203.0.113.0/24")(t, fib)
		has(fmt.Sprintf("0 203.0.113.64/26 via 10.0.0.3 sw %d w1", e.sw["eth0"]))(t, fib)
		has(fmt.Sprintf("0 203.0.113.128/25 via 10.0.0.3 sw %d w1", e.sw["eth0"]))(t, fib)
		// The replay re-sent about 20,000 routes VPP already had: none of
		// them may cost a VPP call.
		vs := e.d.vpp.Stats()
		if vs.Unchanged < 20000 || vs.RoutesAdded > 5 || vs.RoutesDeleted != 1 {
			t.Fatalf("after restart: %+v", vs)
		}
	})

	t.Run("zebra restart", func(t *testing.T) {
		before := e.d.vpp.Stats()
		// staticd comes back without one route: the sweep must remove it.
		if err := e.frr.Restart(append([]string{}, statics[:3]...)); err != nil {
			t.Fatal(err)
		}
		e.waitZebra(2)
		e.waitReplay(2)
		fib := e.converge("after zebra restart")
		lacks("2001:db8:100::/48")(t, fib)
		after := e.d.vpp.Stats()
		// The kernel routes zebra reread and replayed are unchanged.
		if after.RoutesAdded-before.RoutesAdded > 3 {
			t.Fatalf("zebra restart re-added %d routes: %+v", after.RoutesAdded-before.RoutesAdded, after)
		}
	})

	t.Run("connection dropped mid-replay", func(t *testing.T) {
		ctx := context.Background()
		n := e.d.fpm.Stats().Connections
		if _, err := e.d.fpm.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		f0 := e.d.feed.Counters().Frames
		e.waitZebra(n + 1)
		// Cut the replay as soon as it has started.
		for deadline := time.Now().Add(10 * time.Second); e.d.feed.Counters().Frames == f0; {
			if time.Now().After(deadline) {
				t.Fatal("no frame after the reconnect")
			}
			time.Sleep(time.Millisecond)
		}
		if _, err := e.d.fpm.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.d.feed.Counters().Frames - f0; got >= 20000 {
			t.Fatalf("the replay was not cut short: %d frames read", got)
		} else {
			t.Logf("replay cut after %d frames", got)
		}
		e.waitZebra(n + 2)
		e.converge("after a replay cut short")
	})

	t.Run("toggle nexthop groups", func(t *testing.T) {
		for _, line := range []string{"no fpm use-next-hop-groups", "fpm use-next-hop-groups"} {
			n := e.d.fpm.Stats().Connections
			if err := e.frr.Configure(line); err != nil {
				t.Fatal(err)
			}
			e.waitZebra(n + 1)
			e.converge("after " + line)
		}
	})

	if got := e.changesOf(probePrefix); got.deletes != 0 || got.changes != probeAdds.changes {
		t.Fatalf("the probe route %s was touched in VPP: %+v, before the restarts %+v", probePrefix, got, probeAdds)
	}
}

type changeCount struct{ changes, deletes int }

// changesOf counts what vppsim's change log holds for a prefix of table 0.
func (e *labEnv) changesOf(p string) changeCount {
	pfx := netip.MustParsePrefix(p)
	return changeCount{changes: len(e.sim.ChangesOf(0, pfx)), deletes: len(e.sim.DeletesOf(0, pfx))}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }
