package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.fd.io/govpp/adapter/socketclient"
	"go.fd.io/govpp/core"

	"github.com/lcpfib/lcpfib/testbed/lab"
	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

// vppNames are the VPP interfaces the lab's Linux links are paired with.
var vppNames = map[string]string{"eth0": "GigabitEthernet3/0/0", "eth1": "GigabitEthernet3/0/1"}

// requireLab fails (never skips) when the test cannot run here, unless the
// run asked for unit tests only with -short.
func requireLab(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs root and FRR; skipped by -short")
	}
	if err := lab.CheckRoot(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/usr/lib/frr/zebra"); err != nil {
		t.Fatalf("FRR is not installed (apt-get install -y frr): %v", err)
	}
}

// labEnv is one lab: namespaces, vppsim, lcpfib and FRR.
type labEnv struct {
	t    *testing.T
	dir  string
	ns   *lab.Netns
	frr  *lab.FRR
	sim  *sim.Server
	sw   map[string]uint32 // Linux name -> sw_if_index
	conn *core.Connection  // the test's own view of VPP
	cfg  *Config
	log  *slog.Logger
	d    *daemon // the running lcpfib; nil while stopped
	stop func()  // stops it
}

var nsSeq struct {
	sync.Mutex
	n int
}

func newEnv(t *testing.T, frrOpts lab.FRROptions) *labEnv {
	t.Helper()
	return newLab(t, envOpts{frr: &frrOpts})
}

// envOpts choose what a lab runs besides vppsim and lcpfib.
type envOpts struct {
	frr  *lab.FRROptions // nil: no FRR (fpm.enable stays on unless yaml says otherwise)
	yaml string          // more lcpfib configuration, appended to the file; $LABDIR: the lab's directory
}

func newLab(t *testing.T, o envOpts) *labEnv {
	t.Helper()
	requireLab(t)
	nsSeq.Lock()
	nsSeq.n++
	name := fmt.Sprintf("lcpfib-it%d-%d", os.Getpid(), nsSeq.n)
	nsSeq.Unlock()
	dir := t.TempDir()
	// FRR's daemons drop to user frr: they must be able to reach dir.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ns, err := lab.NewNetns(name, lab.DefaultLinks)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	e := &labEnv{t: t, dir: dir, ns: ns, sw: map[string]uint32{}}

	// VPP stand-in with the two interfaces.
	sock := filepath.Join(dir, "api.sock")
	e.sim, err = sim.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	for linux, name := range vppNames {
		sw, err := e.sim.AddInterface(sim.Interface{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		e.sw[linux] = sw
	}
	simCtx, stopSim := context.WithCancel(context.Background())
	simDone := make(chan struct{})
	go func() { e.sim.Serve(simCtx); close(simDone) }()

	// lcpfib, in this process, configured through a real file.
	cfgPath := filepath.Join(dir, "lcpfib.yaml")
	yaml := fmt.Sprintf("netns: %s\ncontrol:\n  socket: %s\nvpp:\n  socket: %s\nlog:\n  level: debug\nfpm:\n  replay-quiet: 1500ms\ninterfaces:\n", ns.Path(), filepath.Join(dir, "ctl.sock"), sock)
	for linux, name := range vppNames {
		yaml += fmt.Sprintf("  - linux: %s\n    vpp: %q\n", linux, name)
	}
	yaml += strings.ReplaceAll(o.yaml, "$LABDIR", dir)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if e.cfg, err = loadConfig(cfgPath, nil); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "lcpfib.log"))
	if err != nil {
		t.Fatal(err)
	}
	e.log = slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.startLcpfib()

	if o.frr != nil {
		frrLog, err := os.Create(filepath.Join(dir, "frr.log"))
		if err != nil {
			t.Fatal(err)
		}
		frrOpts := *o.frr
		frrOpts.Log = frrLog
		e.frr, err = lab.StartFRR(ns, filepath.Join(dir, "frr"), frrOpts)
		if err != nil {
			t.Fatal(err)
		}
	}

	e.conn, err = core.Connect(socketclient.NewVppClient(sock))
	if err != nil {
		t.Fatal(err)
	}
	// zebra's FPM replay on connect walks only the main table of each
	// VRF (FRR 8.4 rib_tables_iter_next), so routes of other tables
	// configured before the connection never reach lcpfib. Start the
	// steps once zebra is connected.
	if e.frr != nil {
		e.waitZebra(1)
	}
	t.Cleanup(func() {
		e.conn.Disconnect()
		if e.frr != nil {
			e.frr.Stop()
		}
		e.stopLcpfib()
		stopSim()
		<-simDone
		if t.Failed() {
			for _, f := range []string{"lcpfib.log", "frr.log", "bird.log"} {
				b, _ := os.ReadFile(filepath.Join(dir, f))
				t.Logf("---- %s (last 8000 bytes)\n%s", f, tail(b, 8000))
			}
		}
	})
	return e
}

// startLcpfib starts lcpfib in this process.
func (e *labEnv) startLcpfib() {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d, closeFn, err := newDaemon(ctx, e.cfg, e.log)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.run(ctx); err != nil {
			e.t.Errorf("lcpfib: %v", err)
		}
	}()
	e.d = d
	e.stop = func() { cancel(); <-done; closeFn() }
}

// stopLcpfib stops lcpfib as SIGTERM would and waits for it.
func (e *labEnv) stopLcpfib() {
	if e.d != nil {
		e.stop()
		e.d = nil
	}
}

// waitZebra waits until lcpfib has seen n zebra connections.
func (e *labEnv) waitZebra(n uint64) {
	e.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); e.d.fpm.Stats().Connections < n; {
		if time.Now().After(deadline) {
			e.t.Fatalf("zebra did not connect to lcpfib's FPM listener within 15s (%d connections, want %d)", e.d.fpm.Stats().Connections, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *labEnv) stats() string {
	if e.d == nil {
		return "lcpfib stopped"
	}
	st, _ := e.d.rib.Stats(context.Background())
	return fmt.Sprintf("fpm %+v\nzebra %+v\nrib %+v\nvpp %+v", e.d.fpm.Stats(), e.d.feed.Counters(), st, e.d.vpp.Stats())
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// converge waits until VPP holds exactly what zebra selected and returns it.
func (e *labEnv) converge(step string) []string {
	e.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	var want, have []string
	for {
		zr, err := e.frr.Selected(254, 100)
		if err != nil {
			e.t.Fatalf("%s: %v", step, err)
		}
		want = lab.Want(zr, e.sw)
		have, err = lab.Have(ctx, e.conn, 0, 100)
		if err != nil {
			e.t.Fatalf("%s: %v", step, err)
		}
		if cmp.Equal(want, have) {
			return want
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: VPP does not hold what zebra selected (-zebra +vpp):\n%s\n%s", step, cmp.Diff(want, have), e.stats())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type step struct {
	name  string
	conf  []string
	check func(t *testing.T, fib []string) // extra assertions on the converged FIB
}

func has(line string) func(*testing.T, []string) {
	return func(t *testing.T, fib []string) {
		t.Helper()
		for _, l := range fib {
			if l == line {
				return
			}
		}
		t.Errorf("FIB lacks %q:\n%s", line, strings.Join(fib, "\n"))
	}
}

func lacks(prefix string) func(*testing.T, []string) {
	return func(t *testing.T, fib []string) {
		t.Helper()
		for _, l := range fib {
			if strings.Contains(l, " "+prefix+" ") {
				t.Errorf("FIB still has %q", l)
			}
		}
	}
}

// TestIntegrationZebra drives real zebra through the cases of the FRR feed
// and checks after every step that the FIB dumped from VPP through GoVPP
// equals what zebra selected, with nexthop groups on and off.
func TestIntegrationZebra(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts lab.FRROptions
	}{
		{"nexthop-groups", lab.FRROptions{}},
		{"no-nexthop-groups", lab.FRROptions{NoNextHopGroups: true}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			e := newEnv(t, mode.opts)
			sw0, sw1 := e.sw["eth0"], e.sw["eth1"]
			steps := []step{
				{"single nexthop", []string{"ip route 192.0.2.0/24 10.0.0.2"},
					has(fmt.Sprintf("0 192.0.2.0/24 via 10.0.0.2 sw %d w1", sw0))},
				{"interface only", []string{"ip route 192.0.2.64/26 eth1"},
					has(fmt.Sprintf("0 192.0.2.64/26 sw %d w1", sw1))},
				{"ECMP v4", []string{"ip route 198.51.100.0/24 10.0.0.2", "ip route 198.51.100.0/24 10.0.1.2"},
					has(fmt.Sprintf("0 198.51.100.0/24 via 10.0.0.2 sw %d w1, via 10.0.1.2 sw %d w1", sw0, sw1))},
				{"ECMP v6", []string{"ipv6 route 2001:db8:300::/48 2001:db8::2", "ipv6 route 2001:db8:300::/48 2001:db8:1::2"},
					has(fmt.Sprintf("0 2001:db8:300::/48 via 2001:db8:1::2 sw %d w1, via 2001:db8::2 sw %d w1", sw1, sw0))},
				{"blackhole", []string{"ip route 203.0.113.0/24 blackhole"}, has("0 203.0.113.0/24 drop")},
				{"reject", []string{"ip route 203.0.113.128/25 reject"}, has("0 203.0.113.128/25 unreach")},
				{"IPv6 link-local nexthop", []string{"ipv6 route 2001:db8:100::/48 fe80::1 eth0"},
					has(fmt.Sprintf("0 2001:db8:100::/48 via fe80::1 sw %d w1", sw0))},
				{"table 100", []string{"ip route 192.0.2.128/25 10.0.0.2 table 100"},
					has(fmt.Sprintf("100 192.0.2.128/25 via 10.0.0.2 sw %d w1", sw0))},
				{"nexthop replace", []string{"ip route 192.0.2.0/24 10.0.1.2", "no ip route 192.0.2.0/24 10.0.0.2"},
					has(fmt.Sprintf("0 192.0.2.0/24 via 10.0.1.2 sw %d w1", sw1))},
				{"ECMP grow", []string{"ip route 198.51.100.0/24 10.0.0.3"},
					has(fmt.Sprintf("0 198.51.100.0/24 via 10.0.0.2 sw %d w1, via 10.0.0.3 sw %d w1, via 10.0.1.2 sw %d w1", sw0, sw0, sw1))},
				{"ECMP shrink", []string{"no ip route 198.51.100.0/24 10.0.0.2"},
					has(fmt.Sprintf("0 198.51.100.0/24 via 10.0.0.3 sw %d w1, via 10.0.1.2 sw %d w1", sw0, sw1))},
				{"delete", []string{
					"no ip route 192.0.2.0/24 10.0.1.2", "no ip route 203.0.113.0/24 blackhole",
					"no ipv6 route 2001:db8:100::/48 fe80::1 eth0", "no ip route 192.0.2.128/25 10.0.0.2 table 100",
				}, func(t *testing.T, fib []string) {
					for _, p := range []string{"192.0.2.0/24", "203.0.113.0/24", "2001:db8:100::/48", "192.0.2.128/25"} {
						lacks(p)(t, fib)
					}
				}},
			}
			// Connected routes are VPP's own (from its interface
			// addresses): none is programmed.
			prev := e.converge("connected routes only")
			if len(prev) != 0 {
				t.Fatalf("connected routes reached VPP: %v", prev)
			}
			if c := e.d.feed.Counters(); c.SkippedConnected == 0 {
				t.Fatalf("no connected route seen: %+v", c)
			}
			for _, s := range steps {
				if len(s.conf) > 0 {
					if err := e.frr.Configure(s.conf...); err != nil {
						t.Fatalf("%s: %v", s.name, err)
					}
				}
				fib := e.converge(s.name)
				if cmp.Equal(prev, fib) {
					t.Fatalf("%s: zebra's selection did not change; the step tested nothing", s.name)
				}
				t.Logf("%s: VPP = zebra:\n  %s", s.name, strings.Join(fib, "\n  "))
				s.check(t, fib)
				prev = fib
			}
			// lcpfib told zebra what VPP installed; FRR 8.4 reads and
			// ignores it (the steps above converged all the same).
			if ns := e.d.notify.Stats(); ns.Sent == 0 {
				t.Fatalf("no install notification sent: %+v", ns)
			}
		})
	}
}
