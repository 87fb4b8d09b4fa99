package pairing

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

// itest is one integration test's world: a fresh network namespace, a
// vppsim with two Ethernet interfaces, a Watcher, and a GoVPP connection
// of the test's own to check what VPP holds.
type itest struct {
	t       *testing.T
	ns      string // namespace name
	sim     *sim.Server
	w       *Watcher
	vpp     *vppAPI
	changes atomic.Int64 // OnChange calls
}

var itestSeq atomic.Int64

func needRoot(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: -short")
	}
	if os.Geteuid() != 0 {
		t.Fatal("integration test needs root (network namespaces, TAPs); run with -short to leave it out")
	}
}

// newITest starts everything; cfg's Netns, Socket and OnChange are set
// here. before runs once vppsim serves and the test's own connection is
// up, before the Watcher starts.
func newITest(t *testing.T, cfg Config, before ...func(*itest)) *itest {
	needRoot(t)
	it := &itest{t: t, ns: fmt.Sprintf("lcpfib-pt%d-%d", os.Getpid(), itestSeq.Add(1))}
	it.run("ip", "netns", "add", it.ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", it.ns).Run() })
	it.ip("link", "set", "lo", "up")

	sock := filepath.Join(t.TempDir(), "api.sock")
	s, err := sim.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	it.sim = s
	for _, n := range []string{"GigabitEthernet3/0/0", "GigabitEthernet3/0/1"} {
		if _, err := s.AddInterface(sim.Interface{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	sctx, scancel := context.WithCancel(context.Background())
	sdone := make(chan struct{})
	go func() { s.Serve(sctx); close(sdone) }()
	t.Cleanup(func() { scancel(); <-sdone; s.Close() })

	it.reconnect()
	t.Cleanup(func() { it.vpp.close() })
	for _, f := range before {
		f(it)
	}

	cfg.Netns = "/run/netns/" + it.ns
	cfg.Socket = sock
	cfg.OnChange = func() { it.changes.Add(1) }
	if cfg.PingInterval == 0 {
		cfg.PingInterval = 100 * time.Millisecond
	}
	// GoVPP does not notice that VPP closed the socket: the first call
	// after a restart waits for its deadline.
	if cfg.ReplyTimeout == 0 {
		cfg.ReplyTimeout = time.Second
	}
	if cfg.Logger == nil && testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	it.w = w
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return it
}

// reconnect (re)opens the test's own VPP connection.
func (it *itest) reconnect() {
	it.t.Helper()
	if it.vpp != nil {
		it.vpp.close()
	}
	v, _, err := dialVPP(context.Background(), it.sim.SocketPath(), time.Second, 5*time.Second, newCounters())
	if err != nil {
		it.t.Fatal(err)
	}
	it.vpp = v
}

func (it *itest) run(name string, args ...string) string {
	it.t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		it.t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ip runs ip(8) in the namespace.
func (it *itest) ip(args ...string) string {
	it.t.Helper()
	return it.run("ip", append([]string{"-n", it.ns}, args...)...)
}

// eventually retries check until it returns nil, for up to d.
func (it *itest) eventually(d time.Duration, what string, check func() error) {
	it.t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			it.t.Fatalf("%s: after %v: %v", what, d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// paired waits until the Linux interface name resolves and returns its
// ifindex and sw_if_index.
func (it *itest) paired(linux string) (uint32, uint32) {
	it.t.Helper()
	var ifindex, sw uint32
	it.eventually(10*time.Second, "pair "+linux, func() error {
		for _, p := range it.w.Pairs() {
			if p.Linux == linux && p.Ifindex != 0 {
				if got, ok := it.w.SwIfIndex(p.Ifindex); ok && got == p.SwIfIndex {
					ifindex, sw = p.Ifindex, p.SwIfIndex
					return nil
				}
			}
		}
		return fmt.Errorf("not paired: %+v", it.w.Pairs())
	})
	return ifindex, sw
}

// vppState is what VPP holds on one interface, as the test dumps it.
type vppState struct {
	Up     bool
	MTU    uint32
	Addrs  []string
	Neighs map[string]string // ip -> "mac[ static]"
}

func (it *itest) vppState(sw uint32) (vppState, error) {
	ctx := context.Background()
	ifs, err := it.vpp.interfaces(ctx)
	if err != nil {
		return vppState{}, err
	}
	addrs, err := it.vpp.addrs(ctx, sw)
	if err != nil {
		return vppState{}, err
	}
	ns, err := it.vpp.neighs(ctx)
	if err != nil {
		return vppState{}, err
	}
	s := vppState{Up: ifs[sw].Up, MTU: ifs[sw].MTU, Neighs: neighStrings(ns[sw])}
	for p := range addrs {
		if managedPrefix(p) {
			s.Addrs = append(s.Addrs, p.String())
		}
	}
	slices.Sort(s.Addrs)
	return s, nil
}

func neighStrings(m map[netip.Addr]neigh) map[string]string {
	out := map[string]string{}
	for ip, n := range m {
		v := fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", n.MAC[0], n.MAC[1], n.MAC[2], n.MAC[3], n.MAC[4], n.MAC[5])
		if n.Static {
			v += " static"
		}
		out[ip.String()] = v
	}
	return out
}

// kernelState is what the kernel holds on one interface, filtered as the
// Watcher must mirror it, read through a netlink handle of the test's own.
func (it *itest) kernelState(ifindex uint32) (vppState, error) {
	n, err := openNamespace("/run/netns/"+it.ns, &Config{NetlinkTimeout: 5 * time.Second})
	if err != nil {
		return vppState{}, err
	}
	defer n.close()
	st, err := n.dump()
	if err != nil {
		return vppState{}, err
	}
	l := st.links[int(ifindex)]
	s := vppState{Up: l.Up, MTU: l.MTU, Neighs: neighStrings(st.neighs[int(ifindex)])}
	for _, p := range sortedPrefixes(st.addrs[int(ifindex)]) {
		s.Addrs = append(s.Addrs, p.String())
	}
	slices.Sort(s.Addrs)
	return s, nil
}

// want waits until VPP's state of sw is exactly want.
func (it *itest) want(sw uint32, what string, want vppState) {
	it.t.Helper()
	if want.Neighs == nil {
		want.Neighs = map[string]string{}
	}
	it.eventually(10*time.Second, what, func() error {
		got, err := it.vppState(sw)
		if err != nil {
			return err
		}
		if d := cmp.Diff(want, got); d != "" {
			return fmt.Errorf("VPP (-want +got):\n%s", d)
		}
		return nil
	})
}

// matchKernel waits until VPP's state of sw equals the kernel's of ifindex.
func (it *itest) matchKernel(ifindex, sw uint32, d time.Duration) {
	it.t.Helper()
	it.eventually(d, "VPP equals the kernel", func() error {
		k, err := it.kernelState(ifindex)
		if err != nil {
			return err
		}
		v, err := it.vppState(sw)
		if err != nil {
			return err
		}
		if d := cmp.Diff(k, v); d != "" {
			return fmt.Errorf("kernel -, VPP +:\n%s", d)
		}
		return nil
	})
}

var twoPairs = Config{Pairs: []PairSpec{{VPP: "GigabitEthernet3/0/0", Linux: "e0"}, {VPP: "GigabitEthernet3/0/1", Linux: "e1"}}}

func TestIntegrationPairsCreated(t *testing.T) {
	it := newITest(t, twoPairs)
	_, sw0 := it.paired("e0")
	_, sw1 := it.paired("e1")
	if sw0 != 1 || sw1 != 2 {
		t.Errorf("sw_if_index e0 %d, e1 %d; want 1, 2", sw0, sw1)
	}
	ps := it.w.Pairs()
	for _, p := range ps {
		if !p.Created {
			t.Errorf("pair %+v not marked created", p)
		}
	}
	if it.changes.Load() == 0 {
		t.Error("OnChange never called")
	}
	lcps, err := it.vpp.pairs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(lcps) != 2 {
		t.Errorf("VPP holds %d pairs, want 2: %+v", len(lcps), lcps)
	}
}

func TestIntegrationAddressesLinkMTU(t *testing.T) {
	it := newITest(t, twoPairs)
	ifindex, sw := it.paired("e0")
	it.ip("link", "set", "e0", "mtu", "1500")
	it.ip("link", "set", "e0", "down")
	it.want(sw, "down, mtu 1500", vppState{Up: false, MTU: 1500})

	it.ip("link", "set", "e0", "up")
	it.ip("addr", "add", "10.0.0.1/24", "dev", "e0")
	it.ip("addr", "add", "10.0.9.1/32", "dev", "e0")
	it.ip("addr", "add", "2001:db8::1/64", "dev", "e0", "nodad")
	it.want(sw, "addresses added", vppState{Up: true, MTU: 1500, Addrs: []string{"10.0.0.1/24", "10.0.9.1/32", "2001:db8::1/64"}})

	it.ip("addr", "del", "10.0.9.1/32", "dev", "e0")
	it.ip("addr", "del", "2001:db8::1/64", "dev", "e0")
	it.ip("link", "set", "e0", "mtu", "9000")
	it.want(sw, "addresses removed, mtu 9000", vppState{Up: true, MTU: 9000, Addrs: []string{"10.0.0.1/24"}})

	it.ip("link", "set", "e0", "down")
	it.want(sw, "down", vppState{Up: false, MTU: 9000, Addrs: []string{"10.0.0.1/24"}})
	it.matchKernel(ifindex, sw, 5*time.Second)

	// The other pair was left alone by all of this.
	_, sw1 := it.paired("e1")
	got, err := it.vppState(sw1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Addrs) != 0 || len(got.Neighs) != 0 {
		t.Errorf("e1's twin changed: %+v", got)
	}
}

func TestIntegrationNeighbours(t *testing.T) {
	it := newITest(t, twoPairs)
	ifindex, sw := it.paired("e0")
	it.ip("link", "set", "e0", "up")
	it.ip("addr", "add", "10.0.0.1/24", "dev", "e0")
	it.ip("addr", "add", "2001:db8::1/64", "dev", "e0", "nodad")
	it.want(sw, "addresses", vppState{Up: true, MTU: it.mustKernel(ifindex).MTU, Addrs: []string{"10.0.0.1/24", "2001:db8::1/64"}})

	base := vppState{Up: true, MTU: it.mustKernel(ifindex).MTU, Addrs: []string{"10.0.0.1/24", "2001:db8::1/64"}}
	neighs := map[string]string{}
	for i, st := range []string{"reachable", "stale", "delay", "probe", "permanent"} {
		ip4 := fmt.Sprintf("10.0.0.%d", 10+i)
		ip6 := fmt.Sprintf("2001:db8::%x", 10+i)
		mac := fmt.Sprintf("02:00:00:00:00:%02x", 10+i)
		it.ip("neigh", "add", ip4, "lladdr", mac, "nud", st, "dev", "e0")
		it.ip("neigh", "add", ip6, "lladdr", mac, "nud", st, "dev", "e0")
		v := mac
		if st == "permanent" {
			v += " static"
		}
		neighs[ip4], neighs[ip6] = v, v
	}
	// Not usable: never in VPP.
	it.ip("neigh", "add", "10.0.0.50", "nud", "incomplete", "dev", "e0")
	it.ip("neigh", "add", "10.0.0.51", "lladdr", "02:00:00:00:00:51", "nud", "failed", "dev", "e0")
	want := base
	want.Neighs = maps.Clone(neighs)
	// DELAY and PROBE move on by themselves (to FAILED, with nobody to
	// answer), so only the stable states are waited for exactly; the
	// comparison with the kernel covers the rest.
	it.eventually(10*time.Second, "usable neighbours", func() error {
		got, err := it.vppState(sw)
		if err != nil {
			return err
		}
		for _, ip := range []string{"10.0.0.10", "10.0.0.11", "10.0.0.14", "2001:db8::b", "2001:db8::e"} {
			if got.Neighs[ip] != want.Neighs[ip] {
				return fmt.Errorf("%s: VPP has %q, want %q (all: %v)", ip, got.Neighs[ip], want.Neighs[ip], got.Neighs)
			}
		}
		for _, ip := range []string{"10.0.0.50", "10.0.0.51"} {
			if _, ok := got.Neighs[ip]; ok {
				return fmt.Errorf("%s is in VPP", ip)
			}
		}
		return nil
	})
	it.matchKernel(ifindex, sw, 10*time.Second)

	// Replace to FAILED: removed. Replace STALE with a new MAC: changed.
	// PERMANENT -> STALE: no longer static. Delete: removed.
	it.ip("neigh", "replace", "10.0.0.11", "lladdr", "02:00:00:00:00:11", "nud", "failed", "dev", "e0")
	it.ip("neigh", "replace", "2001:db8::b", "lladdr", "02:00:00:00:00:aa", "nud", "stale", "dev", "e0")
	it.ip("neigh", "replace", "10.0.0.14", "lladdr", "02:00:00:00:00:0e", "nud", "stale", "dev", "e0")
	it.ip("neigh", "del", "2001:db8::e", "dev", "e0")
	it.eventually(10*time.Second, "replaced and deleted neighbours", func() error {
		got, err := it.vppState(sw)
		if err != nil {
			return err
		}
		check := map[string]string{"10.0.0.11": "", "2001:db8::b": "02:00:00:00:00:aa", "10.0.0.14": "02:00:00:00:00:0e", "2001:db8::e": "", "10.0.0.10": "02:00:00:00:00:0a"}
		for ip, w := range check {
			if got.Neighs[ip] != w {
				return fmt.Errorf("%s: VPP has %q, want %q", ip, got.Neighs[ip], w)
			}
		}
		return nil
	})
	it.matchKernel(ifindex, sw, 10*time.Second)

	// Flushed by the kernel with the link going down: gone from VPP too.
	it.ip("neigh", "flush", "dev", "e0")
	it.matchKernel(ifindex, sw, 10*time.Second)
}

func (it *itest) mustKernel(ifindex uint32) vppState {
	it.t.Helper()
	k, err := it.kernelState(ifindex)
	if err != nil {
		it.t.Fatal(err)
	}
	return k
}

// TestIntegrationPairTUN: a point-to-point VPP interface (a tunnel) is
// paired with a TUN, not a TAP, and its state and addresses follow Linux
// like any other pair's.
func TestIntegrationPairTUN(t *testing.T) {
	cfg := Config{Pairs: append(slices.Clone(twoPairs.Pairs), PairSpec{VPP: "ipip0", Linux: "t0"})}
	it := newITest(t, cfg, func(it *itest) {
		if _, err := it.sim.AddInterface(sim.Interface{Name: "ipip0", P2P: true}); err != nil {
			t.Fatal(err)
		}
	})
	ifindex, sw := it.paired("t0")
	link := it.ip("-d", "-o", "link", "show", "t0")
	// vppsim makes the Linux side as linux-cp's host_if_type asks.
	if !strings.Contains(link, "link/none") || !strings.Contains(link, "tun type tun") {
		t.Fatalf("t0 is not a TUN (lcp_itf_pair_add_del_v2 host_if_type tun): %s", link)
	}
	it.ip("link", "set", "t0", "mtu", "1400")
	it.ip("link", "set", "t0", "up")
	it.ip("addr", "add", "10.9.0.1/30", "dev", "t0")
	it.ip("addr", "add", "2001:db8:9::1/64", "dev", "t0", "nodad")
	it.want(sw, "TUN up with addresses", vppState{Up: true, MTU: 1400, Addrs: []string{"10.9.0.1/30", "2001:db8:9::1/64"}})
	it.matchKernel(ifindex, sw, 5*time.Second)
}
